package queuestorageextension // import "github.com/unified-ot/otelcol-siem/extension/queuestorageextension"

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/unified-ot/otelcol-siem/extension/queuestorageextension/internal/metadata"
	"github.com/unified-ot/otelcol-siem/extension/queuestorageextension/internal/seglog"
)

// registerGauges registers the gauges of every open client: bytes on disk, records, and the age
// of the oldest record. each calls its argument once per open client.
func registerGauges(meter metric.Meter, storageID string, each func(func(name string, st seglog.Stats))) (metric.Registration, error) {
	diskBytes, err := meter.Int64ObservableGauge(metadata.MetricDiskBytes,
		metric.WithDescription("Bytes of one client's segment files on disk."), metric.WithUnit("By"))
	if err != nil {
		return nil, err
	}
	records, err := meter.Int64ObservableGauge(metadata.MetricRecords,
		metric.WithDescription("Records one client holds: for a persistent queue, its queued requests; for the alert processor, its state."),
		metric.WithUnit("{record}"))
	if err != nil {
		return nil, err
	}
	oldest, err := meter.Float64ObservableGauge(metadata.MetricOldestRecordAge,
		metric.WithDescription("Age of the oldest value one client holds (0 when it holds none)."), metric.WithUnit("s"))
	if err != nil {
		return nil, err
	}
	return meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		now := time.Now()
		each(func(name string, st seglog.Stats) {
			attrs := metric.WithAttributes(attribute.String(metadata.AttrStorage, storageID), attribute.String(metadata.AttrClient, name))
			o.ObserveInt64(diskBytes, st.DiskBytes, attrs)
			o.ObserveInt64(records, int64(st.Records), attrs)
			age := 0.0
			if !st.Oldest.IsZero() {
				age = now.Sub(st.Oldest).Seconds()
			}
			o.ObserveFloat64(oldest, age, attrs)
		})
		return nil
	}, diskBytes, records, oldest)
}
