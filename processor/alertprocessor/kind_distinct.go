package alertprocessor // import "github.com/unified-ot/otelcol-siem/processor/alertprocessor"

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// distinct: at least `threshold` distinct values of `field` in one group within `window` (event
// time) fire the rule, e.g. password spraying: one source.address trying ≥ 10 user.name values in
// 5 minutes. Lateness, future clamping, cooldown and idle expiry work as for threshold.
//
// Memory: a group keeps the `threshold` most recently seen distinct values (each with its newest
// event time and event.id), never more: when a new value arrives and the set is full, the value
// seen longest ago makes room. With records in event-time order that is exact (if threshold values
// fall in one window, they are the most recent ones); a value that arrives out of order may be the
// one that makes room.

// actionDistinct is the event.action of a distinct alert.
const actionDistinct = "distinct"

// maxSummaryValues bounds how many of the distinct values an alert's Body lists.
const maxSummaryValues = 20

func init() {
	registerKind("distinct", &kindSpec{
		keys:         []string{keyThreshold, keyCooldown, keyField},
		validate:     validateDistinct,
		newEvaluator: newDistinctEvaluator,
		fingerprint: func(r *compiledRule) string {
			return hashFingerprint("distinct", r.cfg.Condition, strconv.Itoa(r.cfg.Threshold), r.cfg.Window.String(),
				strconv.FormatInt(r.lateness, 10), r.cfg.Field, strings.Join(r.cfg.GroupBy, "\x00"))
		},
	})
}

func validateDistinct(r *RuleConfig) []error {
	var errs []error
	if r.Threshold < 2 || r.Threshold > maxThreshold {
		errs = append(errs, fmt.Errorf("threshold: must be 2..%d distinct values for kind distinct, got %d", maxThreshold, r.Threshold))
	}
	if r.Cooldown < 0 {
		errs = append(errs, fmt.Errorf("cooldown: must not be negative, got %s", r.Cooldown))
	}
	f, ok := secevent.FieldByKey(r.Field)
	switch {
	case r.Field == "":
		errs = append(errs, errors.New("field: required for kind distinct (the key whose distinct values are counted)"))
	case !ok:
		errs = append(errs, fmt.Errorf("field: %q is not a key of the security-event schema", r.Field))
	case f.Place == secevent.PlaceRecord:
		errs = append(errs, fmt.Errorf("field: %q is a LogRecord field, not an attribute", r.Field))
	case slices.Contains(r.GroupBy, r.Field):
		errs = append(errs, fmt.Errorf("field: %q is also in group_by, so a group never has two values of it", r.Field))
	}
	return errs
}

// distinctValue is one value of the field in a group: its newest event time and that record's
// event.id.
type distinctValue struct {
	v  string
	t  int64
	id string
}

// distinctGroup is the state of one group of a distinct rule.
type distinctGroup struct {
	vals          []distinctValue // at most threshold, in no particular order
	watermark     int64
	hasWatermark  bool
	cooldownUntil int64 // event time; 0: no open incident
}

type distinctEvaluator struct {
	rule   *compiledRule
	lim    limits
	groups map[string]*node[distinctGroup]
	lru    list[distinctGroup] // by last update, for eviction and idle expiry
	c      kindCounters
}

func newDistinctEvaluator(r *compiledRule, lim limits) evaluator {
	return &distinctEvaluator{rule: r, lim: lim, groups: make(map[string]*node[distinctGroup])}
}

func (e *distinctEvaluator) observe(o *observation) *firing {
	r := e.rule
	raw, ok := lookup(o.res, o.lr, r.cfg.Field)
	if !ok {
		return nil
	}
	n, ok := e.groups[string(o.key)]
	if !ok {
		n = newNode[distinctGroup](o.key, o.values, o.now)
		e.groups[n.key] = n
		e.lru.pushFront(n)
		for len(e.groups) > e.lim.maxGroups && e.lru.tail != n {
			old := e.lru.tail
			e.lru.unlink(old)
			delete(e.groups, old.key)
			e.c.evicted++
		}
	} else {
		e.lru.moveToFront(n, o.now)
	}
	g := &n.v
	t := o.t
	if g.hasWatermark && t < g.watermark-r.lateness {
		e.c.late++
		return nil
	}
	if !g.hasWatermark || t > g.watermark {
		g.watermark, g.hasWatermark = t, true
	}
	if g.cooldownUntil != 0 {
		if t < g.cooldownUntil {
			return nil
		}
		g.cooldownUntil = 0
	}

	// Forget values no future record can share a window with.
	horizon := g.watermark - r.lateness - r.window
	g.vals = slices.DeleteFunc(g.vals, func(d distinctValue) bool { return d.t < horizon })

	v := boundValue(raw)
	if i := slices.IndexFunc(g.vals, func(d distinctValue) bool { return d.v == v }); i >= 0 {
		if t > g.vals[i].t {
			g.vals[i].t, g.vals[i].id = t, eventID(o.lr)
		}
	} else {
		if len(g.vals) >= r.threshold {
			oldest := 0
			for j := range g.vals {
				if g.vals[j].t < g.vals[oldest].t {
					oldest = j
				}
			}
			if g.vals[oldest].t > t {
				return nil // the new value is older than every kept one: it cannot complete a window
			}
			g.vals = slices.Delete(g.vals, oldest, oldest+1)
		}
		if g.vals == nil {
			g.vals = make([]distinctValue, 0, min(r.threshold, initialEntries))
		}
		g.vals = append(g.vals, distinctValue{v: strings.Clone(v), t: t, id: eventID(o.lr)})
	}
	if len(g.vals) < r.threshold {
		return nil
	}
	first, last := g.vals[0].t, g.vals[0].t
	for _, d := range g.vals[1:] {
		first, last = min(first, d.t), max(last, d.t)
	}
	if last-first > r.window {
		return nil
	}
	return e.fire(n, first, last)
}

