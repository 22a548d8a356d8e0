package alertprocessor

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/processor/alertprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// Each default rule: threshold-1 matching records in one group within the window give no alert,
// the threshold-th gives exactly one, with the rule's identity.
func TestDefaultRulesFireExactlyAtThreshold(t *testing.T) {
	cases := []struct {
		rule      string
		threshold int
		severity  secevent.AlertSeverity
		event     func(at time.Time) event
		group     map[string]any
	}{
		{"failed_logins", 5, secevent.AlertSeverityHigh, func(at time.Time) event {
			return failedLogin(at, "alice@example.com", "192.168.1.100")
		}, map[string]any{secevent.KeyUserName: "alice@example.com", secevent.KeySourceAddress: "192.168.1.100"}},
		{"circuit_breaker_open", 1, secevent.AlertSeverityCritical, func(at time.Time) event {
			return event{at, map[string]any{
				secevent.KeyCategory: "availability", secevent.KeyAction: "circuit_breaker_open",
				secevent.KeyOutcome: "degraded", secevent.KeyServerAddress: "workspace.cloud.example.com", secevent.KeyFailureCount: 5,
			}}
		}, map[string]any{secevent.KeyServerAddress: "workspace.cloud.example.com"}},
		{"unauthorized_access", 3, secevent.AlertSeverityMedium, func(at time.Time) event {
			return event{at, map[string]any{
				secevent.KeyCategory: "authorization", secevent.KeyAction: "access", secevent.KeyOutcome: "denied",
				secevent.KeyUserName: "bob@example.com", secevent.KeyURLPath: "/api/sources/delete",
			}}
		}, map[string]any{secevent.KeyUserName: "bob@example.com"}},
		{"configuration_change", 1, secevent.AlertSeverityMedium, func(at time.Time) event {
			return event{at, map[string]any{
				secevent.KeyCategory: "configuration", secevent.KeyAction: "modify_config", secevent.KeyOutcome: "success",
				secevent.KeyUserName: "carol@example.com", secevent.KeyConfigKey: "zerobus_config",
			}}
		}, map[string]any{secevent.KeyUserName: "carol@example.com", secevent.KeyConfigKey: "zerobus_config"}},
	}
	for _, c := range cases {
		t.Run(c.rule, func(t *testing.T) {
			h := newHarness(t, defaultConfig())
			var evs []event
			for i := 0; i < c.threshold; i++ {
				evs = append(evs, c.event(t0.Add(time.Duration(i)*time.Second)))
			}
			assert.Empty(t, h.sendOneByOne(evs[:c.threshold-1]...), "one below the threshold must not fire")
			alerts := h.send(evs[c.threshold-1])
			require.Len(t, alerts, 1)
			a := alerts[0]
			assert.Equal(t, c.rule, str(a, secevent.KeyAlertRuleID))
			assert.Equal(t, string(c.severity), str(a, secevent.KeyAlertSeverity))
			assert.Equal(t, fmt.Sprint(c.threshold), str(a, secevent.KeyAlertCount))
			assert.Equal(t, secevent.EventName(secevent.CategoryAlert, c.rule), a.EventName())
			g, _ := a.Attributes().Get(secevent.KeyAlertGroup)
			assert.Equal(t, c.group, g.Map().AsRaw())
			assert.Equal(t, int64(1), h.counter(metadata.MetricAlertsFired, c.rule))
		})
	}
}

// The seed matched action=modify only; every change action of the schema alerts, other
// configuration actions and other categories do not.
func TestConfigurationChangeMatchesAllChangeActions(t *testing.T) {
	h := newHarness(t, defaultConfig())
	for i, action := range []string{"modify_config", "add", "modify", "delete"} {
		alerts := h.send(event{t0.Add(time.Duration(i) * time.Minute), map[string]any{
			secevent.KeyCategory: "configuration", secevent.KeyAction: action, secevent.KeyUserName: "carol", secevent.KeyConfigKey: "plc" + action,
		}})
		require.Len(t, alerts, 1, action)
		assert.Equal(t, "configuration_change", str(alerts[0], secevent.KeyAlertRuleID))
	}
	assert.Empty(t, h.send(event{t0, map[string]any{secevent.KeyCategory: "configuration", secevent.KeyAction: "read"}}))
	assert.Empty(t, h.send(event{t0, map[string]any{secevent.KeyCategory: "operational", secevent.KeyAction: "modify"}}))
}

