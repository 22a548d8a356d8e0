package securityclassifyprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// The filter must never reject a key of the table; it should reject most keys that are not.
func TestKeyFilter(t *testing.T) {
	var f keyFilter
	table := DefaultAliases()
	for k := range table {
		f.add(k)
	}
	for k := range table {
		assert.True(t, f.mayContain(k), k)
	}
	passed := 0
	others := []string{"appname", "proc_id", "msg_id", "priority", "facility", "facility_text", "version", "structured_data"}
	for _, fld := range secevent.Fields {
		if _, ok := table[fld.Key]; !ok {
			others = append(others, fld.Key)
		}
	}
	for _, k := range others {
		if f.mayContain(k) {
			passed++
		}
	}
	assert.LessOrEqual(t, passed, len(others)/5, "%d of %d non-alias keys pass the filter", passed, len(others))
}
