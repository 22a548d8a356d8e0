package alertprocessor

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unified-ot/otelcol-siem/processor/alertprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// sprayConfig is the password-spraying rule: one source.address, 10 distinct user.name in 5 min.
func sprayConfig() *Config {
	cfg := defaultConfig()
	cfg.Rules = []RuleConfig{{
		ID:        "password_spraying",
		Kind:      "distinct",
		Name:      "Password spraying",
		Condition: "event_type=authentication AND result=failure",
		Field:     secevent.KeyUserName,
		Threshold: 10,
		Window:    5 * time.Minute,
		Severity:  secevent.AlertSeverityHigh,
		GroupBy:   []string{secevent.KeySourceAddress},
		Cooldown:  15 * time.Minute,
	}}
	return cfg
}

// spray is n failed logins from src, user<i> for i in [from, from+n), one every step from at.
func spray(at time.Time, step time.Duration, src string, from, n int) []event {
	evs := make([]event, n)
	for i := range evs {
		evs[i] = failedLogin(at.Add(time.Duration(i)*step), fmt.Sprintf("user%02d", from+i), src)
	}
	return evs
}

func TestDistinctSpraying(t *testing.T) {
	h := newHarness(t, sprayConfig())
	require.Empty(t, h.sendOneByOne(spray(t0, 10*time.Second, "10.0.0.9", 0, 9)...))
	// Repeating a tried name does not count twice.
	require.Empty(t, h.send(failedLogin(t0.Add(95*time.Second), "user03", "10.0.0.9")))
	// Another source's names are its own.
	require.Empty(t, h.send(failedLogin(t0.Add(95*time.Second), "user99", "10.0.0.8")))
	alerts := h.send(failedLogin(t0.Add(100*time.Second), "user09", "10.0.0.9"))
	require.Len(t, alerts, 1)
	a := alerts[0]
	assert.Equal(t, "password_spraying", str(a, secevent.KeyAlertRuleID))
	assert.Equal(t, actionDistinct, str(a, secevent.KeyAction))
	assert.Equal(t, "10", str(a, secevent.KeyAlertCount))
	assert.Equal(t, "10.0.0.9", groupValue(a, secevent.KeySourceAddress))
	assert.Equal(t, ts(t0), str(a, secevent.KeyAlertFirstSeen))
	assert.Equal(t, ts(t0.Add(100*time.Second)), str(a, secevent.KeyAlertLastSeen))
	ids, _ := a.Attributes().Get(secevent.KeyAlertSampleEventIDs)
	assert.Equal(t, 10, ids.Slice().Len())
	assert.True(t, strings.HasPrefix(a.Body().Str(), `Alert password_spraying (high): Password spraying: 10 distinct user.name values for source.address="10.0.0.9" between `), a.Body().Str())
	assert.Contains(t, a.Body().Str(), `"user00", "user01", "user02", "user04"`, "earliest first; user03 at its newest time")

	// The spray goes on: absorbed by the open incident, no second alert within the cooldown.
	assert.Empty(t, h.sendOneByOne(spray(t0.Add(2*time.Minute), time.Second, "10.0.0.9", 10, 30)...))
	// After the cooldown it fires again on 10 new crossings.
	assert.Len(t, h.sendOneByOne(spray(t0.Add(20*time.Minute), time.Second, "10.0.0.9", 40, 10)...), 1)
}

func TestDistinctWindow(t *testing.T) {
	h := newHarness(t, sprayConfig())
	// 10 names spread over more than 5 minutes: never 10 in one window.
	assert.Empty(t, h.sendOneByOne(spray(t0, 34*time.Second, "10.0.0.9", 0, 10)...))
	// Exactly 5 minutes between the first and the tenth is inside (inclusive, like threshold).
	h = newHarness(t, sprayConfig())
	evs := spray(t0, 30*time.Second, "10.0.0.9", 0, 10)
	evs[9].at = t0.Add(5 * time.Minute)
	assert.Len(t, h.sendOneByOne(evs...), 1)
	// A record without the field is not a value.
	h = newHarness(t, sprayConfig())
	noUser := failedLogin(t0, "", "10.0.0.9")
	delete(noUser.attrs, secevent.KeyUserName)
	assert.Empty(t, h.sendOneByOne(append(spray(t0, time.Second, "10.0.0.9", 0, 9), noUser)...))
}

