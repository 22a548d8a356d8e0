package siemauditreceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"

	"github.com/unified-ot/otelcol-siem/internal/pipelinehealth"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// fakeClock is the time of a test: the hub and the monitor read it, the test moves it.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.HeartbeatInterval = 10 * time.Second
	cfg.UnreachableAfter = 3 * time.Second
	cfg.ReportInterval = 5 * time.Second
	return cfg
}

// rig is a hub and a monitor on one fake clock.
type rig struct {
	clock *fakeClock
	hub   *pipelinehealth.Hub
	mon   *monitor
}

func newRig(cfg *Config) *rig {
	c := &fakeClock{t: t0}
	return &rig{clock: c, hub: pipelinehealth.New(c.now), mon: newMonitor(cfg, t0)}
}

// run advances the clock by d in steps of one second and returns every event on the way.
func (r *rig) run(d time.Duration) []event {
	var evs []event
	for end := r.clock.t.Add(d); r.clock.t.Before(end); {
		r.clock.advance(time.Second)
		evs = append(evs, r.mon.step(r.hub.Snapshot())...)
	}
	return evs
}

func actions(evs []event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.action
	}
	return out
}

func only(evs []event, action string) []event {
	var out []event
	for _, e := range evs {
		if e.action == action {
			out = append(out, e)
		}
	}
	return out
}

var siem = component.MustNewIDWithName("cef_syslog", "siem")

func TestUnreachableThenRecovered(t *testing.T) {
	r := newRig(testConfig())
	exp := r.hub.Register(siem, 100)
	exp.Accepted(5)
	exp.Delivered(5)
	require.Empty(t, only(r.run(2*time.Second), ActionUnreachable))

	// Every send fails from t0+2s on; records keep coming.
	failStart := r.clock.t
	exp.SendFailed("connection_refused")
	evs := r.run(2 * time.Second)
	assert.Empty(t, only(evs, ActionUnreachable), "2 s of failures is below unreachable_after (3 s)")
	exp.Accepted(7)
	exp.SendFailed("connection_refused")
	evs = r.run(time.Second)
	unreach := only(evs, ActionUnreachable)
	require.Len(t, unreach, 1, "unreachable once the failures last 3 s")
	u := unreach[0]
	assert.Equal(t, failStart.Add(3*time.Second), u.at)
	assert.Equal(t, "cef_syslog/siem", u.attrs[secevent.KeyAuditExporter])
	assert.Equal(t, "connection_refused", u.reason)
	assert.Equal(t, rfc3339(failStart), u.attrs[secevent.KeyAuditOutageStart])
	assert.Equal(t, int64(7), u.attrs[secevent.KeyAuditRecordsQueued])
	assert.Equal(t, int64(2), u.attrs[secevent.KeyAuditFailedSends])

	// Still down: no second record.
	exp.SendFailed("timeout")
	assert.Empty(t, only(r.run(10*time.Second), ActionUnreachable))

	// Recovered 10 s after the first failure (t0+12s... the clock is at failStart+13s).
	exp.Accepted(3)
	recoveredAt := r.clock.t
	exp.Delivered(4)
	evs = r.run(time.Second)
	rec := only(evs, ActionRecovered)
	require.Len(t, rec, 1)
	assert.Equal(t, recoveredAt, rec[0].at, "the record has the time of recovery, not of its detection")
	assert.Equal(t, recoveredAt.Sub(failStart).Milliseconds(), rec[0].attrs[secevent.KeyAuditOutageMillis])
	assert.Equal(t, int64(10), rec[0].attrs[secevent.KeyAuditRecordsQueued], "records accepted during the outage")
	assert.Equal(t, "timeout", rec[0].reason, "the last error before recovery")
	assert.Empty(t, only(r.run(5*time.Second), ActionRecovered), "one recovered record per outage")
}

