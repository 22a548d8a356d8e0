package alertprocessor // import "github.com/unified-ot/otelcol-siem/processor/alertprocessor"

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// absence: a group (e.g. service.name + host.name) that was seen before, or is listed in
// `expected`, and has sent nothing matching for `window` fires one alert (event.action absence);
// when it sends again, a recovery alert (event.action absence_recovered, severity low) reports
// how long it was silent.
//
// Silence is measured in processing time (when the collector received the records), since it is
// about delivery: a producer's clock or a replayed buffer must not hide it. The timer
// (tick_interval) checks the deadlines, so the alert comes at most one tick after the window.
//
// Groups live in one of two lists: active (ordered by the time their silence clock started, so
// the timer only looks at the oldest) or silent (ordered by when they went silent, for
// forget_after). Expected groups that are silent are in neither: they are never forgotten.

// Event actions of the absence kind's alerts.
const (
	actionAbsence          = "absence"
	actionAbsenceRecovered = "absence_recovered"
)

func init() {
	registerKind("absence", &kindSpec{
		keys:         []string{keyExpected, keyForgetAfter},
		validate:     validateAbsence,
		newEvaluator: newAbsenceEvaluator,
		fingerprint: func(r *compiledRule) string {
			// The window may change without discarding what was seen: a last-seen time keeps its
			// meaning.
			return hashFingerprint("absence", r.cfg.Condition, strings.Join(r.cfg.GroupBy, "\x00"))
		},
	})
}

func validateAbsence(r *RuleConfig) []error {
	var errs []error
	if r.ForgetAfter < 0 {
		errs = append(errs, fmt.Errorf("forget_after: must not be negative, got %s", r.ForgetAfter))
	} else if r.ForgetAfter > 0 && r.ForgetAfter < r.Window {
		errs = append(errs, fmt.Errorf("forget_after: must be 0 (never) or at least the window %s, got %s", r.Window, r.ForgetAfter))
	}
	seen := map[string]int{}
	var key []byte
	for j, exp := range r.Expected {
		for k := range exp {
			if !slices.Contains(r.GroupBy, k) {
				errs = append(errs, fmt.Errorf("expected[%d]: %q is not a group_by key", j, k))
			}
		}
		values := make([]string, len(r.GroupBy))
		for i, k := range r.GroupBy {
			v, ok := exp[k]
			if !ok {
				errs = append(errs, fmt.Errorf("expected[%d]: group_by key %q missing", j, k))
			}
			values[i] = v
		}
		key = appendGroupKey(key[:0], values)
		if i, dup := seen[string(key)]; dup {
			errs = append(errs, fmt.Errorf("expected[%d]: duplicates expected[%d]", j, i))
		}
		seen[string(key)] = j
	}
	return errs
}

// absenceGroup is the state of one watched group.
type absenceGroup struct {
	// lastSeen is the processing time (Unix ns) of the group's last matching record; 0 for an
	// expected group never seen. (Its event.id is not kept: that would cost a copy per record on
	// the hot path; the recovery alert carries the id of the record that ended the silence.)
	lastSeen int64
	// since is when the silence clock started: lastSeen, or start-up for a group that was fine
	// at shutdown or is expected but never seen. The alert fires at since + window.
	since    int64
	silent   bool
	expected bool
}

type absenceEvaluator struct {
	rule     *compiledRule
	lim      limits
	window   int64
	forget   int64
	groups   map[string]*node[absenceGroup]
	active   list[absenceGroup] // not silent, most recent since first
	silentL  list[absenceGroup] // silent and not expected, most recently silent first
	expected [][]string         // the configured expected groups' values, in group_by order
	seeded   bool
	silentN  atomic.Int64 // groups silent now: read by the gauge callback without the lock
	c        kindCounters
}

func (e *absenceEvaluator) silentGroups() int64 { return e.silentN.Load() }

