package alertprocessor // import "github.com/unified-ot/otelcol-siem/processor/alertprocessor"

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// threshold: `threshold` matching records of one group within `window` (event time) fire the
// rule; a `cooldown` opens an incident that absorbs the group's further records. The window engine
// is ruleState (state.go).

func init() {
	registerKind("threshold", &kindSpec{
		keys:         []string{keyThreshold, keyCooldown},
		validate:     validateThreshold,
		newEvaluator: newThresholdEvaluator,
		fingerprint: func(r *compiledRule) string {
			return thresholdFingerprint(r.cfg, r.lateness)
		},
	})
}

func validateThreshold(r *RuleConfig) []error {
	var errs []error
	if r.Threshold < 1 || r.Threshold > maxThreshold {
		errs = append(errs, fmt.Errorf("threshold: must be 1..%d, got %d", maxThreshold, r.Threshold))
	}
	if r.Cooldown < 0 {
		errs = append(errs, fmt.Errorf("cooldown: must not be negative, got %s", r.Cooldown))
	}
	return errs
}

// thresholdEvaluator adapts ruleState to the evaluator interface.
type thresholdEvaluator struct {
	*ruleState
}

func newThresholdEvaluator(r *compiledRule, lim limits) evaluator {
	return thresholdEvaluator{newRuleState(r, lim.maxGroups, lim.maxSample)}
}

func (e thresholdEvaluator) observe(o *observation) *firing {
	g := e.admit(o.key, o.values, o.t, o.now)
	if g == nil {
		// Most records of an attack end here (absorbed by the open incident), so the record's
		// event.id is read only after admit.
		return nil
	}
	return e.count(g, o.t, eventID(o.lr))
}

// tick forgets idle groups; a threshold rule never fires without a record.
func (e thresholdEvaluator) tick(now int64) ([]*firing, bool) {
	before := len(e.groups)
	if before > 0 {
		e.expire(now)
	}
	return nil, len(e.groups) != before
}

func (e thresholdEvaluator) drain() kindCounters {
	c := kindCounters{evicted: e.evicted, late: e.late}
	e.evicted, e.late = 0, 0
	return c
}

// thresholdFingerprint hashes the parts of a rule that give its state its meaning. Name, severity,
// description and cooldown may change without discarding the counters. (Its form predates kinds,
// so the state saved by earlier builds still loads.)
func thresholdFingerprint(r RuleConfig, lateness int64) string {
	h := sha256.New()
	fmt.Fprintf(h, "%q|%d|%d|%d|%s", r.Condition, r.Threshold, int64(r.Window), lateness, strings.Join(r.GroupBy, "\x00"))
	return hex.EncodeToString(h.Sum(nil)[:12])
}

type groupSnapshot struct {
	Values        []string `json:"g,omitempty"`
	RawValues     [][]byte `json:"gb,omitempty"` // replaces Values when one is not valid UTF-8
	Watermark     *int64   `json:"wm,omitempty"`
	Times         []int64  `json:"t,omitempty"`
	IDs           []string `json:"ids,omitempty"`
	IncidentID    string   `json:"inc,omitempty"`
	IncidentFirst int64    `json:"if,omitempty"`
	IncidentLast  int64    `json:"il,omitempty"`
	CooldownUntil int64    `json:"cd,omitempty"`
	Suppressed    int64    `json:"sup,omitempty"`
}

// snapshot lists the groups least recently updated first, so that loading rebuilds the same LRU
// order. Group values are immutable and shared.
func (e thresholdEvaluator) snapshot() any {
	out := make([]groupSnapshot, 0, len(e.groups))
	for g := e.tail; g != nil; g = g.prev {
		gs := groupSnapshot{
			IncidentID:    g.incidentID,
			IncidentFirst: g.incidentFirst,
			IncidentLast:  g.incidentLast,
			CooldownUntil: g.cooldownUntil,
			Suppressed:    g.suppressed,
		}
		gs.Values, gs.RawValues = valuesForSave(g.values)
		if g.hasWatermark {
			wm := g.watermark
			gs.Watermark = &wm
		}
		if len(g.entries) > 0 {
			gs.Times = make([]int64, len(g.entries))
			gs.IDs = make([]string, len(g.entries))
			for i, en := range g.entries {
				gs.Times[i], gs.IDs[i] = en.t, en.id
			}
		}
		out = append(out, gs)
	}
	return out
}

// restore loads the saved groups. Restored groups count as touched at now, so a restart after a
// long stop does not expire them before their records can arrive (the producer may have buffered
// them meanwhile).
func (e thresholdEvaluator) restore(data json.RawMessage, now int64) (int, error) {
	var saved []groupSnapshot
	if err := json.Unmarshal(data, &saved); err != nil {
		return 0, err
	}
	r := e.rule
	var key []byte
	n := 0
	for _, gs := range saved {
		values := savedValues(gs.Values, gs.RawValues)
		if len(values) != len(r.cfg.GroupBy) || len(gs.Times) != len(gs.IDs) {
			return n, errors.New("a group does not fit the rule")
		}
		key = appendGroupKey(key[:0], values)
		if old, dup := e.groups[string(key)]; dup {
			e.remove(old)
		}
		g := &group{
			key:           string(key),
			values:        values,
			incidentID:    gs.IncidentID,
			incidentFirst: gs.IncidentFirst,
			incidentLast:  gs.IncidentLast,
			cooldownUntil: gs.CooldownUntil,
			suppressed:    gs.Suppressed,
			lastTouched:   now,
		}
		if gs.Watermark != nil {
			g.watermark, g.hasWatermark = *gs.Watermark, true
		}
		m := min(len(gs.Times), r.maxEntries)
		off := len(gs.Times) - m
		if m > 0 {
			g.entries = make([]entry, m)
			for i := range m {
				g.entries[i] = entry{t: gs.Times[off+i], id: gs.IDs[off+i]}
			}
		}
		e.insert(g)
		n++
	}
	// Loading is not traffic: capacity trimming here is not an eviction of live state.
	e.evicted = 0
	return n, nil
}
