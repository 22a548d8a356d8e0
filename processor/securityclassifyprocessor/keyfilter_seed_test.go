package securityclassifyprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// The classifier's filter passes every key it acts on and, by its choice of seed, none of the
// schema's other keys nor the syslog receiver's: a secevent record costs no alias-table lookup.
func TestKeyFilterSeedRejectsRecordKeys(t *testing.T) {
	for name, cfg := range map[string]*Config{"default": defaultConfig(), "custom": loadConfig(t, "custom")} {
		c, err := newClassifier(cfg, processortest.NewNopSettings(metadata.Type))
		require.NoError(t, err, name)
		for k := range c.keys {
			assert.True(t, c.keyFilter.mayContain(k), "%s: %s must pass", name, k)
		}
		others := append([]string(nil), commonRecordKeys...)
		for _, f := range secevent.Fields {
			others = append(others, f.Key)
		}
		for _, k := range others {
			if _, in := c.keys[k]; !in {
				assert.False(t, c.keyFilter.mayContain(k), "%s: %s must be rejected", name, k)
			}
		}
	}
}