// Threshold records whose event times differ by exactly the window fire; 1 ns more does not.
func TestWindowEdges(t *testing.T) {
	const window = 300 * time.Second
	at := func(base time.Time, last time.Duration) []event {
		evs := make([]event, 0, 5)
		for i := 0; i < 4; i++ {
			evs = append(evs, failedLogin(base.Add(time.Duration(i)*time.Second), "alice", "10.0.0.1"))
		}
		return append(evs, failedLogin(base.Add(last), "alice", "10.0.0.1"))
	}

	h := newHarness(t, defaultConfig())
	alerts := h.sendOneByOne(at(t0, window)...)
	require.Len(t, alerts, 1, "5th record exactly at first+window is inside")
	assert.Equal(t, t0.Format(time.RFC3339Nano), str(alerts[0], secevent.KeyAlertFirstSeen))
	assert.Equal(t, t0.Add(window).Format(time.RFC3339Nano), str(alerts[0], secevent.KeyAlertLastSeen))

	h = newHarness(t, defaultConfig())
	assert.Empty(t, h.sendOneByOne(at(t0, window+time.Nanosecond)...), "5th record 1 ns after first+window is outside")
	// The window slides: the 2nd..5th plus one more inside 300 s of the 2nd fire.
	alerts = h.send(failedLogin(t0.Add(time.Second+window), "alice", "10.0.0.1"))
	require.Len(t, alerts, 1)
	assert.Equal(t, t0.Add(time.Second).Format(time.RFC3339Nano), str(alerts[0], secevent.KeyAlertFirstSeen))
}

// 5 failed logins spread over accounts and sources do not fire (seed defect 10: the seed counted
// them globally); a record without source.address is its own "" group.
func TestGroupIsolation(t *testing.T) {
	h := newHarness(t, defaultConfig())
	var evs []event
	for i := 0; i < 4; i++ {
		at := t0.Add(time.Duration(i) * time.Second)
		evs = append(evs,
			failedLogin(at, "alice", "10.0.0.1"),
			failedLogin(at, "bob", "10.0.0.1"),
			failedLogin(at, "alice", "10.0.0.2"),
			event{at, map[string]any{secevent.KeyCategory: "authentication", secevent.KeyOutcome: "failure", secevent.KeyUserName: "alice"}},
		)
	}
	assert.Empty(t, h.send(evs...), "16 failures in 4 groups of 4")

	alerts := h.send(failedLogin(t0.Add(10*time.Second), "bob", "10.0.0.1"))
	require.Len(t, alerts, 1)
	g, _ := alerts[0].Attributes().Get(secevent.KeyAlertGroup)
	assert.Equal(t, map[string]any{secevent.KeyUserName: "bob", secevent.KeySourceAddress: "10.0.0.1"}, g.Map().AsRaw())

	alerts = h.send(event{t0.Add(11 * time.Second), map[string]any{secevent.KeyCategory: "authentication", secevent.KeyOutcome: "failure", secevent.KeyUserName: "alice"}})
	require.Len(t, alerts, 1)
	g, _ = alerts[0].Attributes().Get(secevent.KeyAlertGroup)
	assert.Equal(t, map[string]any{secevent.KeyUserName: "alice", secevent.KeySourceAddress: ""}, g.Map().AsRaw())
}

// The group key cannot be forged by values containing separators.
func TestGroupKeyUnambiguous(t *testing.T) {
	assert.NotEqual(t, string(appendGroupKey(nil, []string{"a:b", "c"})), string(appendGroupKey(nil, []string{"a", "b:c"})))
	assert.NotEqual(t, string(appendGroupKey(nil, []string{"1:a", ""})), string(appendGroupKey(nil, []string{"", "1:a"})))
}

func TestCooldown(t *testing.T) {
	h := newHarness(t, defaultConfig()) // failed_logins: cooldown 15m
	burst := func(start time.Time) []event {
		var evs []event
		for i := 0; i < 5; i++ {
			evs = append(evs, failedLogin(start.Add(time.Duration(i)*time.Second), "alice", "10.0.0.1"))
		}
		return evs
	}
	require.Len(t, h.sendOneByOne(burst(t0)...), 1)
	// last_seen = t0+4s, cooldown until t0+4s+15m.
	assert.Empty(t, h.sendOneByOne(burst(t0.Add(time.Minute))...), "within the cooldown")
	assert.Empty(t, h.sendOneByOne(burst(t0.Add(10*time.Minute))...), "still within the cooldown")
	// Another group is not affected by alice's cooldown.
	require.Len(t, h.send(burst(t0.Add(time.Minute))[0:5]...), 0)
	other := burst(t0.Add(2 * time.Minute))
	for i := range other {
		other[i].attrs[secevent.KeyUserName] = "bob"
	}
	assert.Len(t, h.sendOneByOne(other...), 1, "bob's group has no cooldown")
	// After the cooldown (event time) a new burst alerts again.
	assert.Len(t, h.sendOneByOne(burst(t0.Add(4*time.Second+15*time.Minute))...), 1)
	assert.Equal(t, int64(3), h.counter(metadata.MetricAlertsFired, "failed_logins"))

	// Cooldown 0: every threshold crossing alerts, the window restarts after each.
	cfg := defaultConfig()
	cfg.Rules[0].Cooldown = 0
	h = newHarness(t, cfg)
	evs := append(burst(t0), burst(t0.Add(5*time.Second))...)
	assert.Len(t, h.sendOneByOne(evs[:9]...), 1)
	assert.Len(t, h.send(evs[9]), 1)
}

