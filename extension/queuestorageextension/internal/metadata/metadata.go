// Package metadata holds the queue_storage extension's identity (type, stability) and its own
// telemetry instruments. It is hand-written: mdatagen is not available at the pinned release.
package metadata // import "github.com/unified-ot/otelcol-siem/extension/queuestorageextension/internal/metadata"

import (
	"errors"

	"go.opentelemetry.io/otel/metric"

	"go.opentelemetry.io/collector/component"
)

var (
	// Type is the component type used in collector configuration.
	Type = component.MustNewType("queue_storage")
	// ScopeName is the instrumentation scope of the extension's own metrics.
	ScopeName = "github.com/unified-ot/otelcol-siem/extension/queuestorageextension"
)

// ExtensionStability is the stability of the extension.
const ExtensionStability = component.StabilityLevelAlpha

// Metric names, with the `otelcol_` prefix mdatagen gives collector components.
const (
	MetricDiskBytes         = "otelcol_queue_storage_disk_bytes"
	MetricRecords           = "otelcol_queue_storage_records"
	MetricOldestRecordAge   = "otelcol_queue_storage_oldest_record_age_seconds"
	MetricDamagedRecords    = "otelcol_queue_storage_damaged_records"
	MetricDamagedBytes      = "otelcol_queue_storage_damaged_bytes"
	MetricRefusedWrites     = "otelcol_queue_storage_refused_writes"
	MetricDeferredWrites    = "otelcol_queue_storage_deferred_writes"
	MetricSyncDuration      = "otelcol_queue_storage_sync_duration_seconds"
	MetricImportedRecords   = "otelcol_queue_storage_imported_records"
	AttrStorage, AttrClient = "storage", "client"
)

// Telemetry holds the extension's synchronous instruments; the gauges are observed by callbacks
// that the extension registers with Meter.
type Telemetry struct {
	Meter           metric.Meter
	DamagedRecords  metric.Int64Counter
	DamagedBytes    metric.Int64Counter
	RefusedWrites   metric.Int64Counter
	DeferredWrites  metric.Int64Counter
	ImportedRecords metric.Int64Counter
	SyncDuration    metric.Float64Histogram
}

// NewTelemetry creates the instruments on set's meter provider.
func NewTelemetry(set component.TelemetrySettings) (*Telemetry, error) {
	meter := set.MeterProvider.Meter(ScopeName)
	t := &Telemetry{Meter: meter}
	var errs, err error
	t.DamagedRecords, err = meter.Int64Counter(MetricDamagedRecords,
		metric.WithDescription("Stored writes that could not be read (checksum, cut or missing file) and were skipped; a damaged region counts as one."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	t.DamagedBytes, err = meter.Int64Counter(MetricDamagedBytes,
		metric.WithDescription("Bytes of stored data that could not be read and were skipped."),
		metric.WithUnit("By"))
	errs = errors.Join(errs, err)
	t.RefusedWrites, err = meter.Int64Counter(MetricRefusedWrites,
		metric.WithDescription("Writes of new records refused because max_size was reached or the disk is full; the queue refuses the records to its client, which retries."),
		metric.WithUnit("{write}"))
	errs = errors.Join(errs, err)
	t.DeferredWrites, err = meter.Int64Counter(MetricDeferredWrites,
		metric.WithDescription("Bookkeeping writes (read positions, deletes of delivered records) held in memory because the disk was full; they are written when there is room."),
		metric.WithUnit("{write}"))
	errs = errors.Join(errs, err)
	t.ImportedRecords, err = meter.Int64Counter(MetricImportedRecords,
		metric.WithDescription("Keys imported from a file_storage database left by an earlier release."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	t.SyncDuration, err = meter.Float64Histogram(MetricSyncDuration,
		metric.WithDescription("Duration of one fsync of a queue segment file."),
		metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1))
	errs = errors.Join(errs, err)
	return t, errs
}
