package generic

import (
	"maps"
	"net/http"
	"strconv"
	"strings"

	"github.com/tenantkit/tenantkit/mockserver/internal/pipeline"
)

// Surface is the API's wire format beyond its operations: its error
// bodies, from the policy's templates (token endpoint failures are RFC
// 6749's, whatever the templates say).
func (a *API) Surface() *pipeline.Surface {
	return &pipeline.Surface{Name: a.Name, WriteError: a.writeError}
}

// kindName is the template a failure is written with.
func kindName(e *pipeline.Error) string {
	switch e.Kind {
	case pipeline.KindUnauthenticated:
		return "unauthenticated"
	case pipeline.KindScope:
		return "scope"
	case pipeline.KindProxy:
		return "proxy"
	case pipeline.KindPermission:
		return "permission"
	case pipeline.KindObject:
		return "object"
	case pipeline.KindNotFound:
		return "notFound"
	case pipeline.KindMethodNotAllowed:
		return "methodNotAllowed"
	case pipeline.KindRateLimited:
		return "rateLimited"
	case pipeline.KindUnavailable:
		return "unavailable"
	case pipeline.KindConflict:
		return "conflict"
	case pipeline.KindInternal:
		return "internal"
	}
	if e.Status == http.StatusRequestEntityTooLarge {
		return "tooLarge"
	}
	return "badRequest"
}

// defaultTemplate is the error body of an API whose policy names none.
var defaultTemplate = map[string]any{"status": "{status}", "message": "{message}"}

func (a *API) writeError(rc *pipeline.Request, e *pipeline.Error) {
	if e.Kind == pipeline.KindOAuth {
		rc.WriteJSON(e.Status, "application/json", map[string]string{"error": e.OAuth, "error_description": e.Msg})
		return
	}
	tpl := map[string]any{}
	base, ok := a.Policy.Errors["default"]
	if !ok {
		base = defaultTemplate
	}
	maps.Copy(tpl, base)
	maps.Copy(tpl, a.Policy.Errors[kindName(e)])
	vars := map[string]string{
		"status":        strconv.Itoa(e.Status),
		"reason":        strings.ReplaceAll(http.StatusText(e.Status), " ", ""),
		"message":       e.Msg,
		"missing":       strings.Join(e.Missing, " "),
		"path":          rc.R.URL.Path,
		"correlationId": rc.CorrelationID,
		"code":          e.Code,
	}
	rc.WriteJSON(e.Status, "application/json", fill(tpl, vars, e.Status))
}

// fill replaces the {placeholders} of a template's strings; a string that
// is "{status}" alone becomes the status number.
func fill(v any, vars map[string]string, status int) any {
	switch x := v.(type) {
	case string:
		if x == "{status}" {
			return status
		}
		var b strings.Builder
		for {
			i := strings.IndexByte(x, '{')
			if i < 0 {
				b.WriteString(x)
				break
			}
			j := strings.IndexByte(x[i:], '}')
			if j < 0 {
				b.WriteString(x)
				break
			}
			name := x[i+1 : i+j]
			if val, ok := vars[name]; ok {
				b.WriteString(x[:i])
				b.WriteString(val)
			} else {
				b.WriteString(x[:i+j+1])
			}
			x = x[i+j+1:]
		}
		return b.String()
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = fill(e, vars, status)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fill(e, vars, status)
		}
		return out
	}
	return v
}