func newAbsenceEvaluator(r *compiledRule, lim limits) evaluator {
	e := &absenceEvaluator{
		rule:   r,
		lim:    lim,
		window: int64(r.cfg.Window),
		forget: int64(r.cfg.ForgetAfter),
		groups: make(map[string]*node[absenceGroup]),
	}
	for _, exp := range r.cfg.Expected {
		values := make([]string, len(r.cfg.GroupBy))
		for i, k := range r.cfg.GroupBy {
			values[i] = boundValue(exp[k])
		}
		e.expected = append(e.expected, values)
	}
	return e
}

// seed adds the expected groups at the first tick or record (after a restore, which may already
// hold them): their silence clock starts at now, and they are never forgotten.
func (e *absenceEvaluator) seed(now int64) {
	if e.seeded {
		return
	}
	e.seeded = true
	var key []byte
	for _, values := range e.expected {
		key = appendGroupKey(key[:0], values)
		n, ok := e.groups[string(key)]
		if !ok {
			n = newNode[absenceGroup](key, values, now)
			n.v.since = now
			e.groups[n.key] = n
			e.active.pushFront(n)
		} else if n.v.silent {
			e.silentL.unlink(n)
		}
		n.v.expected = true
	}
}

func (e *absenceEvaluator) observe(o *observation) *firing {
	e.seed(o.now)
	n, ok := e.groups[string(o.key)]
	if !ok {
		if len(e.groups) >= e.lim.maxGroups {
			// Watching a new group must not push out one that is silent (an attacker inventing
			// service names would otherwise hide a real outage): the new one is not watched.
			e.c.refused++
			return nil
		}
		n = newNode[absenceGroup](o.key, o.values, o.now)
		n.v.lastSeen, n.v.since = o.now, o.now
		e.groups[n.key] = n
		e.active.pushFront(n)
		return nil
	}
	g := &n.v
	var f *firing
	if g.silent {
		f = e.recovered(n, o.now, strings.Clone(eventID(o.lr)))
		g.silent = false
		e.silentN.Add(-1)
		if !g.expected {
			e.silentL.unlink(n)
		}
		e.active.pushFront(n)
	} else {
		e.active.moveToFront(n, o.now)
	}
	g.lastSeen, g.since = o.now, o.now
	return f
}

// tick fires for every active group whose silence reached the window, and forgets groups silent
// for longer than forget_after.
func (e *absenceEvaluator) tick(now int64) ([]*firing, bool) {
	e.seed(now)
	var fired []*firing
	changed := false
	for n := e.active.tail; n != nil && now-n.v.since >= e.window; n = e.active.tail {
		e.active.unlink(n)
		n.v.silent = true
		e.silentN.Add(1)
		n.touched = now
		if !n.v.expected {
			e.silentL.pushFront(n)
		}
		fired = append(fired, e.silence(n, now))
	}
	if e.forget > 0 {
		for n := e.silentL.tail; n != nil && now-n.touched >= e.forget; n = e.silentL.tail {
			e.silentL.unlink(n)
			delete(e.groups, n.key)
			e.silentN.Add(-1)
			changed = true
		}
	}
	return fired, changed
}

// silence is the alert for a group silent since n.v.since.
func (e *absenceEvaluator) silence(n *node[absenceGroup], now int64) *firing {
	r := e.rule
	g := &n.v
	start := g.lastSeen
	if start == 0 {
		start = g.since // expected, never seen: silent since the watch started
	}
	f := &firing{rule: r, values: n.values, action: actionAbsence, first: start, last: now, alertID: uuid.NewString()}
	var b []byte
	b = append(b, "no matching events"...)
	b = appendGroupText(b, r.cfg.GroupBy, n.values)
	if g.lastSeen == 0 {
		b = append(b, " (expected, never seen) since "...)
	} else {
		b = append(b, " since "...)
	}
	b = append(b, formatTime(start)...)
	b = append(b, ": silent for "...)
	b = append(b, roundDuration(now-start)...)
	b = append(b, " (window "...)
	b = append(b, r.cfg.Window.String()...)
	b = append(b, ")"...)
	f.summary = string(b)
	return f
}

