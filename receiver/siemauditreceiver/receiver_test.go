package siemauditreceiver

import (
	"context"
	"errors"
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
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/unified-ot/otelcol-siem/internal/pipelinehealth"
	"github.com/unified-ot/otelcol-siem/receiver/siemauditreceiver/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

const uuidPattern = `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`

type digestExt struct{ component.Component }

func (digestExt) ConfigDigest() string { return "sha256:0123" }

type hostWith map[component.ID]component.Component

func (h hostWith) GetExtensions() map[component.ID]component.Component { return h }

func newTestReceiver(t *testing.T, next consumer.Logs) *auditReceiver {
	t.Helper()
	set := receivertest.NewNopSettings(metadata.Type)
	set.BuildInfo = component.BuildInfo{Command: "otelcol-siem", Version: "9.8.7"}
	cfg := createDefaultConfig().(*Config)
	cfg.MaxPendingRecords = 3
	r, err := newAuditReceiver(set, cfg, next)
	require.NoError(t, err)
	r.hub = pipelinehealth.New(time.Now)
	return r
}

func records(sink *consumertest.LogsSink) []plog.LogRecord {
	var out []plog.LogRecord
	for _, ld := range sink.AllLogs() {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			sls := ld.ResourceLogs().At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				for k := 0; k < sls.At(j).LogRecords().Len(); k++ {
					out = append(out, sls.At(j).LogRecords().At(k))
				}
			}
		}
	}
	return out
}

func attr(lr plog.LogRecord, k string) string {
	v, ok := lr.Attributes().Get(k)
	if !ok {
		return ""
	}
	return v.AsString()
}

func TestStartedAndStopping(t *testing.T) {
	sink := new(consumertest.LogsSink)
	r := newTestReceiver(t, sink)
	before := time.Now()
	host := hostWith{component.MustNewID("config_digest"): digestExt{}}
	require.NoError(t, r.Start(context.Background(), host))
	require.Eventually(t, func() bool { return sink.LogRecordCount() == 1 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, r.Shutdown(context.Background()))
	recs := records(sink)
	require.Len(t, recs, 2)

	started, stopping := recs[0], recs[1]
	assert.Equal(t, "security.audit.collector_started", started.EventName())
	assert.Equal(t, "audit", attr(started, secevent.KeyCategory))
	assert.Equal(t, ActionStarted, attr(started, secevent.KeyAction))
	assert.Equal(t, "success", attr(started, secevent.KeyOutcome))
	assert.Regexp(t, uuidPattern, attr(started, secevent.KeyEventID))
	assert.Equal(t, "sha256:0123", attr(started, secevent.KeyAuditConfigDigest))
	assert.Equal(t, "300", attr(started, secevent.KeyAuditHeartbeatInterval))
	assert.Equal(t, plog.SeverityNumberInfo, started.SeverityNumber())
	assert.False(t, started.Timestamp().AsTime().Before(before.Truncate(time.Microsecond)))
	assert.Contains(t, started.Body().Str(), "otelcol-siem 9.8.7 started")

	res := sink.AllLogs()[0].ResourceLogs().At(0)
	v, _ := res.Resource().Attributes().Get(secevent.KeyServiceVersion)
	assert.Equal(t, "9.8.7", v.Str())
	assert.Equal(t, metadata.ScopeName, res.ScopeLogs().At(0).Scope().Name())

	assert.Equal(t, "security.audit.collector_stopping", stopping.EventName())
	assert.Equal(t, "initiated", attr(stopping, secevent.KeyOutcome))
	assert.NotEqual(t, attr(started, secevent.KeyEventID), attr(stopping, secevent.KeyEventID))
	assert.False(t, stopping.Timestamp().AsTime().Before(started.Timestamp().AsTime()))
}

func TestStartedWithoutDigest(t *testing.T) {
	sink := new(consumertest.LogsSink)
	r := newTestReceiver(t, sink)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, r.Shutdown(context.Background()))
	recs := records(sink)
	require.NotEmpty(t, recs)
	_, ok := recs[0].Attributes().Get(secevent.KeyAuditConfigDigest)
	assert.False(t, ok)
}

// refusing is a pipeline that refuses while refuse is set.
type refusing struct {
	consumertest.LogsSink
	refuse bool
}

func (c *refusing) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if c.refuse {
		return errors.New("queue is full")
	}
	return c.LogsSink.ConsumeLogs(ctx, ld)
}

