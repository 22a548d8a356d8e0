package securityclassifyprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// Records without any alias (as secevent sends them) take the path on which processRecord knows
// from its one walk over the attributes which of the classification keys and target are present;
// every combination must give what the full searches give.
func TestCanonicalRecordsClassificationKeys(t *testing.T) {
	h := newHarness(t, keepAll())

	// Producer category, a stale rule id and no source: the rule id is removed, the source added.
	lr := classifyOne(t, h, rec{body: "x", sev: warn, attrs: map[string]any{
		secevent.KeyCategory: "network", secevent.KeyClassificationRule: "stale",
	}})
	assert.Equal(t, "producer", attrStr(lr, secevent.KeyClassificationSource))
	assert.Equal(t, "<absent>", attrStr(lr, secevent.KeyClassificationRule))
	assert.Equal(t, 2, lr.Attributes().Len())

	// Producer category and the seed's target: placed as for an aliased record.
	lr = classifyOne(t, h, rec{body: "x", sev: warn, attrs: map[string]any{
		secevent.KeyCategory: "network", "target": "plc-7.example:502",
	}})
	p := secevent.PlaceTarget(secevent.CategoryNetwork, "plc-7.example:502")
	assert.Equal(t, p.Value, attrStr(lr, p.Key))
	assert.Equal(t, "plc-7.example:502", attrStr(lr, "target"), "kept: keep_original_keys")
	assert.Equal(t, "producer", attrStr(lr, secevent.KeyClassificationSource))

	// No category, a rule that matches: category, source, rule id and the rule's set are added.
	lr = classifyOne(t, h, rec{body: "x", sev: warn, attrs: map[string]any{secevent.KeyAction: "connect"}})
	assert.Equal(t, "network", attrStr(lr, secevent.KeyCategory))
	assert.Equal(t, "rule", attrStr(lr, secevent.KeyClassificationSource))
	assert.Equal(t, "seed_network_actions", attrStr(lr, secevent.KeyClassificationRule))
	assert.Equal(t, 4, lr.Attributes().Len())

	// An upstream source with its rule: both kept, nothing added.
	lr = classifyOne(t, h, rec{body: "x", sev: warn, attrs: map[string]any{
		secevent.KeyCategory: "authentication", secevent.KeyClassificationSource: "keyword", secevent.KeyClassificationRule: "r1",
	}})
	assert.Equal(t, "keyword", attrStr(lr, secevent.KeyClassificationSource))
	assert.Equal(t, "r1", attrStr(lr, secevent.KeyClassificationRule))
	assert.Equal(t, 3, lr.Attributes().Len())
}