// Records arriving out of order within max_lateness count; first/last seen are event times.
func TestOutOfOrder(t *testing.T) {
	h := newHarness(t, defaultConfig())
	offsets := []int{40, 10, 30, 0, 20} // seconds, delivered in this order
	var alerts []plog.LogRecord
	for _, o := range offsets {
		alerts = append(alerts, h.send(failedLogin(t0.Add(time.Duration(o)*time.Second), "alice", "10.0.0.1"))...)
	}
	require.Len(t, alerts, 1)
	assert.Equal(t, t0.Format(time.RFC3339Nano), str(alerts[0], secevent.KeyAlertFirstSeen))
	assert.Equal(t, t0.Add(40*time.Second).Format(time.RFC3339Nano), str(alerts[0], secevent.KeyAlertLastSeen))

	// In one batch, shuffled: same result.
	h = newHarness(t, defaultConfig())
	var evs []event
	for _, o := range offsets {
		evs = append(evs, failedLogin(t0.Add(time.Duration(o)*time.Second), "alice", "10.0.0.1"))
	}
	require.Len(t, h.send(evs...), 1)
}

// A record later than max_lateness behind its group's newest record is not counted (and counted in
// the late metric); one exactly at the bound is.
func TestLateRecords(t *testing.T) {
	cfg := defaultConfig()
	cfg.MaxLateness = time.Minute
	h := newHarness(t, cfg)
	newest := t0.Add(10 * time.Minute)
	require.Empty(t, h.sendOneByOne(
		failedLogin(newest, "alice", "10.0.0.1"),
		failedLogin(newest.Add(-10*time.Second), "alice", "10.0.0.1"),
		failedLogin(newest.Add(-20*time.Second), "alice", "10.0.0.1"),
	))
	assert.Empty(t, h.send(failedLogin(newest.Add(-time.Minute-time.Nanosecond), "alice", "10.0.0.1")), "too late")
	assert.Equal(t, int64(1), h.counter(metadata.MetricRecordsLate, "failed_logins"))
	alerts := h.send(failedLogin(newest.Add(-time.Minute), "alice", "10.0.0.1"))
	assert.Empty(t, alerts, "at the bound it counts, but only 4 so far")
	alerts = h.send(failedLogin(newest.Add(-30*time.Second), "alice", "10.0.0.1"))
	require.Len(t, alerts, 1)
	assert.Equal(t, newest.Add(-time.Minute).Format(time.RFC3339Nano), str(alerts[0], secevent.KeyAlertFirstSeen))
	assert.Equal(t, int64(1), h.counter(metadata.MetricRecordsLate, "failed_logins"))
}

// A redelivered record (same event.id) is not counted twice.
func TestDuplicateEventIDNotCountedTwice(t *testing.T) {
	h := newHarness(t, defaultConfig())
	e := failedLogin(t0, "alice", "10.0.0.1")
	e.attrs[secevent.KeyEventID] = "same-id"
	for i := 0; i < 5; i++ {
		assert.Empty(t, h.send(e))
	}
	var evs []event
	for i := 1; i <= 3; i++ {
		evs = append(evs, failedLogin(t0.Add(time.Duration(i)*time.Second), "alice", "10.0.0.1"))
	}
	assert.Empty(t, h.sendOneByOne(evs...), "1 + 3 distinct records")
	assert.Len(t, h.send(failedLogin(t0.Add(5*time.Second), "alice", "10.0.0.1")), 1)
}

// Beyond max_groups_per_rule the least recently updated group is evicted, counted, and its window
// is gone.
func TestEviction(t *testing.T) {
	cfg := defaultConfig()
	cfg.MaxGroupsPerRule = 3
	h := newHarness(t, cfg)
	sec := 0
	fail := func(user string, n int) []plog.LogRecord {
		var evs []event
		for j := 0; j < n; j++ {
			sec++
			evs = append(evs, failedLogin(t0.Add(time.Duration(sec)*time.Second), user, "10.0.0.1"))
		}
		return h.send(evs...)
	}
	for _, user := range []string{"u1", "u2", "u3"} {
		require.Empty(t, fail(user, 3))
	}
	assert.Equal(t, int64(0), h.counter(metadata.MetricGroupsEvicted, "failed_logins"))
	require.Empty(t, fail("u1", 1), "u1 now has 4 and is the most recently updated")
	require.Empty(t, fail("u4", 1), "a 4th group evicts the least recently updated, u2")
	assert.Equal(t, int64(1), h.counter(metadata.MetricGroupsEvicted, "failed_logins"))
	assert.Len(t, thresholdOf(h.p, 0).groups, 3)
	require.Empty(t, fail("u2", 2), "u2's window was lost: 3 + 2 does not fire")
	assert.Equal(t, int64(2), h.counter(metadata.MetricGroupsEvicted, "failed_logins"), "u2's return evicts u3")
	assert.Len(t, fail("u1", 1), 1, "u1 survived: its 5th failure fires")
}

