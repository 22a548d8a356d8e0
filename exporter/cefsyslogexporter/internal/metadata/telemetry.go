package metadata // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter/internal/metadata"

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"go.opentelemetry.io/collector/component"

	"github.com/unified-ot/otelcol-siem/internal/delivery"
	"github.com/unified-ot/otelcol-siem/internal/instruments"
	"github.com/unified-ot/otelcol-siem/internal/integrity"
)

// Metric names. The `otelcol_` prefix follows what mdatagen generates for collector components,
// so the names read the same in the collector's Prometheus endpoint as the core exporter metrics.
const (
	MetricRecordsSent      = "otelcol_exporter_cef_syslog_records_sent"
	MetricRecordsFailed    = "otelcol_exporter_cef_syslog_records_failed"
	MetricRecordsTruncated = "otelcol_exporter_cef_syslog_records_truncated"
	MetricReconnects       = "otelcol_exporter_cef_syslog_reconnects"
	MetricConnectFailures  = "otelcol_exporter_cef_syslog_connect_failures"
	MetricBytesSent        = "otelcol_exporter_cef_syslog_bytes_sent"
	// Integrity's counters (internal/integrity.NewTelemetry names them).
	MetricRecordsStamped = MetricPrefix + integrity.MetricRecordsStamped
	MetricCheckpoints    = MetricPrefix + integrity.MetricCheckpoints
	// The per-endpoint series of delivery.BalanceTelemetry.
	MetricPrefix             = "otelcol_exporter_cef_syslog"
	MetricEndpointUp         = MetricPrefix + "_endpoint_up"
	MetricEndpointFailures   = MetricPrefix + "_endpoint_failures"
	MetricEndpointSwitches   = MetricPrefix + "_endpoint_switches"
	MetricEndpointLastSwitch = MetricPrefix + "_endpoint_last_switch_timestamp_seconds"
)

// AttrEndpoint names the receiver (host:port, or the file's path) of a series.
const AttrEndpoint = delivery.AttrEndpoint

// AttrReason is the attribute of MetricRecordsFailed that says why a record failed.
const AttrReason = delivery.AttrReason

// Values of AttrReason.
const (
	// ReasonFormat: the record could not be formatted; it is dropped (never retried).
	ReasonFormat = delivery.ReasonFormat
	// ReasonTransport: writing failed; the record is handed back to exporterhelper for retry.
	ReasonTransport = "transport"
)

// Telemetry holds the exporter's instruments.
type Telemetry struct {
	RecordsSent      metric.Int64Counter
	RecordsFailed    metric.Int64Counter
	RecordsTruncated metric.Int64Counter
	Reconnects       metric.Int64Counter
	ConnectFailures  metric.Int64Counter
	BytesSent        metric.Int64Counter
	// Integrity's counters (records stamped, checkpoint records among them), used when
	// integrity is on.
	Integrity *integrity.Telemetry
	// The per-endpoint instruments and options (EndpointAttrs).
	*delivery.BalanceTelemetry

	// Precomputed attribute options (building an attribute set per batch would allocate), each
	// with the exporter's id: ID alone, or with the reason of RecordsFailed.
	ID              metric.MeasurementOption
	FailedFormat    metric.MeasurementOption
	FailedTransport metric.MeasurementOption
}

// NewTelemetry creates the instruments from the component's MeterProvider; every series carries
// exporter=<id>.
func NewTelemetry(set component.TelemetrySettings, id component.ID) (*Telemetry, error) {
	b := instruments.New(set, ScopeName)
	t := &Telemetry{
		ID:              delivery.IDAttrs(id),
		FailedFormat:    delivery.IDAttrs(id, attribute.String(AttrReason, ReasonFormat)),
		FailedTransport: delivery.IDAttrs(id, attribute.String(AttrReason, ReasonTransport)),
	}
	t.RecordsSent = b.Counter(MetricRecordsSent, "Log records written to the transport (socket or file) without error.", "{record}")
	t.RecordsFailed = b.Counter(MetricRecordsFailed, "Log records that failed: reason=format (dropped, cannot be formatted) or reason=transport (returned to the sending queue / retry).", "{record}")
	t.RecordsTruncated = b.Counter(MetricRecordsTruncated, "Log records cut to the transport's size limit (UDP datagram or file size) and marked as truncated.", "{record}")
	t.Reconnects = b.Counter(MetricReconnects, "Connections re-established after a previous connection was lost or closed because of an error.", "{connection}")
	t.ConnectFailures = b.Counter(MetricConnectFailures, "Failed connection attempts (dial or TLS handshake).", "{attempt}")
	t.BytesSent = b.Counter(MetricBytesSent, "Bytes written to the transport, framing included.", "By")
	t.Integrity = integrity.NewTelemetry(b, MetricPrefix, id)
	t.BalanceTelemetry = delivery.NewBalanceTelemetry(b, MetricPrefix, id)
	return t, b.Err
}
