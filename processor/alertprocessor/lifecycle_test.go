package alertprocessor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/unified-ot/otelcol-siem/processor/alertprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, component.StabilityLevelAlpha, f.LogsStability())
	p, err := f.CreateLogs(t.Context(), processortest.NewNopSettings(metadata.Type), f.CreateDefaultConfig(), consumertest.NewNop())
	require.NoError(t, err)
	assert.True(t, p.Capabilities().MutatesData)
	require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
	require.NoError(t, p.Shutdown(t.Context()))
	_, err = f.CreateTraces(t.Context(), processortest.NewNopSettings(metadata.Type), f.CreateDefaultConfig(), consumertest.NewNop())
	assert.Error(t, err, "logs only")
}

type ctxKey struct{}

// ctxSink records the context it was called with.
type ctxSink struct {
	consumertest.LogsSink
	got []any
}

func (s *ctxSink) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	s.got = append(s.got, ctx.Value(ctxKey{}))
	return s.LogsSink.ConsumeLogs(ctx, ld)
}

func TestSameContextPassedOn(t *testing.T) {
	sink := &ctxSink{}
	h := newHarnessWith(t, defaultConfig(), sink)
	ctx := context.WithValue(t.Context(), ctxKey{}, "caller")
	require.NoError(t, h.p.ConsumeLogs(ctx, h.logs(failedLogin(t0, "a", "b"))))
	cb := event{t0, map[string]any{secevent.KeyCategory: "availability", secevent.KeyAction: "circuit_breaker_open"}}
	require.NoError(t, h.p.ConsumeLogs(ctx, h.logs(cb)), "a batch that fires")
	assert.Equal(t, []any{"caller", "caller"}, sink.got)
	assert.Len(t, alertsIn(sink.AllLogs()[1]), 1)
}

func TestShutdownWithoutStart(t *testing.T) {
	cfg := defaultConfig()
	cfg.Storage = &storageID
	h := newHarness(t, cfg)
	require.NoError(t, h.p.Shutdown(t.Context()))
	require.NoError(t, h.p.Shutdown(t.Context()), "twice")
}

func TestStartStorageErrors(t *testing.T) {
	cfg := defaultConfig()
	cfg.Storage = &storageID
	h := newHarness(t, cfg)
	err := h.p.Start(t.Context(), host{})
	require.ErrorContains(t, err, `storage: extension "file_storage/alert" is not configured`)

	err = h.p.Start(t.Context(), host{storageID: componenttest.NewNopHost().GetExtensions()[storageID]})
	require.ErrorContains(t, err, "is not a storage extension")
	require.NoError(t, h.p.Shutdown(t.Context()))
}

// restart simulates a collector restart: Shutdown (which saves), and a new processor started on
// the same storage.
func restart(t *testing.T, h *harness, cfg *Config, st *memStorage) *harness {
	t.Helper()
	require.NoError(t, h.p.Shutdown(t.Context()))
	h2 := newHarness(t, cfg)
	h2.seq = h.seq
	h2.clock.now = h.clock.Now().Add(30 * time.Minute) // down for half an hour
	require.NoError(t, h2.p.Start(t.Context(), host{storageID: st}))
	t.Cleanup(func() { _ = h2.p.Shutdown(context.Background()) })
	return h2
}