func TestShortOutageWritesNothing(t *testing.T) {
	r := newRig(testConfig())
	exp := r.hub.Register(siem, 100)
	exp.SendFailed("timeout")
	r.clock.advance(2 * time.Second)
	exp.Delivered(1)
	evs := r.run(5 * time.Second)
	assert.Empty(t, only(evs, ActionUnreachable))
	assert.Empty(t, only(evs, ActionRecovered))
}

// An outage that ended and a new one that started between two looks: recovered for the first,
// then (later) unreachable for the second.
func TestOutageEndsAndAnotherStartsBetweenLooks(t *testing.T) {
	r := newRig(testConfig())
	exp := r.hub.Register(siem, 100)
	exp.SendFailed("timeout")
	require.Len(t, only(r.run(4*time.Second), ActionUnreachable), 1)
	r.clock.advance(300 * time.Millisecond)
	exp.Delivered(1)
	r.clock.advance(300 * time.Millisecond)
	exp.SendFailed("connection_reset")
	evs := r.run(5 * time.Second)
	assert.Equal(t, []string{ActionRecovered, ActionUnreachable}, actions(only2(evs, ActionRecovered, ActionUnreachable)))
}

func only2(evs []event, a, b string) []event {
	var out []event
	for _, e := range evs {
		if e.action == a || e.action == b {
			out = append(out, e)
		}
	}
	return out
}

func TestHeartbeatScheduleAndCounters(t *testing.T) {
	r := newRig(testConfig()) // heartbeat every 10 s
	exp := r.hub.Register(siem, 100)
	exp.Accepted(10)
	exp.Delivered(6)
	evs := r.run(9 * time.Second)
	assert.Empty(t, only(evs, ActionHeartbeat))
	evs = r.run(time.Second)
	hb := only(evs, ActionHeartbeat)
	require.Len(t, hb, 1)
	assert.Equal(t, t0.Add(10*time.Second), hb[0].at)
	assert.Equal(t, int64(1), hb[0].attrs[secevent.KeyAuditHeartbeatSequence])
	assert.Equal(t, int64(10), hb[0].attrs[secevent.KeyAuditRecordsIn])
	assert.Equal(t, int64(6), hb[0].attrs[secevent.KeyAuditRecordsOut])
	assert.Equal(t, int64(4), hb[0].attrs[secevent.KeyAuditRecordsQueued])
	assert.Equal(t, rfc3339(t0), hb[0].attrs[secevent.KeyAuditWindowStart])
	per := hb[0].attrs[secevent.KeyAuditExporters].(map[string]any)["cef_syslog/siem"].(map[string]any)
	assert.Equal(t, int64(10), per["records_in"])
	assert.Equal(t, "ok", per["state"])

	// The next one counts only what happened since.
	exp.Accepted(2)
	exp.Delivered(5)
	exp.Dropped(1, pipelinehealth.ReasonFormatFailed)
	hb = only(r.run(10*time.Second), ActionHeartbeat)
	require.Len(t, hb, 1)
	assert.Equal(t, int64(2), hb[0].attrs[secevent.KeyAuditHeartbeatSequence])
	assert.Equal(t, int64(2), hb[0].attrs[secevent.KeyAuditRecordsIn])
	assert.Equal(t, int64(5), hb[0].attrs[secevent.KeyAuditRecordsOut])
	assert.Equal(t, int64(1), hb[0].attrs[secevent.KeyAuditRecordsDropped])
	assert.Equal(t, int64(0), hb[0].attrs[secevent.KeyAuditRecordsQueued])

	// 100 s: 10 heartbeats, one per interval.
	assert.Len(t, only(r.run(100*time.Second), ActionHeartbeat), 10)
}