// recovered is the alert for a silent group that sent a matching record (event.id id) at now.
func (e *absenceEvaluator) recovered(n *node[absenceGroup], now int64, id string) *firing {
	r := e.rule
	g := &n.v
	start := g.lastSeen
	if start == 0 {
		start = g.since
	}
	f := &firing{
		rule: r, values: n.values, action: actionAbsenceRecovered, severity: secevent.AlertSeverityLow,
		count: 1, first: start, last: now, alertID: uuid.NewString(),
	}
	if id != "" && e.lim.maxSample > 0 {
		f.sampleIDs = []string{id}
	}
	var b []byte
	b = append(b, "matching events again"...)
	b = appendGroupText(b, r.cfg.GroupBy, n.values)
	b = append(b, " after "...)
	b = append(b, roundDuration(now-start)...)
	b = append(b, " of silence (from "...)
	b = append(b, formatTime(start)...)
	b = append(b, " to "...)
	b = append(b, formatTime(now)...)
	b = append(b, ")"...)
	f.summary = string(b)
	return f
}

// roundDuration is d (ns) to the second, as a person reads it.
func roundDuration(d int64) string { return time.Duration(d).Round(time.Second).String() }

func (e *absenceEvaluator) drain() kindCounters {
	c := e.c
	e.c = kindCounters{}
	return c
}

type absenceGroupSnapshot struct {
	Values    []string `json:"g,omitempty"`
	RawValues [][]byte `json:"gb,omitempty"` // replaces Values when one is not valid UTF-8
	LastSeen  int64    `json:"ls,omitempty"`
	Silent    bool     `json:"silent,omitempty"`
	// SilentAt is when a silent group went silent (for forget_after).
	SilentAt int64 `json:"sa,omitempty"`
}

// snapshot saves the active groups oldest first, then the silent ones oldest first, so that
// restore rebuilds both orders by pushing to the front.
func (e *absenceEvaluator) snapshot() any {
	out := make([]absenceGroupSnapshot, 0, len(e.groups))
	add := func(n *node[absenceGroup]) {
		gs := absenceGroupSnapshot{LastSeen: n.v.lastSeen, Silent: n.v.silent}
		if n.v.silent {
			gs.SilentAt = n.touched
		}
		gs.Values, gs.RawValues = valuesForSave(n.values)
		out = append(out, gs)
	}
	for n := e.active.tail; n != nil; n = n.prev {
		add(n)
	}
	for n := e.silentL.tail; n != nil; n = n.prev {
		add(n)
	}
	// Silent expected groups are in no list; their order does not matter.
	for _, n := range e.groups {
		if n.v.silent && n.v.expected {
			add(n)
		}
	}
	return out
}

// restore loads the saved groups at start-up time now. A group that was silent stays silent
// (no second alert; its recovery alert will count the silence from before the stop). A group that
// was fine gets a fresh window from now: the collector could not hear it while it was down, and
// alerting on every group at once after a long stop would be a storm of false alerts; a group that
// really went silent during the stop is reported one window after the start, with its real last
// seen time.
func (e *absenceEvaluator) restore(data json.RawMessage, now int64) (int, error) {
	var saved []absenceGroupSnapshot
	if err := json.Unmarshal(data, &saved); err != nil {
		return 0, err
	}
	var key []byte
	count := 0
	for _, gs := range saved {
		values := savedValues(gs.Values, gs.RawValues)
		if len(values) != len(e.rule.cfg.GroupBy) {
			return count, errors.New("a group does not fit the rule")
		}
		if gs.LastSeen == 0 && !gs.Silent {
			// Expected and never seen: seed adds it again if it is still expected.
			continue
		}
		if len(e.groups) >= e.lim.maxGroups {
			e.c.refused++
			continue
		}
		key = appendGroupKey(key[:0], values)
		if _, dup := e.groups[string(key)]; dup {
			continue
		}
		n := newNode[absenceGroup](key, values, now)
		n.v.lastSeen, n.v.silent = gs.LastSeen, gs.Silent
		e.groups[n.key] = n
		if gs.Silent {
			e.silentN.Add(1)
			e.silentL.pushFront(n)
			n.touched = gs.SilentAt
		} else {
			n.v.since = now
			e.active.pushFront(n)
		}
		count++
	}
	return count, nil
}