// The set per group never holds more than threshold values, whatever an attacker sends.
func TestDistinctBoundedSet(t *testing.T) {
	h := newHarness(t, sprayConfig())
	// 2000 names, one every 40 s: never 10 within 5 minutes.
	for i := 0; i < 2000; i += 100 {
		h.clock.now = t0.Add(time.Duration(i+100) * 40 * time.Second) // no record from the future
		require.Empty(t, h.send(spray(t0.Add(time.Duration(i)*40*time.Second), 40*time.Second, "10.0.0.9", i, 100)...))
	}
	ev := h.p.rules[0].eval.(*distinctEvaluator)
	require.Len(t, ev.groups, 1)
	for _, n := range ev.groups {
		assert.LessOrEqual(t, len(n.v.vals), 10)
	}

	cfg := sprayConfig()
	cfg.MaxGroupsPerRule = 3
	h = newHarness(t, cfg)
	for i := range 5 {
		require.Empty(t, h.send(failedLogin(t0, "u", fmt.Sprintf("10.0.1.%d", i))))
	}
	assert.Len(t, h.p.rules[0].eval.(*distinctEvaluator).groups, 3)
	assert.Equal(t, int64(2), h.counter(metadata.MetricGroupsEvicted, "password_spraying"))
}

func TestDistinctLateAndIdle(t *testing.T) {
	h := newHarness(t, sprayConfig())
	require.Empty(t, h.send(failedLogin(t0.Add(time.Hour), "a", "10.0.0.9")))
	require.Empty(t, h.send(failedLogin(t0, "b", "10.0.0.9")))
	assert.Equal(t, int64(1), h.counter(metadata.MetricRecordsLate, "password_spraying"))
	// Idle for window + max_lateness + cooldown of processing time: forgotten.
	h.clock.Add(5*time.Minute + defaultMaxLateness + 15*time.Minute + time.Nanosecond)
	assert.Empty(t, h.tick())
	assert.Empty(t, h.p.rules[0].eval.(*distinctEvaluator).groups)
}

// The distinct values survive a restart: 6 names, restart, 4 more fire.
func TestDistinctRestart(t *testing.T) {
	st := newMemStorage()
	cfg := sprayConfig()
	cfg.Storage = &storageID
	h := newHarness(t, cfg)
	require.NoError(t, h.p.Start(t.Context(), host{storageID: st}))
	bad := "mallory\xff"
	require.Empty(t, h.sendOneByOne(spray(t0, time.Second, "10.0.0.9", 0, 5)...))
	require.Empty(t, h.send(failedLogin(t0.Add(5*time.Second), bad, "10.0.0.9")))
	h = restart(t, h, cfg, st)
	require.Empty(t, h.sendOneByOne(spray(t0.Add(10*time.Second), time.Second, "10.0.0.9", 10, 3)...))
	alerts := h.send(failedLogin(t0.Add(20*time.Second), "last", "10.0.0.9"))
	require.Len(t, alerts, 1)
	assert.Contains(t, alerts[0].Body().Str(), `"mallory\xff"`, "a value that is not UTF-8 survives the JSON state")

	// Changing the field discards the state.
	cfg2 := sprayConfig()
	cfg2.Storage = &storageID
	require.Empty(t, h.sendOneByOne(spray(t0.Add(time.Hour), time.Second, "10.0.0.7", 0, 5)...))
	cfg2.Rules[0].Field = secevent.KeyURLPath
	h = restart(t, h, cfg2, st)
	assert.Empty(t, h.p.rules[0].eval.(*distinctEvaluator).groups)
}