// A process that was stopped (SIGSTOP, a suspended VM) for many intervals writes one heartbeat
// when it runs again, not one per missed interval.
func TestHeartbeatNoBurstAfterStall(t *testing.T) {
	r := newRig(testConfig())
	r.clock.advance(95 * time.Second)
	assert.Len(t, only(r.mon.step(r.hub.Snapshot()), ActionHeartbeat), 1)
	assert.Len(t, only(r.run(9*time.Second), ActionHeartbeat), 0)
	assert.Len(t, only(r.run(time.Second), ActionHeartbeat), 1)
}

func TestRefusedAndDroppedRateLimited(t *testing.T) {
	r := newRig(testConfig()) // report_interval 5 s
	exp := r.hub.Register(siem, 0)
	exp.Refused(3)
	evs := r.run(time.Second)
	ref := only(evs, ActionRefused)
	require.Len(t, ref, 1, "the first refusal is reported at once")
	assert.Equal(t, int64(3), ref[0].attrs[secevent.KeyAuditCount])
	assert.Equal(t, rfc3339(t0), ref[0].attrs[secevent.KeyAuditWindowStart])

	// A refusal every second for 12 s: one record per 5 s, carrying the count.
	var got []event
	for range 12 {
		exp.Refused(1)
		got = append(got, only(r.run(time.Second), ActionRefused)...)
	}
	require.Len(t, got, 2)
	assert.Equal(t, int64(5), got[0].attrs[secevent.KeyAuditCount])
	assert.Equal(t, int64(5), got[1].attrs[secevent.KeyAuditCount])
	// The rest comes with the next record once the interval has passed.
	tail := only(r.run(5*time.Second), ActionRefused)
	require.Len(t, tail, 1)
	assert.Equal(t, int64(2), tail[0].attrs[secevent.KeyAuditCount])

	// Drops: one record per reason.
	exp.Dropped(4, pipelinehealth.ReasonFormatFailed)
	exp.Dropped(2, pipelinehealth.ReasonRejected)
	dr := only(r.run(time.Second), ActionDropped)
	require.Len(t, dr, 2)
	assert.Equal(t, pipelinehealth.ReasonFormatFailed, dr[0].reason)
	assert.Equal(t, int64(4), dr[0].attrs[secevent.KeyAuditCount])
	assert.Equal(t, pipelinehealth.ReasonRejected, dr[1].reason)
	assert.Equal(t, int64(2), dr[1].attrs[secevent.KeyAuditCount])
}

func TestStorageDamaged(t *testing.T) {
	r := newRig(testConfig())
	r.hub.StorageDamaged("exporter_cef_syslog_siem_logs", 2)
	dr := only(r.run(time.Second), ActionDropped)
	require.Len(t, dr, 1)
	assert.Equal(t, pipelinehealth.ReasonStorageDamaged, dr[0].reason)
	assert.Equal(t, "exporter_cef_syslog_siem_logs", dr[0].attrs[secevent.KeyAuditStorageClient])
	assert.Equal(t, int64(2), dr[0].attrs[secevent.KeyAuditCount])
	assert.Empty(t, only(r.run(10*time.Second), ActionDropped))
}

func TestQueueFilling(t *testing.T) {
	r := newRig(testConfig()) // 80 %, report_interval 5 s
	exp := r.hub.Register(siem, 100)
	exp.Accepted(79)
	assert.Empty(t, only(r.run(time.Second), ActionQueueFill))
	exp.Accepted(1)
	qf := only(r.run(time.Second), ActionQueueFill)
	require.Len(t, qf, 1)
	assert.Equal(t, int64(80), qf[0].attrs[secevent.KeyAuditRecordsQueued])
	assert.Equal(t, int64(100), qf[0].attrs[secevent.KeyAuditQueueCapacity])
	assert.Equal(t, int64(80), qf[0].attrs[secevent.KeyAuditQueueFillPercent])
	// Still full: once per report_interval.
	assert.Len(t, only(r.run(10*time.Second), ActionQueueFill), 2)
	exp.Delivered(50)
	assert.Empty(t, only(r.run(10*time.Second), ActionQueueFill))
	// A queue not counted in records has no fill level.
	other := r.hub.Register(component.MustNewID("security_webhook"), 0)
	other.Accepted(1_000_000)
	assert.Empty(t, only(r.run(10*time.Second), ActionQueueFill))
}

