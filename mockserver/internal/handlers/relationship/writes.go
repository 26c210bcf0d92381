package relationship

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/tenantkit/tenantkit/mockserver/internal/api/relationshipapi"
	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
	"github.com/tenantkit/tenantkit/mockserver/internal/render"
	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// Row writes: createRows (POST), upsertRows (PUT) and updateRows (PATCH)
// of /data/entrydata/rows/{entryType}, and deleteRows (DELETE
// /data/entrydata/{entryType}). Each batch is checked and applied by the
// tenant under one lock, all or none (tenant.WriteRows, DeleteRows); a row
// that fails is answered in the vendor's per-row shape (HTTP 200, `Errors`),
// and a batch in which every row names an entry the effective user cannot
// see (or that does not exist) is a 404, as a single hidden row is
// everywhere in the mock.

// writeSpec is what the write handlers read of the spec once.
type writeSpec struct {
	// createPermissions is upsertRows' x-create-permissions: what a batch
	// that creates entries needs besides the operation's x-permissions.
	createPermissions []string
}

// prepareWrites reads upsertRows' x-create-permissions.
func prepareWrites(doc *openapi3.T) (writeSpec, error) {
	var ws writeSpec
	item := doc.Paths.Find("/api/rest/v4/data/entrydata/rows/{entryType}")
	if item == nil || item.Put == nil {
		return ws, fmt.Errorf("mockserver: relationship spec has no PUT /api/rest/v4/data/entrydata/rows/{entryType}")
	}
	raw, _ := item.Put.Extensions["x-create-permissions"].([]any)
	for _, p := range raw {
		s, ok := p.(string)
		if !ok || s == "" {
			return ws, fmt.Errorf("mockserver: relationship spec: upsertRows' x-create-permissions must list permission strings")
		}
		ws.createPermissions = append(ws.createPermissions, s)
	}
	if len(ws.createPermissions) == 0 {
		return ws, fmt.Errorf("mockserver: relationship spec: upsertRows has no x-create-permissions")
	}
	return ws, nil
}

func createRows(rc *pipeline.Request) error { return writeRows(rc, tenant.RowsCreate) }
func upsertRows(rc *pipeline.Request) error { return writeRows(rc, tenant.RowsUpsert) }
func updateRows(rc *pipeline.Request) error { return writeRows(rc, tenant.RowsUpdate) }