// The brute-force counter survives a restart: 3 failures, restart, 2 more fire.
func TestRestartKeepsWindow(t *testing.T) {
	st := newMemStorage()
	cfg := defaultConfig()
	cfg.Storage = &storageID
	h := newHarness(t, cfg)
	require.NoError(t, h.p.Start(t.Context(), host{storageID: st}))
	for i := 0; i < 3; i++ {
		require.Empty(t, h.send(failedLogin(t0.Add(time.Duration(i)*time.Second), "alice", "10.0.0.1")))
	}
	h = restart(t, h, cfg, st)
	assert.Len(t, thresholdOf(h.p, 0).groups, 1)
	require.Empty(t, h.send(failedLogin(t0.Add(3*time.Second), "alice", "10.0.0.1")))
	alerts := h.send(failedLogin(t0.Add(4*time.Second), "alice", "10.0.0.1"))
	require.Len(t, alerts, 1)
	assert.Equal(t, t0.Format(time.RFC3339Nano), str(alerts[0], secevent.KeyAlertFirstSeen))
	ids, _ := alerts[0].Attributes().Get(secevent.KeyAlertSampleEventIDs)
	assert.Equal(t, []any{"ev-000001", "ev-000002", "ev-000003", "ev-000004", "ev-000005"}, ids.Slice().AsRaw())

	// Without storage the same sequence does not fire: the restart is what the storage bridges.
	h = newHarness(t, defaultConfig())
	for i := 0; i < 3; i++ {
		require.Empty(t, h.send(failedLogin(t0.Add(time.Duration(i)*time.Second), "alice", "10.0.0.1")))
	}
	require.NoError(t, h.p.Shutdown(t.Context()))
	h = newHarness(t, defaultConfig())
	assert.Empty(t, h.sendOneByOne(failedLogin(t0.Add(3*time.Second), "alice", "10.0.0.1"), failedLogin(t0.Add(4*time.Second), "alice", "10.0.0.1")))
}

// An open incident (cooldown) survives a restart: no second alert for the same burst.
func TestRestartKeepsCooldown(t *testing.T) {
	st := newMemStorage()
	cfg := defaultConfig()
	cfg.Storage = &storageID
	h := newHarness(t, cfg)
	require.NoError(t, h.p.Start(t.Context(), host{storageID: st}))
	var evs []event
	for i := 0; i < 5; i++ {
		evs = append(evs, failedLogin(t0.Add(time.Duration(i)*time.Second), "alice", "10.0.0.1"))
	}
	alerts := h.send(evs...)
	require.Len(t, alerts, 1)
	h = restart(t, h, cfg, st)
	g := thresholdOf(h.p, 0).head
	require.NotNil(t, g)
	assert.Equal(t, str(alerts[0], secevent.KeyEventID), g.incidentID, "the open incident is the alert's")
	evs = evs[:0]
	for i := 0; i < 5; i++ {
		evs = append(evs, failedLogin(t0.Add(time.Minute+time.Duration(i)*time.Second), "alice", "10.0.0.1"))
	}
	assert.Empty(t, h.send(evs...), "within the restored cooldown")
	assert.Equal(t, int64(5), thresholdOf(h.p, 0).head.suppressed)
}

// Periodic checkpoints write only changed state; a failed write is retried and counted.
func TestCheckpoint(t *testing.T) {
	st := newMemStorage()
	cfg := defaultConfig()
	cfg.Storage = &storageID
	h := newHarness(t, cfg)
	require.NoError(t, h.p.Start(t.Context(), host{storageID: st}))
	t.Cleanup(func() { _ = h.p.Shutdown(context.Background()) })
	require.NoError(t, h.p.checkpoint(t.Context(), false))
	assert.Empty(t, st.data, "nothing changed, nothing written")
	require.Empty(t, h.send(failedLogin(t0, "alice", "10.0.0.1")))
	require.NoError(t, h.p.checkpoint(t.Context(), false))
	assert.Len(t, st.data, 1)
	for k := range st.data {
		assert.Contains(t, k, "Processor/alert/", "a client for this processor id")
		assert.Contains(t, k, storageKey)
	}

	st.failSet = true
	require.Empty(t, h.send(failedLogin(t0.Add(time.Second), "alice", "10.0.0.1")))
	require.Error(t, h.p.checkpoint(t.Context(), false))
	assert.Equal(t, int64(1), h.counter(metadata.MetricCheckpointErrors, ""))
	st.failSet = false
	require.NoError(t, h.p.checkpoint(t.Context(), false))
	var saved struct {
		Rules map[string]struct {
			Groups []groupSnapshot `json:"groups"`
		} `json:"rules"`
	}
	require.NoError(t, jsonUnmarshal(st, &saved))
	assert.Len(t, saved.Rules["failed_logins"].Groups[0].Times, 2, "the failed write was retried")
}