// A reloaded configuration registers the exporter again, with counters from zero: no negative
// counts, no stale outage.
func TestReRegistration(t *testing.T) {
	r := newRig(testConfig())
	exp := r.hub.Register(siem, 100)
	exp.Accepted(50)
	exp.Refused(10)
	exp.SendFailed("timeout")
	require.Len(t, only(r.run(4*time.Second), ActionUnreachable), 1)
	exp2 := r.hub.Register(siem, 100)
	exp2.Accepted(2)
	exp2.Refused(1)
	evs := r.run(10 * time.Second)
	assert.Empty(t, only(evs, ActionRecovered), "the old reporter's outage has no known end")
	ref := only(evs, ActionRefused)
	require.Len(t, ref, 1)
	assert.Equal(t, int64(1), ref[0].attrs[secevent.KeyAuditCount], "the new reporter's count, from zero")
	hb := only(evs, ActionHeartbeat)
	require.Len(t, hb, 1)
	assert.Equal(t, int64(2), hb[0].attrs[secevent.KeyAuditRecordsIn], "the new reporter's count, from zero")
	assert.Equal(t, int64(1), hb[0].attrs[secevent.KeyAuditRecordsRefused])

	// A third registration whose counters already passed the last heartbeat's: still from zero.
	exp3 := r.hub.Register(siem, 100)
	exp3.Accepted(5)
	hb = only(r.run(10*time.Second), ActionHeartbeat)
	require.Len(t, hb, 1)
	assert.Equal(t, int64(5), hb[0].attrs[secevent.KeyAuditRecordsIn])
}

// Records being offered when a heartbeat looks, then refused by the queue: the next heartbeat
// counts what happened since, not the totals since start.
func TestRefusalBetweenHeartbeats(t *testing.T) {
	r := newRig(testConfig()) // heartbeat every 10 s
	exp := r.hub.Register(siem, 100)
	exp.Accepted(10)
	exp.Delivered(4)
	exp.Offer(5) // the queue has not decided yet at the first heartbeat
	hb := only(r.run(10*time.Second), ActionHeartbeat)
	require.Len(t, hb, 1)
	assert.Equal(t, int64(10), hb[0].attrs[secevent.KeyAuditRecordsIn])

	exp.Settle(5, false)
	exp.Accepted(2)
	exp.Delivered(1)
	hb = only(r.run(10*time.Second), ActionHeartbeat)
	require.Len(t, hb, 1)
	assert.Equal(t, int64(2), hb[0].attrs[secevent.KeyAuditRecordsIn])
	assert.Equal(t, int64(1), hb[0].attrs[secevent.KeyAuditRecordsOut])
	assert.Equal(t, int64(5), hb[0].attrs[secevent.KeyAuditRecordsRefused])
	assert.Equal(t, int64(7), hb[0].attrs[secevent.KeyAuditRecordsQueued])
}

// Records a persistent queue restored at start, delivered, do not hide the records accepted
// after them from records_queued and queue_filling.
func TestQueuedAfterRestoredBacklog(t *testing.T) {
	r := newRig(testConfig()) // 80 %
	exp := r.hub.Register(siem, 100)
	exp.Delivered(50) // the backlog of the earlier process
	exp.Accepted(85)
	qf := only(r.run(time.Second), ActionQueueFill)
	require.Len(t, qf, 1)
	assert.Equal(t, int64(85), qf[0].attrs[secevent.KeyAuditRecordsQueued])
	hb := only(r.run(10*time.Second), ActionHeartbeat)
	require.Len(t, hb, 1)
	assert.Equal(t, int64(85), hb[0].attrs[secevent.KeyAuditRecordsQueued])
}