// fire turns the group's values into an alert, clears them (the next alert needs threshold new
// crossings) and opens an incident for the cooldown.
func (e *distinctEvaluator) fire(n *node[distinctGroup], first, last int64) *firing {
	r := e.rule
	g := &n.v
	slices.SortFunc(g.vals, func(a, b distinctValue) int {
		return cmp.Or(cmp.Compare(a.t, b.t), strings.Compare(a.v, b.v))
	})
	f := &firing{
		rule:    r,
		values:  n.values,
		action:  actionDistinct,
		count:   len(g.vals),
		first:   first,
		last:    last,
		alertID: uuid.NewString(),
	}
	for _, d := range g.vals {
		if d.id != "" && len(f.sampleIDs) < e.lim.maxSample {
			f.sampleIDs = append(f.sampleIDs, d.id)
		}
	}
	var b []byte
	b = strconv.AppendInt(b, int64(len(g.vals)), 10)
	b = append(b, " distinct "...)
	b = append(b, r.cfg.Field...)
	b = append(b, " values"...)
	b = appendGroupText(b, r.cfg.GroupBy, n.values)
	b = append(b, " between "...)
	b = append(b, formatTime(first)...)
	b = append(b, " and "...)
	b = append(b, formatTime(last)...)
	b = append(b, ": "...)
	for i, d := range g.vals {
		if i == maxSummaryValues {
			b = append(b, ", …"...)
			break
		}
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendQuote(b, d.v)
	}
	f.summary = string(b)
	g.vals = g.vals[:0]
	if r.cooldown > 0 {
		g.cooldownUntil = last + r.cooldown
	}
	return f
}

// tick forgets groups that nothing updated for window + max_lateness + cooldown of processing time:
// their values can no longer complete a window and their cooldown has passed.
func (e *distinctEvaluator) tick(now int64) ([]*firing, bool) {
	ttl := int64(e.rule.idleTTL)
	changed := false
	for n := e.lru.tail; n != nil && now-n.touched > ttl; n = e.lru.tail {
		e.lru.unlink(n)
		delete(e.groups, n.key)
		changed = true
	}
	return nil, changed
}

func (e *distinctEvaluator) drain() kindCounters {
	c := e.c
	e.c = kindCounters{}
	return c
}

type distinctGroupSnapshot struct {
	Values    []string `json:"g,omitempty"`
	RawValues [][]byte `json:"gb,omitempty"` // replaces Values when one is not valid UTF-8
	Watermark *int64   `json:"wm,omitempty"`
	// Distinct values as bytes (base64 in JSON), so that values that are not valid UTF-8 stay
	// distinct; their times and event.ids alongside.
	Distinct      [][]byte `json:"d,omitempty"`
	Times         []int64  `json:"t,omitempty"`
	IDs           []string `json:"ids,omitempty"`
	CooldownUntil int64    `json:"cd,omitempty"`
}

// snapshot lists the groups least recently updated first, so that restore rebuilds the LRU order.
func (e *distinctEvaluator) snapshot() any {
	out := make([]distinctGroupSnapshot, 0, len(e.groups))
	for n := e.lru.tail; n != nil; n = n.prev {
		g := &n.v
		gs := distinctGroupSnapshot{CooldownUntil: g.cooldownUntil}
		gs.Values, gs.RawValues = valuesForSave(n.values)
		if g.hasWatermark {
			wm := g.watermark
			gs.Watermark = &wm
		}
		for _, d := range g.vals {
			gs.Distinct = append(gs.Distinct, []byte(d.v))
			gs.Times = append(gs.Times, d.t)
			gs.IDs = append(gs.IDs, d.id)
		}
		out = append(out, gs)
	}
	return out
}

// restore loads the saved groups, touched at now (as threshold's: a long stop does not expire them
// before the producer's buffered records arrive).
func (e *distinctEvaluator) restore(data json.RawMessage, now int64) (int, error) {
	var saved []distinctGroupSnapshot
	if err := json.Unmarshal(data, &saved); err != nil {
		return 0, err
	}
	var key []byte
	count := 0
	for _, gs := range saved {
		values := savedValues(gs.Values, gs.RawValues)
		if len(values) != len(e.rule.cfg.GroupBy) || len(gs.Distinct) != len(gs.Times) || len(gs.Times) != len(gs.IDs) {
			return count, errors.New("a group does not fit the rule")
		}
		key = appendGroupKey(key[:0], values)
		if old, dup := e.groups[string(key)]; dup {
			e.lru.unlink(old)
			delete(e.groups, old.key)
		}
		n := newNode[distinctGroup](key, values, now)
		g := &n.v
		g.cooldownUntil = gs.CooldownUntil
		if gs.Watermark != nil {
			g.watermark, g.hasWatermark = *gs.Watermark, true
		}
		m := min(len(gs.Distinct), e.rule.threshold)
		for i := len(gs.Distinct) - m; i < len(gs.Distinct); i++ {
			g.vals = append(g.vals, distinctValue{v: string(gs.Distinct[i]), t: gs.Times[i], id: gs.IDs[i]})
		}
		e.groups[n.key] = n
		e.lru.pushFront(n)
		count++
	}
	for len(e.groups) > e.lim.maxGroups {
		old := e.lru.tail
		e.lru.unlink(old)
		delete(e.groups, old.key)
	}
	return count, nil
}
