package alertprocessor

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/unified-ot/otelcol-siem/processor/alertprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

const silenceWindow = 15 * time.Minute

// absenceConfig has one absence rule over every record, per service.name and host.name.
func absenceConfig(expected ...map[string]string) *Config {
	cfg := defaultConfig()
	cfg.Rules = []RuleConfig{{
		ID:        "ot_service_silent",
		Kind:      "absence",
		Name:      "OT service silent",
		Condition: `attributes["event.category"] != "alert"`,
		Window:    silenceWindow,
		Severity:  secevent.AlertSeverityHigh,
		GroupBy:   []string{secevent.KeyServiceName, secevent.KeyHostName},
		Expected:  expected,
	}}
	return cfg
}

// fromService is one batch of one operational record from service svc on host.
func (h *harness) fromService(svc, host string) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(secevent.KeyServiceName, svc)
	rl.Resource().Attributes().PutStr(secevent.KeyHostName, host)
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(h.clock.Now()))
	h.seq++
	lr.Attributes().PutStr(secevent.KeyCategory, "operational")
	lr.Attributes().PutStr(secevent.KeyEventID, fmt.Sprintf("ev-%06d", h.seq))
	return ld
}

// sendFrom passes one record of svc through and returns the alerts in that batch.
func (h *harness) sendFrom(svc, host string) []plog.LogRecord {
	h.t.Helper()
	nb := len(h.sink.AllLogs())
	require.NoError(h.t, h.p.ConsumeLogs(h.t.Context(), h.fromService(svc, host)))
	require.Len(h.t, h.sink.AllLogs(), nb+1)
	return alertsIn(h.sink.AllLogs()[nb])
}

