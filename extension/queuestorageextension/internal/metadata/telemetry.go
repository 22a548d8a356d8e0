package metadata // import "github.com/unified-ot/otelcol-siem/extension/queuestorageextension/internal/metadata"

import (
	"github.com/unified-ot/otelcol-siem/internal/instruments"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Metric names, with the `otelcol_` prefix mdatagen gives collector components.
const (
	MetricDiskBytes       = "otelcol_queue_storage_disk_bytes"
	MetricRecords         = "otelcol_queue_storage_records"
	MetricOldestRecordAge = "otelcol_queue_storage_oldest_record_age_seconds"
	MetricDamagedRecords  = "otelcol_queue_storage_damaged_records"
	MetricDamagedBytes    = "otelcol_queue_storage_damaged_bytes"
	MetricRefusedWrites   = "otelcol_queue_storage_refused_writes"
	MetricDeferredWrites  = "otelcol_queue_storage_deferred_writes"
	MetricSyncDuration    = "otelcol_queue_storage_sync_duration_seconds"
	MetricImportedRecords = "otelcol_queue_storage_imported_records"
)

// Attribute keys. Every series carries AttrExtension, the extension's component id
// (queue_storage, queue_storage/site2), as the collector's own component metrics are labelled by
// kind, and AttrClient, the storage client (e.g. exporter_cef_syslog_siem_logs).
const (
	AttrExtension = "extension"
	AttrClient    = "client"
)

// Telemetry holds the extension's instruments. The gauges are observed by a callback the
// extension registers with RegisterCallback.
type Telemetry struct {
	DiskBytes       metric.Int64ObservableGauge
	Records         metric.Int64ObservableGauge
	OldestRecordAge metric.Float64ObservableGauge
	DamagedRecords  metric.Int64Counter
	DamagedBytes    metric.Int64Counter
	RefusedWrites   metric.Int64Counter
	DeferredWrites  metric.Int64Counter
	ImportedRecords metric.Int64Counter
	SyncDuration    metric.Float64Histogram

	meter metric.Meter
	id    attribute.KeyValue
}

// NewTelemetry creates the instruments of the extension id on set's meter provider.
func NewTelemetry(set component.TelemetrySettings, id component.ID) (*Telemetry, error) {
	b := instruments.New(set, ScopeName)
	t := &Telemetry{meter: b.Meter, id: attribute.String(AttrExtension, id.String())}
	t.DiskBytes = b.Gauge(MetricDiskBytes, "Bytes of one client's segment files on disk.", "By")
	t.Records = b.Gauge(MetricRecords, "Records one client holds: for a persistent queue, its queued requests; for the alert processor, its state.", "{record}")
	t.OldestRecordAge = b.FloatGauge(MetricOldestRecordAge, "Age of the oldest value one client holds (0 when it holds none).", "s")
	t.DamagedRecords = b.Counter(MetricDamagedRecords, "Stored writes that could not be read (checksum, cut or missing file) and were skipped; a damaged region counts as one.", "{record}")
	t.DamagedBytes = b.Counter(MetricDamagedBytes, "Bytes of stored data that could not be read and were skipped.", "By")
	t.RefusedWrites = b.Counter(MetricRefusedWrites, "Writes of new records refused because max_size was reached or the disk is full; the queue refuses the records to its client, which retries.", "{write}")
	t.DeferredWrites = b.Counter(MetricDeferredWrites, "Bookkeeping writes (read positions, deletes of delivered records) held in memory because the disk was full; they are written when there is room.", "{write}")
	t.ImportedRecords = b.Counter(MetricImportedRecords, "Keys imported from a file_storage database left by an earlier release.", "{record}")
	t.SyncDuration = b.Histogram(MetricSyncDuration, "Duration of one fsync of a queue segment file.", "s",
		0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1)
	return t, b.Err
}

// ClientAttrs is the option of one client's series: extension=<id>, client=<client>. It builds an
// attribute set: call it once when the client is opened, not per recording.
func (t *Telemetry) ClientAttrs(client string) metric.MeasurementOption {
	return instruments.Attrs(t.id, attribute.String(AttrClient, client))
}

// RegisterCallback registers f to observe the gauges DiskBytes, Records and OldestRecordAge.
func (t *Telemetry) RegisterCallback(f metric.Callback) (metric.Registration, error) {
	return t.meter.RegisterCallback(f, t.DiskBytes, t.Records, t.OldestRecordAge)
}
