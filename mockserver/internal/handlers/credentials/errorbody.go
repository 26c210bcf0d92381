package credentials

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/tenantkit/tenantkit/internal/wire"
	"github.com/tenantkit/tenantkit/mockserver/internal/api/credentialsapi"
)

// appendErrorBody appends e as encoding/json writes the generated model
// (same keys, same order, same escapes), without reflection: every refused
// request of the API writes one. Fields the mock never sets (entityId,
// entityName, errors, limit) go through encoding/json.
func appendErrorBody(b []byte, e *credentialsapi.ErrorBody) []byte {
	if e.EntityId != nil || e.EntityName != nil || e.Errors != nil || e.Limit != nil {
		m, err := json.Marshal(e)
		if err != nil { // a struct of strings and ints always marshals
			panic(err)
		}
		return append(b, m...)
	}
	b = append(b, `{"code":`...)
	b = wire.AppendString(b, e.Code)
	if e.ContextId != nil {
		b = wire.AppendString(append(b, `,"contextId":`...), *e.ContextId)
	}
	if e.Details != nil { // a pointer: an empty list is written, as []
		b = append(b, `,"details":[`...)
		for i := range *e.Details {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendErrorDetail(b, &(*e.Details)[i])
		}
		b = append(b, ']')
	}
	b = wire.AppendString(append(b, `,"message":`...), e.Message)
	if e.MessageParams != nil {
		b = append(b, `,"messageParams":{`...)
		params := *e.MessageParams
		keys := make([]string, 0, len(params))
		for k := range params {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(wire.AppendString(b, k), ':')
			b = wire.AppendString(b, params[k])
		}
		b = append(b, '}')
	}
	if e.MessageWithParams != nil {
		b = wire.AppendString(append(b, `,"messageWithParams":`...), *e.MessageWithParams)
	}
	b = strconv.AppendInt(append(b, `,"status":`...), int64(e.Status), 10)
	return append(b, '}')
}

func appendErrorDetail(b []byte, d *credentialsapi.ErrorDetail) []byte {
	b = append(b, '{')
	sep := false
	for _, f := range [...]struct {
		key string
		v   *string
	}{{`"entityId":`, d.EntityId}, {`"entityName":`, d.EntityName}, {`"errorCode":`, d.ErrorCode}, {`"fieldName":`, d.FieldName}} {
		if f.v == nil {
			continue
		}
		if sep {
			b = append(b, ',')
		}
		b = wire.AppendString(append(b, f.key...), *f.v)
		sep = true
	}
	return append(b, '}')
}