// State saved under another rule definition is discarded; a damaged state does not stop the
// processor.
func TestRestoreDiscardsChangedRulesAndDamagedState(t *testing.T) {
	st := newMemStorage()
	cfg := defaultConfig()
	cfg.Storage = &storageID
	h := newHarness(t, cfg)
	require.NoError(t, h.p.Start(t.Context(), host{storageID: st}))
	require.Empty(t, h.send(failedLogin(t0, "alice", "10.0.0.1"), event{t0, map[string]any{
		secevent.KeyCategory: "authorization", secevent.KeyOutcome: "denied", secevent.KeyUserName: "bob"}}))

	cfg2 := defaultConfig()
	cfg2.Storage = &storageID
	cfg2.Rules[0].Threshold = 6
	cfg2.Rules[2].Name = "renamed: keeps its state"
	h = restart(t, h, cfg2, st)
	assert.Empty(t, thresholdOf(h.p, 0).groups, "threshold changed: state discarded")
	assert.Len(t, thresholdOf(h.p, 2).groups, 1, "name changed only: state kept")
	require.NoError(t, h.p.Shutdown(t.Context()))

	for k := range st.data {
		st.data[k] = []byte("{not json")
	}
	h2 := newHarness(t, cfg2)
	require.NoError(t, h2.p.Start(t.Context(), host{storageID: st}), "a damaged state must not stop monitoring")
	assert.Empty(t, thresholdOf(h2.p, 2).groups)
	require.NoError(t, h2.p.Shutdown(t.Context()))
	var saved snapshot
	require.NoError(t, jsonUnmarshal(st, &saved), "the damaged state is overwritten at shutdown")
}

// failingSink refuses batches with err until err is nil.
type failingSink struct {
	consumertest.LogsSink
	err error
}

func (s *failingSink) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if s.err != nil {
		return s.err
	}
	return s.LogsSink.ConsumeLogs(ctx, ld)
}

var _ consumer.Logs = (*failingSink)(nil)

// An alert in a batch the next consumer refuses (retryably) is not lost: it goes out with the next
// batch, or at Shutdown. A permanent refusal drops it, counted.
func TestRefusedAlertsAreRetried(t *testing.T) {
	sink := &failingSink{err: errors.New("exporter queue full")}
	h := newHarnessWith(t, defaultConfig(), sink)
	cb := event{t0, map[string]any{secevent.KeyCategory: "availability", secevent.KeyAction: "circuit_breaker_open", secevent.KeyServerAddress: "gw"}}
	require.Error(t, h.p.ConsumeLogs(t.Context(), h.logs(cb)))
	sink.err = nil
	require.NoError(t, h.p.ConsumeLogs(t.Context(), h.logs()))
	require.Len(t, sink.AllLogs(), 1)
	alerts := alertsIn(sink.AllLogs()[0])
	require.Len(t, alerts, 1)
	assert.Equal(t, "circuit_breaker_open", str(alerts[0], secevent.KeyAlertRuleID))

	// Refused, then flushed at Shutdown.
	sink.err = errors.New("busy")
	cb.attrs[secevent.KeyServerAddress] = "gw2"
	require.Error(t, h.p.ConsumeLogs(t.Context(), h.logs(cb)))
	sink.err = nil
	require.NoError(t, h.p.Shutdown(t.Context()))
	require.Len(t, sink.AllLogs(), 2)
	assert.Len(t, alertsIn(sink.AllLogs()[1]), 1)

	// Permanent refusal: dropped and counted.
	h = newHarnessWith(t, defaultConfig(), sink)
	sink.err = consumererror.NewPermanent(errors.New("rejected"))
	require.Error(t, h.p.ConsumeLogs(t.Context(), h.logs(cb)))
	assert.Equal(t, int64(1), h.counter(metadata.MetricAlertsDropped, ""))
	sink.err = nil
	require.NoError(t, h.p.ConsumeLogs(t.Context(), h.logs()))
	assert.Empty(t, alertsIn(sink.AllLogs()[2]))
}

