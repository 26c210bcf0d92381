package client

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/tenantkit/tenantkit/client/dataapi"
)

// UnknownFieldError is a field name an export asked for that the described
// entity type does not have. Known lists the type's fields.
type UnknownFieldError struct {
	TypeName string
	Field    string
	Known    []string
}

func (e *UnknownFieldError) Error() string {
	return fmt.Sprintf("%s has no field %q (its fields: %s)", e.TypeName, e.Field, strings.Join(e.Known, ", "))
}

// ExportFields turns a described entity type (DescribeEntities,
// DescribeMetadata with the "fields" flag) into the field list of an
// export: the fields names asks for, matched ignoring case, each once, in
// the order given, or every described field when names is empty. "id" is
// skipped (every entity carries it). Each field keeps its description (type,
// nullable, system, references), from which an export can pick its column
// types. A name the type does not have is an *UnknownFieldError.
func ExportFields(desc dataapi.EntityDescription, names ...string) ([]dataapi.FieldDescription, error) {
	var all []dataapi.FieldDescription
	if desc.Fields != nil {
		all = *desc.Fields
	}
	if len(names) == 0 {
		return slices.Clone(all), nil
	}
	var out []dataapi.FieldDescription
	seen := map[string]bool{}
	for _, n := range names {
		if strings.EqualFold(n, "id") {
			continue
		}
		i := slices.IndexFunc(all, func(f dataapi.FieldDescription) bool { return strings.EqualFold(f.Name, n) })
		if i < 0 {
			known := make([]string, len(all))
			for j, f := range all {
				known[j] = f.Name
			}
			return nil, &UnknownFieldError{TypeName: desc.TypeName, Field: n, Known: known}
		}
		if !seen[all[i].Name] {
			seen[all[i].Name] = true
			out = append(out, all[i])
		}
	}
	return out, nil
}

// ExportFields describes typeName (describeEntities) and returns the
// fields of an export of it, as the function ExportFields does. A type the
// caller may not read describes like an unknown one: an error.
func (s *DataService) ExportFields(ctx context.Context, typeName string, names []string, opts ...CallOption) ([]dataapi.FieldDescription, error) {
	descs, err := s.DescribeEntities(ctx, []string{typeName}, opts...)
	if err != nil {
		return nil, err
	}
	for _, d := range descs {
		if strings.EqualFold(d.TypeName, typeName) {
			return ExportFields(d, names...)
		}
	}
	return nil, fmt.Errorf("client: describeEntities did not describe %s", typeName)
}
