package alertprocessor // import "github.com/unified-ot/otelcol-siem/processor/alertprocessor"

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// storageKey is the one key the processor writes in its storage client. One key (rather than one
// per rule) makes a checkpoint atomic: a crash never leaves half the rules at an older state.
const storageKey = "alert_state"

// snapshotVersion changes when the encoding changes; an unknown version is ignored (logged), not
// misread.
const snapshotVersion = 1

type snapshot struct {
	Version int                     `json:"v"`
	Rules   map[string]ruleSnapshot `json:"rules"`
}

type ruleSnapshot struct {
	// Fingerprint identifies what the state means (condition, threshold, window, group_by,
	// lateness). State saved under another definition is discarded at load.
	Fingerprint string `json:"fp"`
	// Groups in least-recently-updated first order, so that loading rebuilds the same LRU order.
	Groups []groupSnapshot `json:"groups"`
}

type groupSnapshot struct {
	Values []string `json:"g,omitempty"`
	// RawValues replaces Values when a value is not valid UTF-8, which JSON strings would
	// silently replace with U+FFFD (and the restored group would then never match again).
	RawValues     [][]byte `json:"gb,omitempty"`
	Watermark     *int64   `json:"wm,omitempty"`
	Times         []int64  `json:"t,omitempty"`
	IDs           []string `json:"ids,omitempty"`
	IncidentID    string   `json:"inc,omitempty"`
	IncidentFirst int64    `json:"if,omitempty"`
	IncidentLast  int64    `json:"il,omitempty"`
	CooldownUntil int64    `json:"cd,omitempty"`
	Suppressed    int64    `json:"sup,omitempty"`
}

// fingerprint hashes the parts of a rule that give its state its meaning. Name, severity,
// description and cooldown may change without discarding the counters.
func fingerprint(r RuleConfig, lateness int64) string {
	h := sha256.New()
	fmt.Fprintf(h, "%q|%d|%d|%d|%s", r.Condition, r.Threshold, int64(r.Window), lateness, strings.Join(r.GroupBy, "\x00"))
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// encodeState serialises every rule's groups.
func encodeState(rules []*ruleState) ([]byte, error) {
	s := takeSnapshot(rules)
	return json.Marshal(s)
}

// takeSnapshot copies the state into a value that shares nothing mutable with it (group values are
// immutable), so that the caller can hold the lock only for the copy and encode outside it.
func takeSnapshot(rules []*ruleState) *snapshot {
	s := snapshot{Version: snapshotVersion, Rules: make(map[string]ruleSnapshot, len(rules))}
	for _, rs := range rules {
		r := rs.rule
		rsn := ruleSnapshot{Fingerprint: fingerprint(r.cfg, r.lateness), Groups: make([]groupSnapshot, 0, len(rs.groups))}
		for g := rs.tail; g != nil; g = g.prev {
			gs := groupSnapshot{
				IncidentID:    g.incidentID,
				IncidentFirst: g.incidentFirst,
				IncidentLast:  g.incidentLast,
				CooldownUntil: g.cooldownUntil,
				Suppressed:    g.suppressed,
			}
			if allValidUTF8(g.values) {
				gs.Values = g.values
			} else {
				gs.RawValues = make([][]byte, len(g.values))
				for i, v := range g.values {
					gs.RawValues[i] = []byte(v)
				}
			}
			if g.hasWatermark {
				wm := g.watermark
				gs.Watermark = &wm
			}
			if len(g.entries) > 0 {
				gs.Times = make([]int64, len(g.entries))
				gs.IDs = make([]string, len(g.entries))
				for i, e := range g.entries {
					gs.Times[i], gs.IDs[i] = e.t, e.id
				}
			}
			rsn.Groups = append(rsn.Groups, gs)
		}
		s.Rules[r.cfg.ID] = rsn
	}
	return &s
}

// loadResult says what decodeState restored, for the start-up log line.
type loadResult struct {
	groups    int
	discarded []string // rule ids whose saved state was for another definition
}

// decodeState restores the groups of the rules that are still configured with the same
// definition. Restored groups count as touched at now, so a restart after a long stop does not
// expire them before their records can arrive (the producer may have buffered them meanwhile).
func decodeState(data []byte, rules []*ruleState, now int64) (loadResult, error) {
	var res loadResult
	var s snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return res, fmt.Errorf("decoding saved alert state: %w", err)
	}
	if s.Version != snapshotVersion {
		return res, fmt.Errorf("saved alert state has version %d, this build reads %d", s.Version, snapshotVersion)
	}
	for _, rs := range rules {
		r := rs.rule
		rsn, ok := s.Rules[r.cfg.ID]
		if !ok {
			continue
		}
		if rsn.Fingerprint != fingerprint(r.cfg, r.lateness) {
			res.discarded = append(res.discarded, r.cfg.ID)
			continue
		}
		var key []byte
		for _, gs := range rsn.Groups {
			if gs.RawValues != nil {
				gs.Values = make([]string, len(gs.RawValues))
				for i, v := range gs.RawValues {
					gs.Values[i] = string(v)
				}
			}
			if gs.Values == nil {
				gs.Values = []string{}
			}
			if len(gs.Values) != len(r.cfg.GroupBy) || len(gs.Times) != len(gs.IDs) {
				return res, fmt.Errorf("saved alert state for rule %q is malformed", r.cfg.ID)
			}
			key = appendGroupKey(key[:0], gs.Values)
			if old, dup := rs.groups[string(key)]; dup {
				rs.remove(old)
			}
			g := &group{
				key:           string(key),
				values:        gs.Values,
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
			n := min(len(gs.Times), r.maxEntries)
			off := len(gs.Times) - n
			if n > 0 {
				g.entries = make([]entry, n)
				for i := range n {
					g.entries[i] = entry{t: gs.Times[off+i], id: gs.IDs[off+i]}
				}
			}
			rs.insert(g)
			res.groups++
		}
		// Loading is not traffic: capacity trimming here is not an eviction of live state.
		rs.evicted = 0
	}
	return res, nil
}

func allValidUTF8(values []string) bool {
	for _, v := range values {
		if !utf8.ValidString(v) {
			return false
		}
	}
	return true
}
