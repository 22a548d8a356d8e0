package alertprocessor // import "github.com/unified-ot/otelcol-siem/processor/alertprocessor"

import (
	"encoding/binary"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/internal/condition"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// matcher decides whether a record counts for a rule. internal/condition's *Condition is one.
type matcher interface {
	Match(res pcommon.Resource, lr plog.LogRecord) (bool, error)
}

// entry is one matching record inside a group's window: its event time (Unix ns) and event.id.
type entry struct {
	t  int64
	id string
}

// group is the state of one combination of group_by values of one rule. Groups form an
// intrusive doubly linked list in least-recently-updated order, so that eviction and idle expiry
// are O(1) and cost no allocation.
type group struct {
	key string
	// values are the group_by values. For a group created by a record they are substrings of key
	// in a slice backed by inline: one allocation (the key) holds them, and the group keeps no
	// reference into the record's pdata.
	values []string
	inline [inlineValues]string

	// entries are the matching records still able to take part in a window, sorted by t.
	entries []entry
	// watermark is the newest event time seen for the group (Unix ns); valid when hasWatermark.
	watermark    int64
	hasWatermark bool

	// The open incident (an alert fired and its cooldown has not passed in event time).
	incidentID    string
	incidentFirst int64
	incidentLast  int64
	cooldownUntil int64 // event time (Unix ns); 0: no open incident
	suppressed    int64 // matching records absorbed by the open incident

	// lastTouched is the processing time (Unix ns) of the last update, for idle expiry.
	lastTouched int64

	prev, next *group // prev is more recent
}

// inlineValues is the number of group_by values a group holds without a separate allocation.
const inlineValues = 3

// initialEntries bounds the window capacity a new group starts with: enough for a seed rule's
// threshold in one allocation, small enough that a rule with a large threshold does not reserve
// it for every group an attacker creates.
const initialEntries = 8

// compiledRule is a validated rule ready to evaluate.
type compiledRule struct {
	index      int // in Config.Rules
	kind       *kindSpec
	cfg        RuleConfig
	match      matcher
	cond       *condition.Condition // match, when it is one (for the index and MatchListed)
	window     int64
	lateness   int64
	cooldown   int64
	threshold  int
	maxEntries int
	// idleTTL is the processing time after which an untouched group is forgotten.
	idleTTL time.Duration
	// What every alert record of the rule carries, computed once.
	eventName      string
	severityNumber plog.SeverityNumber
	severityText   string
}

// firing is what a rule reports when it fires.
type firing struct {
	rule   *compiledRule
	values []string
	// action is the alert's event.action: "" for threshold alerts (as before kinds existed), else
	// what the kind reports (absence, absence_recovered, distinct).
	action      string
	count       int
	first, last int64
	sampleIDs   []string
	alertID     string
	// summary replaces the Body's "<count> matching events for <group> between <first> and
	// <last>" (absence, distinct).
	summary string
	// severity overrides the rule's severity when set (an absence rule's recovery alert is low).
	severity secevent.AlertSeverity
}

// ruleState holds one threshold rule's groups: the window engine of kind_threshold.go.
type ruleState struct {
	rule      *compiledRule
	maxGroups int
	maxSample int
	groups    map[string]*group
	head      *group // most recently updated
	tail      *group // least recently updated

	evicted int64 // groups evicted for capacity since the last metrics flush
	late    int64 // records dropped as too late since the last metrics flush
}

func newRuleState(r *compiledRule, maxGroups, maxSample int) *ruleState {
	return &ruleState{rule: r, maxGroups: maxGroups, maxSample: maxSample, groups: make(map[string]*group)}
}

func (rs *ruleState) unlink(g *group) {
	if g.prev != nil {
		g.prev.next = g.next
	} else {
		rs.head = g.next
	}
	if g.next != nil {
		g.next.prev = g.prev
	} else {
		rs.tail = g.prev
	}
	g.prev, g.next = nil, nil
}

func (rs *ruleState) pushFront(g *group) {
	g.prev = nil
	g.next = rs.head
	if rs.head != nil {
		rs.head.prev = g
	}
	rs.head = g
	if rs.tail == nil {
		rs.tail = g
	}
}

func (rs *ruleState) touch(g *group, now int64) {
	g.lastTouched = now
	if rs.head != g {
		rs.unlink(g)
		rs.pushFront(g)
	}
}

func (rs *ruleState) remove(g *group) {
	rs.unlink(g)
	delete(rs.groups, g.key)
}

// insert adds a new group as the most recent one, evicting the least recently updated group when
// the rule is at capacity.
func (rs *ruleState) insert(g *group) {
	rs.groups[g.key] = g
	rs.pushFront(g)
	for len(rs.groups) > rs.maxGroups && rs.tail != nil && rs.tail != g {
		rs.remove(rs.tail)
		rs.evicted++
	}
}

// expire forgets groups that nothing updated for idleTTL of processing time. The list is in
// update order, so this stops at the first live group.
func (rs *ruleState) expire(now int64) {
	ttl := int64(rs.rule.idleTTL)
	for rs.tail != nil && now-rs.tail.lastTouched > ttl {
		rs.remove(rs.tail)
	}
}

// appendGroupKey encodes group values unambiguously (each prefixed with its length as a uvarint),
// so that no value, whatever bytes it holds, can make two different combinations share a key.
func appendGroupKey(dst []byte, values []string) []byte {
	for _, v := range values {
		dst = binary.AppendUvarint(dst, uint64(len(v)))
		dst = append(dst, v...)
	}
	return dst
}

// newGroup makes the group of key (appendGroupKey of values); its values share key's memory.
func (rs *ruleState) newGroup(key []byte, values []string, now int64) *group {
	g := &group{key: string(key), lastTouched: now}
	if len(values) <= inlineValues {
		g.values = g.inline[:len(values):len(values)]
	} else {
		g.values = make([]string, len(values))
	}
	var lenBuf [binary.MaxVarintLen64]byte
	off := 0
	for i, v := range values {
		off += len(binary.AppendUvarint(lenBuf[:0], uint64(len(v))))
		g.values[i] = g.key[off : off+len(v)]
		off += len(v)
	}
	g.entries = make([]entry, 0, min(rs.rule.threshold, initialEntries))
	return g
}

// observe counts one matching record for the group whose encoded key is key and whose values are
// values (values is only read when the group is new). It returns a firing when the record
// completes a window of threshold records, else nil.
func (rs *ruleState) observe(key []byte, values []string, t int64, id string, now int64) *firing {
	g := rs.admit(key, values, t, now)
	if g == nil {
		return nil
	}
	return rs.count(g, t, id)
}

// admit finds (or creates) the group and updates its watermark and open incident. It returns nil
// when the record does not enter the window: too late, or absorbed by the open incident. Most
// records of an attack end here, so the caller reads the record's event.id only after it.
func (rs *ruleState) admit(key []byte, values []string, t int64, now int64) *group {
	r := rs.rule
	g, ok := rs.groups[string(key)]
	if !ok {
		g = rs.newGroup(key, values, now)
		rs.insert(g)
	} else {
		rs.touch(g, now)
	}

	if g.hasWatermark && t < g.watermark-r.lateness {
		rs.late++
		return nil
	}
	if !g.hasWatermark || t > g.watermark {
		g.watermark, g.hasWatermark = t, true
	}

	if g.cooldownUntil != 0 {
		if t < g.cooldownUntil {
			// The open incident absorbs the record: one alert per group per cooldown.
			g.suppressed++
			if t > g.incidentLast {
				g.incidentLast = t
			}
			return nil
		}
		g.incidentID, g.cooldownUntil, g.suppressed = "", 0, 0
	}
	return g
}

// count adds a record admitted to g's window and fires when it completes one.
func (rs *ruleState) count(g *group, t int64, id string) *firing {
	r := rs.rule
	// Insert in event-time order; in-order arrival appends without moving anything.
	k := len(g.entries)
	for k > 0 && g.entries[k-1].t > t {
		k--
	}
	// A redelivered record (same event.id, e.g. after a client retry) must not count twice. It
	// carries the same event time, so only the entries at that time need comparing.
	if id != "" {
		for x := k - 1; x >= 0 && g.entries[x].t == t; x-- {
			if g.entries[x].id == id {
				return nil
			}
		}
	}
	g.entries = append(g.entries, entry{})
	copy(g.entries[k+1:], g.entries[k:])
	g.entries[k] = entry{t: t, id: id}

	// Drop what no future record can share a window with: a future record is at least
	// watermark-lateness, so only entries from watermark-lateness-window on still matter.
	horizon := g.watermark - r.lateness - r.window
	drop := 0
	for drop < len(g.entries) && g.entries[drop].t < horizon {
		drop++
	}
	if n := len(g.entries) - r.maxEntries; n > drop {
		drop = n
	}
	if drop > 0 {
		g.entries = append(g.entries[:0], g.entries[drop:]...)
		k -= drop
		if k < 0 {
			// The new record itself fell out (it was the oldest beyond the cap).
			return nil
		}
	}

	// Before this record no window held threshold records (it would have fired), so only the
	// windows of exactly threshold consecutive entries that contain the new one can fire.
	n := len(g.entries)
	T := r.threshold
	for i := max(0, k-T+1); i <= k; i++ {
		j := i + T - 1
		if j >= n {
			break
		}
		if g.entries[j].t-g.entries[i].t <= r.window {
			return rs.fire(g, i, j)
		}
	}
	return nil
}

// fire turns entries[i..j] into a firing, clears the group's window (the records are consumed by
// the alert, as in the seed) and opens an incident for the cooldown.
func (rs *ruleState) fire(g *group, i, j int) *firing {
	r := rs.rule
	f := &firing{
		rule:    r,
		values:  g.values,
		count:   j - i + 1,
		first:   g.entries[i].t,
		last:    g.entries[j].t,
		alertID: uuid.NewString(), // random (version 4), lower-case hex with hyphens
	}
	if n := min(j-i+1, rs.maxSample); n > 0 {
		f.sampleIDs = make([]string, 0, n)
	}
	for x := i; x <= j && len(f.sampleIDs) < rs.maxSample; x++ {
		if id := g.entries[x].id; id != "" {
			f.sampleIDs = append(f.sampleIDs, id)
		}
	}
	g.entries = g.entries[:0]
	if r.cooldown > 0 {
		g.incidentID = f.alertID
		g.incidentFirst, g.incidentLast = f.first, f.last
		g.cooldownUntil = f.last + r.cooldown
		g.suppressed = 0
	}
	return f
}
