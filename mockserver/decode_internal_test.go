package mockserver

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/tenantkit/tenantkit/mockserver/tenant"
)

// A value the spec let through but the Go type cannot hold is named by its
// field, never by a Go type.
func TestDecodeJSONNamesTheField(t *testing.T) {
	var ff tenant.FaultsFixture
	err := decodeJSON([]byte(`{"rules":[{"kind":"500","probability":1,"times":1e30}]}`), &ff)
	assert.EqualError(t, err, "rules.times: number 1e30 is out of range")
}