// A refused record is handed again with the next ones, with its own id and time; beyond
// max_pending_records (3 here) the oldest go.
func TestPendingRecordsKeptAndBounded(t *testing.T) {
	next := &refusing{refuse: true}
	r := newTestReceiver(t, next)
	r.mon = newMonitor(r.cfg, time.Now())
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var evs []event
	for i := range 5 {
		evs = append(evs, newEvent(at.Add(time.Duration(i)*time.Second), ActionHeartbeat, secevent.OutcomeSuccess, plog.SeverityNumberInfo, "hb", map[string]any{}))
	}
	r.emit(ctx, evs[:2])
	assert.Len(t, r.pending, 2)
	assert.EqualValues(t, 2, r.nPend.Load())
	r.emit(ctx, evs[2:])
	require.Len(t, r.pending, 3, "bounded by max_pending_records")
	assert.Equal(t, evs[2].id, r.pending[0].id, "the oldest were dropped")

	next.refuse = false
	r.emit(ctx, nil)
	recs := records(&next.LogsSink)
	require.Len(t, recs, 3)
	for i, lr := range recs {
		assert.Equal(t, evs[2+i].id, attr(lr, secevent.KeyEventID), "a record handed again keeps its id")
		assert.Equal(t, evs[2+i].at, lr.Timestamp().AsTime(), "and the time it happened")
	}
	assert.Empty(t, r.pending)
	assert.EqualValues(t, 0, r.nPend.Load())
}

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, metadata.Type, f.Type())
	assert.Equal(t, metadata.LogsStability, f.LogsStability())
	r, err := f.CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), f.CreateDefaultConfig(), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, r.Shutdown(context.Background()))
	// Shutdown without Start does nothing.
	r2, err := f.CreateLogs(context.Background(), receivertest.NewNopSettings(metadata.Type), f.CreateDefaultConfig(), consumertest.NewNop())
	require.NoError(t, err)
	assert.NoError(t, r2.Shutdown(context.Background()))
}

// Shutdown's wait for collector_stopping: it ends once every healthy exporter delivered what it
// accepted, never waits for a failing one, and gives up at its timeout.
func TestAwaitDelivery(t *testing.T) {
	r := newTestReceiver(t, new(consumertest.LogsSink))
	healthy := r.hub.Register(component.MustNewIDWithName("cef_syslog", "up"), 100)
	failing := r.hub.Register(component.MustNewIDWithName("cef_syslog", "down"), 100)
	failing.Accepted(5)
	failing.SendFailed("connection_refused")

	healthy.Accepted(3)
	delivered := make(chan struct{})
	go func() {
		time.Sleep(50 * time.Millisecond)
		healthy.Delivered(3)
		close(delivered)
	}()
	start := time.Now()
	r.awaitDelivery(t.Context(), 30*time.Second)
	select {
	case <-delivered:
	default:
		t.Fatal("awaitDelivery returned before the healthy exporter delivered")
	}
	// Had it waited for the failing exporter's 5 records, it would have run into its timeout.
	assert.Less(t, time.Since(start), 30*time.Second)

	// A healthy exporter that never delivers: the wait ends at the timeout.
	healthy.Accepted(1)
	start = time.Now()
	r.awaitDelivery(t.Context(), 100*time.Millisecond)
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)

	// A cancelled context ends it at once.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start = time.Now()
	r.awaitDelivery(ctx, time.Minute)
	assert.Less(t, time.Since(start), 5*time.Second)
}

// A record the pipeline refuses for good is dropped and counted, not handed again forever.
func TestPermanentRefusalDrops(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	core, logs := observer.New(zap.WarnLevel)
	set.Logger = zap.New(core)
	calls := 0
	next, err := consumer.NewLogs(func(context.Context, plog.Logs) error {
		calls++
		return consumererror.NewPermanent(errors.New("cannot be exported"))
	})
	require.NoError(t, err)
	r, err := newAuditReceiver(set, createDefaultConfig().(*Config), next)
	require.NoError(t, err)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	hb := newEvent(at, ActionHeartbeat, secevent.OutcomeSuccess, plog.SeverityNumberInfo, "hb", map[string]any{})
	r.emit(context.Background(), []event{hb, hb})
	assert.Empty(t, r.pending)
	assert.Zero(t, r.nPend.Load())
	r.emit(context.Background(), nil)
	assert.Equal(t, 1, calls, "nothing handed again")

	m, err := tel.GetMetric(metadata.MetricRecordsDropped)
	require.NoError(t, err)
	dps := m.Data.(metricdata.Sum[int64]).DataPoints
	require.Len(t, dps, 1)
	assert.EqualValues(t, 2, dps[0].Value)
	require.Equal(t, 1, logs.Len(), "logged once")
	assert.Equal(t, zap.ErrorLevel, logs.All()[0].Level)
	assert.EqualValues(t, 2, logs.All()[0].ContextMap()["dropped"])
}
