package metadata // import "github.com/unified-ot/otelcol-siem/receiver/siemauditreceiver/internal/metadata"

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/unified-ot/otelcol-siem/internal/instruments"
)

// Metric names, with the `otelcol_` prefix mdatagen gives collector components.
const (
	MetricRecords        = "otelcol_receiver_siem_audit_records"
	MetricHeartbeats     = "otelcol_receiver_siem_audit_heartbeats"
	MetricRecordsDropped = "otelcol_receiver_siem_audit_records_dropped"
	MetricPendingRecords = "otelcol_receiver_siem_audit_pending_records"
	MetricLastHeartbeat  = "otelcol_receiver_siem_audit_last_heartbeat_timestamp_seconds"
	MetricInterval       = "otelcol_receiver_siem_audit_heartbeat_interval_seconds"
)

// Attribute keys. Every series carries AttrReceiver, the receiver's component id.
const (
	AttrReceiver = "receiver"
	AttrAction   = "action"
)

// Telemetry holds the receiver's instruments.
type Telemetry struct {
	// Records counts audit records handed to the pipeline, by event.action.
	Records metric.Int64Counter
	// Heartbeats counts heartbeat records handed to the pipeline: a Prometheus rule alerts when it
	// stops increasing.
	Heartbeats metric.Int64Counter
	// RecordsDropped counts audit records dropped because the pipeline refused them for longer than
	// max_pending_records could hold.
	RecordsDropped metric.Int64Counter
	// PendingRecords is the audit records the pipeline refused, waiting to be handed again.
	PendingRecords metric.Int64ObservableGauge
	// LastHeartbeat is the Unix time the last heartbeat (or, before the first, collector_started)
	// was handed to the pipeline; HeartbeatInterval the configured interval. A Prometheus rule
	// alerts when time() - LastHeartbeat exceeds twice the interval.
	LastHeartbeat     metric.Float64ObservableGauge
	HeartbeatInterval metric.Float64ObservableGauge

	meter   metric.Meter
	id      attribute.KeyValue
	attrs   metric.MeasurementOption
	mu      sync.Mutex
	actions map[string]metric.MeasurementOption
}

// NewTelemetry creates the instruments of receiver id on set's meter provider.
func NewTelemetry(set component.TelemetrySettings, id component.ID) (*Telemetry, error) {
	b := instruments.New(set, ScopeName)
	t := &Telemetry{meter: b.Meter, id: attribute.String(AttrReceiver, id.String()), actions: map[string]metric.MeasurementOption{}}
	t.attrs = instruments.Attrs(t.id)
	t.Records = b.Counter(MetricRecords, "Audit records (the collector's own account of the pipeline) handed to the pipeline, by event.action.", "{record}")
	t.Heartbeats = b.Counter(MetricHeartbeats, "Heartbeat audit records handed to the pipeline; stops increasing when the collector or its audit pipeline is stuck.", "{record}")
	t.RecordsDropped = b.Counter(MetricRecordsDropped, "Audit records dropped because the pipeline refused them for longer than max_pending_records could hold.", "{record}")
	t.PendingRecords = b.Gauge(MetricPendingRecords, "Audit records the pipeline refused, waiting to be handed to it again.", "{record}")
	t.LastHeartbeat = b.FloatGauge(MetricLastHeartbeat, "Unix time the last heartbeat audit record (before the first: collector_started) was handed to the pipeline.", "s")
	t.HeartbeatInterval = b.FloatGauge(MetricInterval, "The configured heartbeat_interval.", "s")
	return t, b.Err
}

// Emitted counts one record of action.
func (t *Telemetry) Emitted(ctx context.Context, action string, heartbeat bool) {
	t.mu.Lock()
	o, ok := t.actions[action]
	if !ok {
		o = instruments.Attrs(t.id, attribute.String(AttrAction, action))
		t.actions[action] = o
	}
	t.mu.Unlock()
	t.Records.Add(ctx, 1, o)
	if heartbeat {
		t.Heartbeats.Add(ctx, 1, t.attrs)
	}
}

// Dropped counts n audit records dropped.
func (t *Telemetry) Dropped(ctx context.Context, n int) {
	t.RecordsDropped.Add(ctx, int64(n), t.attrs)
}

// RegisterCallback registers the observation of the gauges: pending records, the Unix time of
// the last heartbeat, and the heartbeat interval in seconds.
func (t *Telemetry) RegisterCallback(pending func() int64, lastHeartbeat func() float64, interval float64) (metric.Registration, error) {
	return t.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(t.PendingRecords, pending(), t.attrs)
		if last := lastHeartbeat(); last > 0 {
			o.ObserveFloat64(t.LastHeartbeat, last, t.attrs)
		}
		o.ObserveFloat64(t.HeartbeatInterval, interval, t.attrs)
		return nil
	}, t.PendingRecords, t.LastHeartbeat, t.HeartbeatInterval)
}
