package siemauditreceiver // import "github.com/unified-ot/otelcol-siem/receiver/siemauditreceiver"

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/unified-ot/otelcol-siem/internal/collectorresource"
	"github.com/unified-ot/otelcol-siem/internal/pipelinehealth"
	"github.com/unified-ot/otelcol-siem/receiver/siemauditreceiver/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// emitTimeout bounds how long one hand-over to the pipeline may wait: a full sending queue blocks
// (block_on_overflow), and the receiver must go on counting, and Shutdown must not hang, meanwhile.
// What was not taken in time stays pending.
const emitTimeout = 5 * time.Second

// ConfigDigester is what an extension offers that knows a digest of the collector's effective
// configuration (config_digest does).
type ConfigDigester interface {
	ConfigDigest() string
}

type auditReceiver struct {
	cfg    *Config
	set    receiver.Settings
	next   consumer.Logs
	logger *zap.Logger
	tel    *metadata.Telemetry
	obs    *receiverhelper.ObsReport
	hub    *pipelinehealth.Hub

	resource pcommon.Resource
	reg      metric.Registration

	mon     *monitor
	pending []event
	nPend   atomic.Int64
	// lastBeat is the Unix time (ns) the last heartbeat or collector_started was handed on.
	lastBeat atomic.Int64

	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex // one emit at a time: the loop's, then Shutdown's
}

func newAuditReceiver(set receiver.Settings, cfg *Config, next consumer.Logs) (*auditReceiver, error) {
	tel, err := metadata.NewTelemetry(set.TelemetrySettings, set.ID)
	if err != nil {
		return nil, err
	}
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID: set.ID, Transport: "internal", ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	return &auditReceiver{
		cfg: cfg, set: set, next: next, logger: set.Logger, tel: tel, obs: obs,
		hub: pipelinehealth.Default(), resource: collectorresource.New(set.TelemetrySettings, set.BuildInfo),
	}, nil
}

// configDigest is the digest of the first extension (by id) that offers one.
func configDigest(host component.Host) string {
	exts := host.GetExtensions()
	ids := make([]component.ID, 0, len(exts))
	for id := range exts {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i].String() < ids[j].String() })
	for _, id := range ids {
		if d, ok := exts[id].(ConfigDigester); ok {
			return d.ConfigDigest()
		}
	}
	return ""
}

// evalInterval is how often the receiver looks at the pipeline: often enough that a record comes
// at most half an interval late, and at most once a second otherwise.
func (c *Config) evalInterval() time.Duration {
	return min(time.Second, c.HeartbeatInterval/2, c.UnreachableAfter/2, c.ReportInterval/2)
}

func (r *auditReceiver) Start(_ context.Context, host component.Host) error {
	reg, err := r.tel.RegisterCallback(r.nPend.Load, func() float64 { return float64(r.lastBeat.Load()) / 1e9 },
		r.cfg.HeartbeatInterval.Seconds())
	if err != nil {
		return err
	}
	r.reg = reg
	started := time.Now()
	r.mon = newMonitor(r.cfg, started)

	digest := configDigest(host)
	attrs := map[string]any{
		secevent.KeyAuditHeartbeatInterval: int64(r.cfg.HeartbeatInterval / time.Second),
		secevent.KeyAuditUnreachableAfter:  int64(r.cfg.UnreachableAfter / time.Second),
	}
	body := fmt.Sprintf("%s %s started", r.set.BuildInfo.Command, r.set.BuildInfo.Version)
	if digest != "" {
		attrs[secevent.KeyAuditConfigDigest] = digest
		body += "; effective configuration " + digest
	} else {
		r.logger.Info("No extension offers a digest of the effective configuration (add config_digest to service::extensions); collector_started goes without one")
	}
	ev := newEvent(started, ActionStarted, secevent.OutcomeSuccess, plog.SeverityNumberInfo, body, attrs)

	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.done = cancel, make(chan struct{})
	go r.run(ctx, ev)
	return nil
}

// run hands the started record to the pipeline (pipelines start from the exporters up, so the
// next consumer is ready), then looks at the pipeline every evalInterval.
func (r *auditReceiver) run(ctx context.Context, started event) {
	defer close(r.done)
	r.emit(ctx, []event{started})
	t := time.NewTicker(r.cfg.evalInterval())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.mu.Lock()
			evs := r.mon.step(r.hub.Snapshot())
			r.mu.Unlock()
			r.emit(ctx, evs)
		}
	}
}