// tick runs the timer once and returns the alerts it handed on (in a batch of their own).
func (h *harness) tick() []plog.LogRecord {
	h.t.Helper()
	nb := len(h.sink.AllLogs())
	h.p.tickOnce(h.t.Context())
	if len(h.sink.AllLogs()) == nb {
		return nil
	}
	require.Len(h.t, h.sink.AllLogs(), nb+1)
	ld := h.sink.AllLogs()[nb]
	require.Equal(h.t, ld.LogRecordCount(), len(alertsIn(ld)), "a timer batch holds alerts only")
	return alertsIn(ld)
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// A service that stops sending alerts once, one window after its last record (not before, and
// not again), on the timer; when it sends again a low-severity recovery alert gives the silence.
func TestAbsenceAlertAndRecovery(t *testing.T) {
	h := newHarness(t, absenceConfig())
	start := h.clock.Now()
	require.Empty(t, h.sendFrom("plc-gw", "edge-01"))
	require.Empty(t, h.sendFrom("historian", "edge-02"))
	h.clock.Add(5 * time.Minute)
	require.Empty(t, h.sendFrom("historian", "edge-02"))

	h.clock.Add(silenceWindow - 5*time.Minute - time.Nanosecond)
	assert.Empty(t, h.tick(), "one ns before the window")
	h.clock.Add(time.Nanosecond)
	alerts := h.tick()
	require.Len(t, alerts, 1)
	a := alerts[0]
	assert.Equal(t, "ot_service_silent", str(a, secevent.KeyAlertRuleID))
	assert.Equal(t, actionAbsence, str(a, secevent.KeyAction))
	assert.Equal(t, "high", str(a, secevent.KeyAlertSeverity))
	assert.Equal(t, plog.SeverityNumberError3, a.SeverityNumber())
	assert.Equal(t, "plc-gw", groupValue(a, secevent.KeyServiceName))
	assert.Equal(t, "edge-01", groupValue(a, secevent.KeyHostName))
	assert.Equal(t, "0", str(a, secevent.KeyAlertCount))
	assert.Equal(t, ts(start), str(a, secevent.KeyAlertFirstSeen), "silent since the last record")
	assert.Equal(t, ts(h.clock.Now()), str(a, secevent.KeyAlertLastSeen), "detected now")
	assert.Equal(t, ts(start.Add(24*time.Hour)), str(a, secevent.KeyNIS2EarlyWarningDue))
	assert.Equal(t, h.clock.Now(), a.Timestamp().AsTime())
	assert.Equal(t, "security.alert.ot_service_silent", a.EventName())
	assert.Equal(t, `Alert ot_service_silent (high): OT service silent: no matching events for service.name="plc-gw", host.name="edge-01" since `+
		ts(start)+": silent for 15m0s (window 15m0s)", a.Body().Str())
	assert.Equal(t, int64(1), h.counter(metadata.MetricTimerAlerts, ""))
	assert.Equal(t, int64(1), h.counter(metadata.MetricAlertsFired, "ot_service_silent"))

	h.clock.Add(time.Hour)
	alerts = h.tick()
	require.Len(t, alerts, 1, "historian went silent too; plc-gw is not alerted again")
	assert.Equal(t, "historian", groupValue(alerts[0], secevent.KeyServiceName))
	assert.Empty(t, h.tick())

	back := h.clock.Now()
	alerts = h.sendFrom("plc-gw", "edge-01")
	require.Len(t, alerts, 1, "the recovery alert rides in the batch that ended the silence")
	r := alerts[0]
	assert.Equal(t, actionAbsenceRecovered, str(r, secevent.KeyAction))
	assert.Equal(t, "low", str(r, secevent.KeyAlertSeverity))
	assert.Equal(t, plog.SeverityNumberWarn, r.SeverityNumber(), "WARN: still passes a WARN+ filter")
	assert.Equal(t, ts(start), str(r, secevent.KeyAlertFirstSeen))
	assert.Equal(t, ts(back), str(r, secevent.KeyAlertLastSeen))
	assert.Equal(t, "1", str(r, secevent.KeyAlertCount))
	ids, _ := r.Attributes().Get(secevent.KeyAlertSampleEventIDs)
	assert.Equal(t, []any{fmt.Sprintf("ev-%06d", h.seq)}, ids.Slice().AsRaw(), "the record that ended the silence")
	assert.Contains(t, r.Body().Str(), `matching events again for service.name="plc-gw", host.name="edge-01" after 1h15m0s of silence`)
	assert.NotEqual(t, str(a, secevent.KeyEventID), str(r, secevent.KeyEventID))

	assert.Empty(t, h.sendFrom("plc-gw", "edge-01"), "one recovery per silence")
	h.clock.Add(silenceWindow)
	alerts = h.tick()
	require.Len(t, alerts, 1, "a second silence alerts again")
	assert.Equal(t, "plc-gw", groupValue(alerts[0], secevent.KeyServiceName))
}

// The batch path runs the ticks too: a batch that comes after the deadline carries the alert.
func TestAbsenceAlertInBatch(t *testing.T) {
	h := newHarness(t, absenceConfig())
	require.Empty(t, h.sendFrom("plc-gw", "edge-01"))
	h.clock.Add(silenceWindow)
	alerts := h.sendFrom("historian", "edge-02")
	require.Len(t, alerts, 1)
	assert.Equal(t, "plc-gw", groupValue(alerts[0], secevent.KeyServiceName))
	assert.Empty(t, h.tick())
}

// An expected group alerts one window after start even if it was never seen.
func TestAbsenceExpected(t *testing.T) {
	h := newHarness(t, absenceConfig(map[string]string{secevent.KeyServiceName: "plc-gw", secevent.KeyHostName: "edge-01"}))
	start := h.clock.Now()
	assert.Empty(t, h.tick(), "the watch starts")
	h.clock.Add(silenceWindow)
	alerts := h.tick()
	require.Len(t, alerts, 1)
	assert.Equal(t, ts(start), str(alerts[0], secevent.KeyAlertFirstSeen))
	assert.Contains(t, alerts[0].Body().Str(), "(expected, never seen) since "+ts(start))
	alerts = h.sendFrom("plc-gw", "edge-01")
	require.Len(t, alerts, 1)
	assert.Equal(t, actionAbsenceRecovered, str(alerts[0], secevent.KeyAction))
}

// forget_after drops a silent group that was not expected; expected ones are kept forever.
func TestAbsenceForgetAfter(t *testing.T) {
	cfg := absenceConfig(map[string]string{secevent.KeyServiceName: "plc-gw", secevent.KeyHostName: "edge-01"})
	cfg.Rules[0].ForgetAfter = time.Hour
	h := newHarness(t, cfg)
	require.Empty(t, h.sendFrom("plc-gw", "edge-01"))
	require.Empty(t, h.sendFrom("old-svc", "edge-09"))
	h.clock.Add(silenceWindow)
	require.Len(t, h.tick(), 2)
	h.clock.Add(time.Hour)
	assert.Empty(t, h.tick())
	ev := h.p.rules[0].eval.(*absenceEvaluator)
	assert.Len(t, ev.groups, 1, "old-svc forgotten, the expected plc-gw kept")
	assert.Empty(t, h.sendFrom("old-svc", "edge-09"), "a forgotten group comes back as a new one, no recovery")
	require.Len(t, h.sendFrom("plc-gw", "edge-01"), 1)
}

// New groups beyond max_groups_per_rule are refused (counted), never pushing out a silent one.
func TestAbsenceGroupsBounded(t *testing.T) {
	cfg := absenceConfig()
	cfg.MaxGroupsPerRule = 2
	h := newHarness(t, cfg)
	require.Empty(t, h.sendFrom("a", "h"))
	h.clock.Add(silenceWindow)
	require.Len(t, h.tick(), 1)
	for i := range 5 {
		require.Empty(t, h.sendFrom(fmt.Sprintf("flood-%d", i), "h"))
	}
	assert.Equal(t, int64(4), h.counter(metadata.MetricGroupsRefused, "ot_service_silent"))
	alerts := h.sendFrom("a", "h")
	require.Len(t, alerts, 1, "the silent group was kept")
	assert.Equal(t, actionAbsenceRecovered, str(alerts[0], secevent.KeyAction))
}

// A refused timer hand-over is counted and retried at the next tick; a permanent refusal drops
// the alerts, counted.
func TestAbsenceTimerRetry(t *testing.T) {
	sink := &failingSink{}
	h := newHarnessWith(t, absenceConfig(), sink)
	require.NoError(t, h.p.ConsumeLogs(t.Context(), h.fromService("a", "h")))
	h.clock.Add(silenceWindow)
	sink.err = errors.New("exporter queue full")
	h.p.tickOnce(t.Context())
	h.p.tickOnce(t.Context())
	assert.Equal(t, int64(2), h.counter(metadata.MetricTimerSendFailures, ""))
	assert.Equal(t, int64(0), h.counter(metadata.MetricAlertsDropped, ""))
	sink.err = nil
	h.p.tickOnce(t.Context())
	require.Len(t, sink.AllLogs(), 2)
	alerts := alertsIn(sink.AllLogs()[1])
	require.Len(t, alerts, 1, "delivered once, after the refusals")
	assert.Equal(t, actionAbsence, str(alerts[0], secevent.KeyAction))
	assert.Equal(t, int64(1), h.counter(metadata.MetricTimerAlerts, ""))
	h.p.tickOnce(t.Context())
	assert.Len(t, sink.AllLogs(), 2, "nothing left to send")

	require.NoError(t, h.p.ConsumeLogs(t.Context(), h.fromService("b", "h")))
	h.clock.Add(silenceWindow)
	sink.err = consumererror.NewPermanent(errors.New("rejected"))
	h.p.tickOnce(t.Context())
	assert.Equal(t, int64(1), h.counter(metadata.MetricAlertsDropped, ""))
	sink.err = nil
	h.p.tickOnce(t.Context())
	assert.Len(t, sink.AllLogs(), 3, "dropped, not retried")
}

// The timer goroutine started by Start emits without any batch.
func TestAbsenceTimerLoop(t *testing.T) {
	cfg := absenceConfig()
	cfg.TickInterval = 10 * time.Millisecond
	sink := new(consumertest.LogsSink)
	h := newHarnessWith(t, cfg, sink)
	require.NoError(t, h.p.Start(t.Context(), host{}))
	t.Cleanup(func() { _ = h.p.Shutdown(t.Context()) })
	require.NoError(t, h.p.ConsumeLogs(t.Context(), h.fromService("a", "h")))
	h.clock.Add(silenceWindow)
	require.Eventually(t, func() bool { return len(sink.AllLogs()) == 2 }, 10*time.Second, 5*time.Millisecond)
	alerts := alertsIn(sink.AllLogs()[1])
	require.Len(t, alerts, 1)
	assert.Equal(t, "otelcol-siem", func() string {
		v, _ := sink.AllLogs()[1].ResourceLogs().At(0).Resource().Attributes().Get(secevent.KeyServiceName)
		return v.Str()
	}(), "alerts carry the collector's identity")
}

// Restart: a group silent at shutdown stays silent (no second alert; its recovery counts the
// downtime); groups that were fine get a fresh window from the start (no storm); a group that went
// silent during the downtime alerts one window after the start, with its real last-seen time.
func TestAbsenceRestart(t *testing.T) {
	st := newMemStorage()
	cfg := absenceConfig()
	cfg.Storage = &storageID
	h := newHarness(t, cfg)
	require.NoError(t, h.p.Start(t.Context(), host{storageID: st}))
	silentSince := h.clock.Now()
	require.Empty(t, h.sendFrom("silent", "h"))
	h.clock.Add(silenceWindow)
	require.Len(t, h.tick(), 1)
	fineSince := h.clock.Now()
	require.Empty(t, h.sendFrom("fine", "h"))
	require.Empty(t, h.sendFrom("stops", "h"))

	h = restart(t, h, cfg, st) // down for 30 minutes, more than the window
	restartAt := h.clock.Now()
	assert.Empty(t, h.tick(), "no storm at start")
	h.clock.Add(silenceWindow - time.Second)
	require.Empty(t, h.sendFrom("fine", "h"))
	assert.Empty(t, h.tick())
	h.clock.Add(time.Second)
	alerts := h.tick()
	require.Len(t, alerts, 1)
	assert.Equal(t, "stops", groupValue(alerts[0], secevent.KeyServiceName))
	assert.Equal(t, ts(fineSince), str(alerts[0], secevent.KeyAlertFirstSeen), "the real last-seen time")
	assert.Equal(t, ts(restartAt.Add(silenceWindow)), str(alerts[0], secevent.KeyAlertLastSeen))

	alerts = h.sendFrom("silent", "h")
	require.Len(t, alerts, 1)
	assert.Equal(t, actionAbsenceRecovered, str(alerts[0], secevent.KeyAction))
	assert.Equal(t, ts(silentSince), str(alerts[0], secevent.KeyAlertFirstSeen), "the silence includes the downtime")

	// Changing the window keeps the state; changing group_by discards it.
	cfg2 := absenceConfig()
	cfg2.Storage = &storageID
	cfg2.Rules[0].Window = time.Hour
	h = restart(t, h, cfg2, st)
	assert.Len(t, h.p.rules[0].eval.(*absenceEvaluator).groups, 3)
	cfg3 := absenceConfig()
	cfg3.Storage = &storageID
	cfg3.Rules[0].GroupBy = []string{secevent.KeyServiceName}
	h = restart(t, h, cfg3, st)
	assert.Empty(t, h.p.rules[0].eval.(*absenceEvaluator).groups)
}

// Concurrent batches and ticks share the state safely (run with -race).
func TestAbsenceConcurrentTicks(t *testing.T) {
	h := newHarness(t, absenceConfig())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 200 {
			h.p.tickOnce(t.Context())
		}
	}()
	for i := range 200 {
		require.NoError(t, h.p.ConsumeLogs(t.Context(), h.fromService(fmt.Sprintf("s%d", i%20), "h")))
		h.clock.Add(time.Minute)
	}
	<-done
	var absence, recovered int
	for _, ld := range h.sink.AllLogs() {
		for _, a := range alertsIn(ld) {
			switch str(a, secevent.KeyAction) {
			case actionAbsence:
				absence++
			case actionAbsenceRecovered:
				recovered++
			}
		}
	}
	assert.GreaterOrEqual(t, absence, recovered, "every recovery follows an absence alert")
	assert.Positive(t, recovered, "services sending every 20 min go silent (15 min) and come back")
	assert.LessOrEqual(t, absence-recovered, 20)
}

