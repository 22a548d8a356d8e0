package alertprocessor // import "github.com/unified-ot/otelcol-siem/processor/alertprocessor"

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// A rule kind is how a rule turns matching records into alerts. The processor does what every
// kind shares (conditions, group_by values, event time, the lock, the timer, emitting, storage);
// a kind is one file that registers a kindSpec from init() and implements evaluator. Adding a kind
// is that file, its tests and its README section.

// defaultKind is the kind of a rule without `kind:`, so configurations written before kinds existed
// keep their meaning.
const defaultKind = "threshold"

// Kind-specific rule keys: every key of RuleConfig that not all kinds accept. kindSpec.keys lists
// the ones a kind accepts; a rule that sets another is refused, naming the key.
const (
	keyThreshold   = "threshold"
	keyCooldown    = "cooldown"
	keyField       = "field"
	keyExpected    = "expected"
	keyForgetAfter = "forget_after"
)

// kindKeySet reports, per kind-specific key, whether a rule sets it (a non-zero value).
var kindKeySet = map[string]func(*RuleConfig) bool{
	keyThreshold:   func(r *RuleConfig) bool { return r.Threshold != 0 },
	keyCooldown:    func(r *RuleConfig) bool { return r.Cooldown != 0 },
	keyField:       func(r *RuleConfig) bool { return r.Field != "" },
	keyExpected:    func(r *RuleConfig) bool { return len(r.Expected) > 0 },
	keyForgetAfter: func(r *RuleConfig) bool { return r.ForgetAfter != 0 },
}

// kindSpec describes one rule kind.
type kindSpec struct {
	// keys are the kind-specific keys (kindKeySet) the kind accepts.
	keys []string
	// validate checks the kind's own keys; each error starts with the key it is about.
	validate func(r *RuleConfig) []error
	// newEvaluator builds the evaluator of a validated rule.
	newEvaluator func(r *compiledRule, lim limits) evaluator
	// fingerprint returns what gives the kind's saved state its meaning; state saved under another
	// fingerprint is discarded at start.
	fingerprint func(r *compiledRule) string
}

// kinds is the registry, filled by the kind files' init functions.
var kinds = map[string]*kindSpec{}

func registerKind(name string, k *kindSpec) {
	if _, dup := kinds[name]; dup {
		panic("alertprocessor: rule kind " + name + " registered twice")
	}
	kinds[name] = k
}

// kindNames lists the registered kinds, sorted, for error messages.
func kindNames() string {
	names := slices.Sorted(maps.Keys(kinds))
	return strings.Join(names, ", ")
}

// validateKind checks the kind of r and its kind-specific keys.
func validateKind(r *RuleConfig) []error {
	kind := r.kindName()
	k, ok := kinds[kind]
	if !ok {
		return []error{fmt.Errorf("kind: unknown rule kind %q (known: %s)", kind, kindNames())}
	}
	var errs []error
	keys := slices.Sorted(maps.Keys(kindKeySet))
	for _, key := range keys {
		if kindKeySet[key](r) && !slices.Contains(k.keys, key) {
			errs = append(errs, fmt.Errorf("%s: not a key of kind %s", key, kind))
		}
	}
	return append(errs, k.validate(r)...)
}

// limits are the processor-wide bounds an evaluator applies.
type limits struct {
	maxGroups int
	maxSample int
}

// observation is one record that matched a rule's condition.
type observation struct {
	res pcommon.Resource
	lr  plog.LogRecord
	// key is the group's encoded key (appendGroupKey of values); both are only valid during the
	// call (the evaluator copies what it keeps).
	key    []byte
	values []string
	// t is the record's event time (Unix ns), already clamped to now when it lay beyond
	// max_lateness in the future; now is the processing time.
	t, now int64
}

// evaluator is the state and logic of one rule of one kind. The processor serialises every call
// under its lock, so an evaluator needs no synchronisation of its own.
type evaluator interface {
	// observe feeds one matching record; it returns an alert or nil.
	observe(o *observation) *firing
	// tick is called with the processing time before every batch and at every tick_interval; it
	// returns the alerts that are due without any record (nil for most kinds) and whether the
	// state changed (for the checkpoint).
	tick(now int64) ([]*firing, bool)
	// snapshot returns a copy of the state, sharing nothing mutable with it, to be JSON-encoded
	// outside the lock as the rule's "groups".
	snapshot() any
	// restore loads what snapshot saved (already checked against the fingerprint) at processing
	// time now, and returns the number of groups restored.
	restore(data json.RawMessage, now int64) (int, error)
	// drain returns and resets the counts gathered since the last call, for the metrics.
	drain() kindCounters
}

// silentGauge is implemented by evaluators that report silent groups (absence); the processor
// observes it for otelcol_processor_alert_groups_silent, without its lock: silentGroups must be
// safe to call concurrently with the evaluator's other methods.
type silentGauge interface {
	silentGroups() int64
}

// kindCounters are the per-rule event counts an evaluator gathers between metric flushes.
type kindCounters struct {
	evicted int64 // groups evicted at max_groups_per_rule
	refused int64 // new groups not tracked because the rule is at max_groups_per_rule
	late    int64 // matching records beyond max_lateness
}

// eventID reads the record's event.id, bounded like a group value ("" when it has none).
func eventID(lr plog.LogRecord) string {
	if v, ok := lr.Attributes().Get(secevent.KeyEventID); ok {
		return boundValue(v.AsString())
	}
	return ""
}

// hashFingerprint is a kind's fingerprint of the given definition parts (the kind's name first, so
// that a rule whose kind changed never reads the other kind's state).
func hashFingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%q|", p)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}
