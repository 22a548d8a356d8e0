package alertprocessor // import "github.com/unified-ot/otelcol-siem/processor/alertprocessor"

import (
	"encoding/json"
	"fmt"
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
	// Fingerprint identifies what the state means (the kind's fingerprint: condition, window,
	// group_by and whatever else the kind counts with). State saved under another definition is
	// discarded at load.
	Fingerprint string `json:"fp"`
	// Groups is the kind's state (evaluator.snapshot): a list of groups for every kind so far.
	// Threshold rules wrote it before kinds existed, so their saved state still loads.
	Groups any `json:"groups"`
}

// savedRule is ruleSnapshot as read back: the kind decodes its own groups.
type savedRule struct {
	Fingerprint string          `json:"fp"`
	Groups      json.RawMessage `json:"groups"`
}

// encodeState serialises every rule's state.
func encodeState(rules []*ruleRuntime) ([]byte, error) {
	return json.Marshal(takeSnapshot(rules))
}

// takeSnapshot copies the state into a value that shares nothing mutable with it, so that the
// caller can hold the lock only for the copy and encode outside it.
func takeSnapshot(rules []*ruleRuntime) *snapshot {
	s := snapshot{Version: snapshotVersion, Rules: make(map[string]ruleSnapshot, len(rules))}
	for _, rs := range rules {
		s.Rules[rs.rule.cfg.ID] = ruleSnapshot{Fingerprint: rs.rule.kind.fingerprint(rs.rule), Groups: rs.eval.snapshot()}
	}
	return &s
}

// loadResult says what decodeState restored, for the start-up log line.
type loadResult struct {
	groups    int
	discarded []string // rule ids whose saved state was for another definition
}

// decodeState restores the state of the rules that are still configured with the same
// definition, at processing time now (each kind decides what a restart means for its groups).
func decodeState(data []byte, rules []*ruleRuntime, now int64) (loadResult, error) {
	var res loadResult
	var s struct {
		Version int                  `json:"v"`
		Rules   map[string]savedRule `json:"rules"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return res, fmt.Errorf("decoding saved alert state: %w", err)
	}
	if s.Version != snapshotVersion {
		return res, fmt.Errorf("saved alert state has version %d, this build reads %d", s.Version, snapshotVersion)
	}
	for _, rs := range rules {
		r := rs.rule
		saved, ok := s.Rules[r.cfg.ID]
		if !ok {
			continue
		}
		if saved.Fingerprint != r.kind.fingerprint(r) {
			res.discarded = append(res.discarded, r.cfg.ID)
			continue
		}
		n, err := rs.eval.restore(saved.Groups, now)
		if err != nil {
			return res, fmt.Errorf("saved alert state for rule %q is malformed: %w", r.cfg.ID, err)
		}
		res.groups += n
	}
	return res, nil
}

// savedValues returns a group's values as saved: Values, or RawValues when a value was not valid
// UTF-8 (which JSON strings would silently replace with U+FFFD, and the restored group would then
// never match again).
func savedValues(values []string, raw [][]byte) []string {
	if raw != nil {
		values = make([]string, len(raw))
		for i, v := range raw {
			values[i] = string(v)
		}
	}
	if values == nil {
		values = []string{}
	}
	return values
}

// valuesForSave is the inverse of savedValues.
func valuesForSave(values []string) ([]string, [][]byte) {
	if allValidUTF8(values) {
		return values, nil
	}
	raw := make([][]byte, len(values))
	for i, v := range values {
		raw[i] = []byte(v)
	}
	return nil, raw
}

func allValidUTF8(values []string) bool {
	for _, v := range values {
		if !utf8.ValidString(v) {
			return false
		}
	}
	return true
}