func TestPendingAlertsBounded(t *testing.T) {
	sink := &failingSink{err: errors.New("down")}
	cfg := defaultConfig()
	cfg.MaxPendingAlerts = 2
	h := newHarnessWith(t, cfg, sink)
	for _, gw := range []string{"gw1", "gw2", "gw3"} {
		cb := event{t0, map[string]any{secevent.KeyCategory: "availability", secevent.KeyAction: "circuit_breaker_open", secevent.KeyServerAddress: gw}}
		require.Error(t, h.p.ConsumeLogs(t.Context(), h.logs(cb)))
	}
	assert.Equal(t, int64(1), h.counter(metadata.MetricAlertsDropped, ""))
	sink.err = nil
	require.NoError(t, h.p.ConsumeLogs(t.Context(), h.logs()))
	alerts := alertsIn(sink.AllLogs()[0])
	require.Len(t, alerts, 2)
	assert.Equal(t, "gw2", groupValue(alerts[0], secevent.KeyServerAddress), "the oldest pending alert was dropped")
	assert.Equal(t, "gw3", groupValue(alerts[1], secevent.KeyServerAddress))
}

func groupValue(a plog.LogRecord, key string) string {
	g, _ := a.Attributes().Get(secevent.KeyAlertGroup)
	v, _ := g.Map().Get(key)
	return v.Str()
}

// jsonUnmarshal decodes the one state value in st.
func jsonUnmarshal(st *memStorage, v any) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.data) != 1 {
		return fmt.Errorf("want one stored value, have %d", len(st.data))
	}
	for _, b := range st.data {
		return json.Unmarshal(b, v)
	}
	return nil
}

// The checkpoint loop writes changed state every checkpoint_interval while running.
func TestPeriodicCheckpoint(t *testing.T) {
	st := newMemStorage()
	cfg := defaultConfig()
	cfg.Storage = &storageID
	cfg.CheckpointInterval = 5 * time.Millisecond
	h := newHarness(t, cfg)
	require.NoError(t, h.p.Start(t.Context(), host{storageID: st}))
	require.Empty(t, h.send(failedLogin(t0, "alice", "10.0.0.1")))
	require.Eventually(t, func() bool {
		st.mu.Lock()
		defer st.mu.Unlock()
		return len(st.data) == 1
	}, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, h.p.Shutdown(t.Context()))
}

// Concurrent callers (several receivers feeding one pipeline) share the state safely; run with
// -race. 8 goroutines each send one failed login for the same group: exactly one alert per 5.
func TestConcurrentConsumers(t *testing.T) {
	cfg := defaultConfig()
	cfg.Rules[0].Cooldown = 0
	sink := new(consumertest.LogsSink)
	h := newHarnessWith(t, cfg, sink)
	const workers, each = 8, 50
	done := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			var err error
			for i := 0; i < each && err == nil; i++ {
				ld := plog.NewLogs()
				lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
				lr.SetTimestamp(pcommonTS(t0))
				lr.Attributes().PutStr(secevent.KeyCategory, "authentication")
				lr.Attributes().PutStr(secevent.KeyOutcome, "failure")
				lr.Attributes().PutStr(secevent.KeyEventID, fmt.Sprintf("w%d-%d", w, i))
				err = h.p.ConsumeLogs(context.Background(), ld)
			}
			done <- err
		}()
	}
	for w := 0; w < workers; w++ {
		require.NoError(t, <-done)
	}
	n := 0
	for _, ld := range sink.AllLogs() {
		n += len(alertsIn(ld))
	}
	assert.Equal(t, workers*each/5, n)
}

// Group values that are not valid UTF-8 survive the JSON state unchanged.
func TestRestoreInvalidUTF8GroupValue(t *testing.T) {
	st := newMemStorage()
	cfg := defaultConfig()
	cfg.Storage = &storageID
	h := newHarness(t, cfg)
	require.NoError(t, h.p.Start(t.Context(), host{storageID: st}))
	bad := "mallory\xff\xfe"
	for i := 0; i < 4; i++ {
		require.Empty(t, h.send(failedLogin(t0.Add(time.Duration(i)*time.Second), bad, "10.0.0.1")))
	}
	h = restart(t, h, cfg, st)
	alerts := h.send(failedLogin(t0.Add(4*time.Second), bad, "10.0.0.1"))
	require.Len(t, alerts, 1)
	assert.Equal(t, bad, groupValue(alerts[0], secevent.KeyUserName))
}