// stopFlushTimeout bounds how long Shutdown waits for collector_stopping to reach the destinations
// that are up. The exporters shut down after the receivers, and a persistent queue keeps what is
// still queued then for the next start: without the wait, a healthy SIEM would often learn of the
// stop only when the collector comes back.
const stopFlushTimeout = 2 * time.Second

// awaitDelivery waits, at most timeout, until every exporter whose last send did not fail has
// delivered (or dropped) all it accepted since start. A failing destination is not waited for:
// its records stay queued for the next start.
func (r *auditReceiver) awaitDelivery(ctx context.Context, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for {
		drained := true
		for _, e := range r.hub.Snapshot().Exporters {
			if e.FailingSince.IsZero() && e.Queued() > 0 {
				drained = false
			}
		}
		if drained || time.Now().After(deadline) || ctx.Err() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// emit hands the pending records and evs to the pipeline. What it refuses is kept, up to
// max_pending_records (oldest dropped), for the next call: an audit record is not lost because a
// queue was full for a moment. What it refuses for good (a permanent error) is dropped: handing
// it again would be refused again.
func (r *auditReceiver) emit(ctx context.Context, evs []event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	all := append(r.pending, evs...)
	r.pending = nil
	if len(all) == 0 {
		r.nPend.Store(0)
		return
	}
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	r.resource.CopyTo(rl.Resource())
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(metadata.ScopeName)
	sl.Scope().SetVersion(r.set.BuildInfo.Version)
	lrs := sl.LogRecords()
	lrs.EnsureCapacity(len(all))
	observed := time.Now()
	for _, ev := range all {
		ev.fill(lrs.AppendEmpty(), observed)
	}
	ctx, cancel := context.WithTimeout(ctx, emitTimeout)
	defer cancel()
	octx := r.obs.StartLogsOp(ctx)
	err := r.next.ConsumeLogs(octx, ld)
	r.obs.EndLogsOp(octx, "audit", len(all), err)
	if err != nil && consumererror.IsPermanent(err) {
		r.pending = nil
		r.nPend.Store(0)
		r.tel.Dropped(ctx, len(all))
		r.logger.Error("Audit records dropped: the pipeline refused them for good",
			zap.Int("dropped", len(all)), zap.Error(err))
		return
	}
	if err != nil {
		if over := len(all) - r.cfg.MaxPendingRecords; over > 0 {
			r.tel.Dropped(ctx, over)
			r.logger.Error("Audit records dropped: the pipeline refused them for longer than max_pending_records could hold",
				zap.Int("dropped", over), zap.Error(err))
			all = append([]event(nil), all[over:]...)
		}
		r.pending = all
		r.nPend.Store(int64(len(all)))
		r.logger.Warn("The pipeline refused audit records; handing them again with the next ones",
			zap.Int("pending", len(all)), zap.Error(err))
		return
	}
	r.nPend.Store(0)
	for _, ev := range all {
		beat := ev.action == ActionHeartbeat || ev.action == ActionStarted
		r.tel.Emitted(ctx, ev.action, ev.action == ActionHeartbeat)
		if beat && ev.at.UnixNano() > r.lastBeat.Load() {
			r.lastBeat.Store(ev.at.UnixNano())
		}
	}
}

// Shutdown writes collector_stopping with the counters since the last heartbeat. The collector
// shuts receivers down before the exporters, so the record reaches their (persistent) queues.
func (r *auditReceiver) Shutdown(ctx context.Context) error {
	if r.cancel == nil {
		return nil
	}
	r.cancel()
	<-r.done
	r.mu.Lock()
	s := r.hub.Snapshot()
	evs := r.mon.step(s)
	evs = append(evs, r.mon.heartbeat(s, ActionStopping))
	r.mu.Unlock()
	r.emit(ctx, evs)
	if n := len(r.pending); n > 0 {
		r.tel.Dropped(ctx, n)
		r.logger.Error("Audit records lost at shutdown: the pipeline refused them", zap.Int("dropped", n))
	}
	r.awaitDelivery(ctx, stopFlushTimeout)
	if r.reg != nil {
		return r.reg.Unregister()
	}
	return nil
}
