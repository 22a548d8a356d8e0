package integrity

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/unified-ot/otelcol-siem/internal/instruments"
)

// Metric name suffixes, after an exporter's prefix (otelcol_exporter_<type>).
const (
	MetricRecordsStamped = "_integrity_records_stamped"
	MetricCheckpoints    = "_integrity_checkpoints"
)

// Telemetry is an exporter's integrity counters; every series carries exporter=<id>.
type Telemetry struct {
	RecordsStamped metric.Int64Counter
	Checkpoints    metric.Int64Counter
	id             metric.MeasurementOption
}

// NewTelemetry creates the counters <prefix>_integrity_records_stamped and
// <prefix>_integrity_checkpoints.
func NewTelemetry(b *instruments.Builder, prefix string, id component.ID) *Telemetry {
	return &Telemetry{
		RecordsStamped: b.Counter(prefix+MetricRecordsStamped, "Log records stamped with a sequence number and chain value (integrity on), checkpoint records included.", "{record}"),
		Checkpoints:    b.Counter(prefix+MetricCheckpoints, "Integrity checkpoint records emitted (start, resume, recover, periodic, final).", "{record}"),
		id:             instruments.Attrs(attribute.String("exporter", id.String())),
	}
}

// Counters feeds the stamper's counts into t.
func (t *Telemetry) Counters() Counters {
	return Counters{
		Stamped:     func(ctx context.Context, n int64) { t.RecordsStamped.Add(ctx, n, t.id) },
		Checkpoints: func(ctx context.Context, n int64) { t.Checkpoints.Add(ctx, n, t.id) },
	}
}
