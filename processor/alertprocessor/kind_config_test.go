package alertprocessor

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
)

func TestLoadConfigKinds(t *testing.T) {
	cfg := loadConfig(t, "kinds")
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, 2*time.Second, cfg.TickInterval)
	require.Len(t, cfg.Rules, 3)
	assert.Equal(t, "threshold", cfg.Rules[0].kindName(), "no kind: threshold, as before kinds existed")
	d := cfg.Rules[1]
	assert.Equal(t, "distinct", d.Kind)
	assert.Equal(t, "user.name", d.Field)
	a := cfg.Rules[2]
	assert.Equal(t, "absence", a.Kind)
	assert.Equal(t, 168*time.Hour, a.ForgetAfter)
	assert.Equal(t, []map[string]string{{"service.name": "unified-ot-connector", "host.name": "edge-01"}}, a.Expected,
		"dotted keys stay whole (confmap's delimiter is ::)")
	h := newHarness(t, cfg)
	assert.IsType(t, thresholdEvaluator{}, h.p.rules[0].eval)
	assert.IsType(t, &distinctEvaluator{}, h.p.rules[1].eval)
	assert.IsType(t, &absenceEvaluator{}, h.p.rules[2].eval)
}

func TestValidateKindErrors(t *testing.T) {
	err := loadConfig(t, "bad_kinds").Validate()
	require.Error(t, err)
	msg := err.Error()
	want := []string{
		"tick_interval: must be 10ms..1m0s, got 5ms",
		`rules[0] (id "unknown"): kind: unknown rule kind "sliding" (known: absence, distinct, threshold)`,
		`rules[1] (id "threshold_with_field"): field: not a key of kind threshold`,
		`rules[1] (id "threshold_with_field"): forget_after: not a key of kind threshold`,
		`rules[2] (id "distinct_without_field"): threshold: must be 2..1000 distinct values for kind distinct, got 1`,
		`rules[2] (id "distinct_without_field"): field: required for kind distinct`,
		`rules[3] (id "distinct_field_grouped"): expected: not a key of kind distinct`,
		`rules[3] (id "distinct_field_grouped"): field: "user.name" is also in group_by`,
		`rules[4] (id "absence_bad"): cooldown: not a key of kind absence`,
		`rules[4] (id "absence_bad"): threshold: not a key of kind absence`,
		`rules[4] (id "absence_bad"): forget_after: must be 0 (never) or at least the window 10m0s, got 1m0s`,
		`rules[4] (id "absence_bad"): expected[0]: group_by key "host.name" missing`,
		`rules[4] (id "absence_bad"): expected[1]: "user.name" is not a group_by key`,
		`rules[4] (id "absence_bad"): expected[2]: "user.name" is not a group_by key`,
		`rules[4] (id "absence_bad"): expected[2]: duplicates expected[1]`,
	}
	for _, w := range want {
		assert.Contains(t, msg, w)
	}
	assert.Len(t, strings.Split(msg, "\n"), len(want), msg)
}

func TestValidateDistinctField(t *testing.T) {
	for field, want := range map[string]string{
		"user":      `field: "user" is not a key of the security-event schema`,
		"Body":      `field: "Body" is a LogRecord field, not an attribute`,
		"host.name": "",
	} {
		cfg := loadConfig(t, "kinds")
		cfg.Rules[1].Field = field
		err := cfg.Validate()
		if want == "" {
			assert.NoError(t, err, field)
			continue
		}
		require.Error(t, err, field)
		assert.Contains(t, err.Error(), `rules[1] (id "password_spraying"): `+want)
	}
}

// The registry names every kind the README documents, and each kind has all its parts.
func TestKindRegistry(t *testing.T) {
	assert.Equal(t, "absence, distinct, threshold", kindNames())
	for name, k := range kinds {
		assert.NotNil(t, k.validate, name)
		assert.NotNil(t, k.newEvaluator, name)
		assert.NotNil(t, k.fingerprint, name)
		for _, key := range k.keys {
			assert.Contains(t, kindKeySet, key, "%s accepts a key kindKeySet does not know", name)
		}
	}
	assert.Panics(t, func() { registerKind("threshold", kinds["threshold"]) })
}

// State written before rule kinds existed (same v1 layout: a threshold rule's groups under
// "groups", the same fingerprint) still loads.
func TestRestoreStateFromBeforeKinds(t *testing.T) {
	st := newMemStorage()
	cfg := defaultConfig()
	cfg.Storage = &storageID
	r := cfg.Rules[0]
	fp := thresholdFingerprint(r, int64(cfg.MaxLateness))
	wm := t0.Add(2 * time.Second).UnixNano()
	st.data["Processor/alert//"+storageKey] = []byte(fmt.Sprintf(
		`{"v":1,"rules":{"failed_logins":{"fp":%q,"groups":[{"g":["alice","10.0.0.1"],"wm":%d,"t":[%d,%d,%d],"ids":["a","b","c"]}]}}}`,
		fp, wm, t0.UnixNano(), t0.Add(time.Second).UnixNano(), wm))
	h := newHarness(t, cfg)
	require.NoError(t, h.p.Start(t.Context(), host{storageID: st}))
	t.Cleanup(func() { _ = h.p.Shutdown(t.Context()) })
	require.Len(t, thresholdOf(h.p, 0).groups, 1)
	require.Empty(t, h.send(failedLogin(t0.Add(3*time.Second), "alice", "10.0.0.1")))
	require.Len(t, h.send(failedLogin(t0.Add(4*time.Second), "alice", "10.0.0.1")), 1, "3 restored + 2 new = 5")
}