// writeRows answers the three row writes.
func writeRows(rc *pipeline.Request, mode tenant.RowWriteMode) error {
	et, err := oneEntryType(rc)
	if err != nil {
		return err
	}
	list, _ := rc.BodyJSON.([]any) // validated: an array of objects with an integer EntryId
	rows := make([]tenant.RowInput, len(list))
	creates := false
	for i, item := range list {
		m, _ := item.(map[string]any)
		id, _ := m[entryIDField].(float64)
		in := tenant.RowInput{EntryID: int64(id), Values: make(map[string]any, len(m))}
		for k, v := range m {
			switch {
			case k == entryIDField:
			case strings.EqualFold(k, entryIDField):
				field := "[" + strconv.Itoa(i) + "]." + k
				return &pipeline.Error{Status: http.StatusBadRequest, Kind: pipeline.KindBadRequest, Field: field,
					Msg: fmt.Sprintf("%s: the row gives EntryId twice (%s and %s)", field, entryIDField, k)}
			default:
				in.Values[k] = v
			}
		}
		creates = creates || in.EntryID < 0
		rows[i] = in
	}
	if mode == tenant.RowsUpsert && creates {
		if err := rc.AuthorizePermission(rc.Route.Spec.Extra.(*spec).writes.createPermissions); err != nil {
			return err
		}
	}
	res, err := rc.Tenant.WriteRows(et.Name, rc.Verdict.Effective, mode, rows)
	if err != nil {
		return writeError(err)
	}
	if err := batchMissing(rc, et.Name, res); err != nil {
		return err
	}
	if res.Committed {
		rc.Write = true
		rc.Target = targets(et.Name, res)
	}
	bp := render.GetBuf()
	defer render.PutBuf(bp)
	b := append(*bp, '[')
	for i, r := range res.Rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"EntryId":`...)
		b = strconv.AppendInt(b, r.EntryID, 10)
		for _, v := range r.Values {
			b = append(b, ',')
			b = appendJSON(b, v.Name)
			b = append(b, ':')
			b = appendJSON(b, v.Value)
		}
		if len(r.Problems) > 0 {
			b = append(b, `,"Errors":`...)
			b = appendJSON(b, rowErrors(r.Problems))
		}
		b = append(b, '}')
	}
	b = append(b, ']')
	*bp = b
	rc.WriteRaw(http.StatusOK, "application/json", b)
	return nil
}

func deleteRows(rc *pipeline.Request) error {
	et, err := oneEntryType(rc)
	if err != nil {
		return err
	}
	list, _ := rc.BodyJSON.([]any) // validated: an array of positive integers
	ids := make([]int64, len(list))
	for i, v := range list {
		n, _ := v.(float64)
		ids[i] = int64(n)
	}
	res, err := rc.Tenant.DeleteRows(et.Name, rc.Verdict.Effective, ids)
	if err != nil {
		return writeError(err)
	}
	if err := batchMissing(rc, et.Name, res); err != nil {
		return err
	}
	if res.Committed {
		rc.Write = true
		rc.Target = targets(et.Name, res)
	}
	out := make(relationshipapi.DeletedEntryList, len(res.Rows))
	for i, r := range res.Rows {
		out[i] = relationshipapi.DeletedEntry{EntryId: r.EntryID, RowId: r.EntryID}
		if len(r.Problems) > 0 {
			errs := rowErrors(r.Problems)
			out[i].Errors = &errs
		}
	}
	rc.WriteJSON(http.StatusOK, "application/json", out)
	return nil
}

// writeError maps a tenant error that refuses a whole batch: a field the
// entry type does not have is the vendor's 400, its message verbatim.
func writeError(err error) error {
	var ve *tenant.ValueError
	if errors.As(err, &ve) {
		return &pipeline.Error{Status: http.StatusBadRequest, Kind: pipeline.KindBadRequest, Field: ve.Field, Msg: ve.Msg}
	}
	return err
}

// batchMissing is the 404 of a batch in which every row names an entry
// that does not exist or that the effective user cannot see: nothing else
// went wrong, and nothing it names is there for the user, exactly as a
// single-row request for a hidden row. The message names the ids as sent
// and reads the same for hidden and missing entries; the decision records
// the row step (HideRow) when one was hidden, for the audit log.
func batchMissing(rc *pipeline.Request, typeName string, res tenant.BatchResult) error {
	if res.Committed || len(res.Rows) == 0 {
		return nil
	}
	var hidden, first *tenant.Ref
	ids := make([]string, 0, min(len(res.Rows), maxNamed))
	for i := range res.Rows {
		r := &res.Rows[i]
		if len(r.Problems) != 1 || r.Problems[0].Code != tenant.RowCodeNotFound {
			return nil
		}
		ref := tenant.Ref{Type: typeName, ID: r.EntryID}
		if first == nil {
			first = &ref
		}
		if r.Hidden && hidden == nil {
			hidden = &ref
		}
		if len(ids) < maxNamed {
			ids = append(ids, strconv.FormatInt(r.EntryID, 10))
		}
	}
	var e *pipeline.Error
	if hidden != nil {
		e = rc.HideRow(*hidden)
		// Writes follow row-level sharing under apiDataAccess: bypass too.
		rc.Decision.Fix = fmt.Sprintf("share %s with user %d or one of its groups (apiDataAccess: bypass opens API reads only, not writes)", *hidden, rc.Verdict.Effective)
	} else {
		e = rc.MissingRow(*first)
	}
	named := strings.Join(ids, ", ")
	if len(res.Rows) > maxNamed {
		named += fmt.Sprintf(" (and %d more)", len(res.Rows)-maxNamed)
	}
	e.Msg = fmt.Sprintf("No %s entry with EntryId %s exists that the user can see", typeName, named)
	return e
}

// maxNamed bounds the entries a message or an audit target names.
const maxNamed = 10

// targets names a written batch in the audit log: its entries' references,
// the first maxNamed of them.
func targets(typeName string, res tenant.BatchResult) string {
	var b strings.Builder
	for i, r := range res.Rows {
		if i == maxNamed {
			fmt.Fprintf(&b, " (and %d more)", len(res.Rows)-maxNamed)
			break
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(tenant.Ref{Type: typeName, ID: r.EntryID}.String())
	}
	return b.String()
}

// rowErrors are a row's problems in the vendor's per-row shape.
func rowErrors(ps []tenant.RowProblem) []relationshipapi.RowError {
	out := make([]relationshipapi.RowError, len(ps))
	for i, p := range ps {
		out[i] = relationshipapi.RowError{Code: p.Code, Description: p.Msg}
		if p.Field != "" {
			out[i].Field = &ps[i].Field
		}
	}
	return out
}

// appendJSON appends v encoded as JSON (values decoded from a JSON body,
// strings and the generated models always encode).
func appendJSON(b []byte, v any) []byte {
	j, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, j...)
}