// Groups nothing updated for window + max_lateness + cooldown of processing time are forgotten.
func TestIdleExpiry(t *testing.T) {
	h := newHarness(t, defaultConfig())
	require.Empty(t, h.send(failedLogin(t0, "alice", "10.0.0.1")))
	require.Len(t, thresholdOf(h.p, 0).groups, 1)
	h.clock.Add(300*time.Second + 5*time.Minute + 15*time.Minute)
	require.Empty(t, h.send())
	assert.Len(t, thresholdOf(h.p, 0).groups, 1, "exactly at the TTL it is kept")
	h.clock.Add(time.Nanosecond)
	require.Empty(t, h.send())
	assert.Empty(t, thresholdOf(h.p, 0).groups)
	assert.Equal(t, int64(0), h.counter(metadata.MetricGroupsEvicted, "failed_logins"), "expiry is not a capacity eviction")
}

// Spraying random user names must not grow memory without bound: 1 M distinct groups with the
// default max_groups_per_rule (10 000).
func TestSprayingBoundedMemory(t *testing.T) {
	h := newHarness(t, defaultConfig())
	const total, batch = 1_000_000, 10_000
	var ms runtimeMem
	ms.before()
	for b := 0; b < total/batch; b++ {
		ld := plog.NewLogs()
		lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
		lrs.EnsureCapacity(batch)
		for i := 0; i < batch; i++ {
			n := b*batch + i
			lr := lrs.AppendEmpty()
			lr.SetTimestamp(pcommonTS(t0.Add(time.Duration(n) * time.Microsecond)))
			a := lr.Attributes()
			a.PutStr(secevent.KeyCategory, "authentication")
			a.PutStr(secevent.KeyOutcome, "failure")
			a.PutStr(secevent.KeyUserName, fmt.Sprintf("spray-%07d@example.com", n))
			a.PutStr(secevent.KeySourceAddress, "203.0.113.7")
			a.PutStr(secevent.KeyEventID, fmt.Sprintf("ev-%07d", n))
		}
		require.NoError(t, h.p.ConsumeLogs(context.Background(), ld))
		h.sink.Reset()
	}
	heap, rss := ms.after()
	groups := len(thresholdOf(h.p, 0).groups)
	evicted := h.counter(metadata.MetricGroupsEvicted, "failed_logins")
	t.Logf("1M distinct user names: groups kept %d, evicted %d, live heap growth %.1f MiB, RSS %s",
		groups, evicted, float64(heap)/(1<<20), rss)
	assert.Equal(t, defaultMaxGroupsPerRule, groups)
	assert.Equal(t, int64(total-defaultMaxGroupsPerRule), evicted)
	assert.Equal(t, int64(total), h.counter(metadata.MetricRecordsEvaluated, ""))
	// 10 000 groups of one entry are a few MiB; 1 M groups would be hundreds.
	assert.Less(t, heap, int64(64<<20), "live heap grew by %d bytes", heap)
}

// One record stamped far in the future must not make the group's genuine records "late" (which
// would blind the rule for that account): it is counted at the collector's time.
func TestFutureTimestampDoesNotBlind(t *testing.T) {
	h := newHarness(t, defaultConfig())
	now := h.clock.Now()
	require.Empty(t, h.send(failedLogin(now.AddDate(10, 0, 0), "alice", "10.0.0.1")))
	assert.Equal(t, int64(1), h.counter(metadata.MetricRecordsFuture, "failed_logins"))
	var evs []event
	for i := 1; i <= 4; i++ {
		evs = append(evs, failedLogin(now.Add(-time.Duration(5-i)*time.Second), "alice", "10.0.0.1"))
	}
	alerts := h.sendOneByOne(evs...)
	require.Len(t, alerts, 1, "the genuine failures are counted, together with the re-stamped one")
	assert.Equal(t, int64(0), h.counter(metadata.MetricRecordsLate, "failed_logins"))
	assert.Equal(t, now.Format(time.RFC3339Nano), str(alerts[0], secevent.KeyAlertLastSeen))
	// Within max_lateness ahead (clock jitter between hosts) the record keeps its own time.
	require.Empty(t, h.send(failedLogin(now.Add(time.Minute), "bob", "10.0.0.1")))
	assert.Equal(t, int64(1), h.counter(metadata.MetricRecordsFuture, "failed_logins"))
}