// otelcol_processor_alert_groups_silent follows the silences.
func TestAbsenceSilentGauge(t *testing.T) {
	h := newHarness(t, absenceConfig())
	require.NoError(t, h.p.Start(t.Context(), host{}))
	t.Cleanup(func() { _ = h.p.Shutdown(t.Context()) })
	silent := func() int64 {
		m, err := h.tel.GetMetric(metadata.MetricGroupsSilent)
		require.NoError(t, err)
		g, ok := m.Data.(metricdata.Gauge[int64])
		require.True(t, ok)
		require.Len(t, g.DataPoints, 1)
		r, _ := g.DataPoints[0].Attributes.Value(metadata.AttrRule)
		assert.Equal(t, "ot_service_silent", r.AsString())
		return g.DataPoints[0].Value
	}
	require.Empty(t, h.sendFrom("a", "h"))
	require.Empty(t, h.sendFrom("b", "h"))
	assert.Equal(t, int64(0), silent())
	h.clock.Add(silenceWindow)
	require.Len(t, h.tick(), 2)
	assert.Equal(t, int64(2), silent())
	require.Len(t, h.sendFrom("a", "h"), 1)
	assert.Equal(t, int64(1), silent())
}

// An expected group that is no longer listed after a restart is not watched unless it was seen.
func TestAbsenceExpectedRemovedOnRestart(t *testing.T) {
	st := newMemStorage()
	cfg := absenceConfig(map[string]string{secevent.KeyServiceName: "retired", secevent.KeyHostName: "edge-09"})
	cfg.Storage = &storageID
	h := newHarness(t, cfg)
	require.NoError(t, h.p.Start(t.Context(), host{storageID: st}))
	assert.Empty(t, h.tick())
	require.Empty(t, h.sendFrom("plc-gw", "edge-01"))
	cfg2 := absenceConfig()
	cfg2.Storage = &storageID
	h = restart(t, h, cfg2, st)
	h.clock.Add(silenceWindow)
	alerts := h.tick()
	require.Len(t, alerts, 1, "only the group that was seen")
	assert.Equal(t, "plc-gw", groupValue(alerts[0], secevent.KeyServiceName))
}
