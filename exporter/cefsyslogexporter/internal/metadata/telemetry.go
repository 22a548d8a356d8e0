package metadata // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter/internal/metadata"

import (
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"go.opentelemetry.io/collector/component"

	"github.com/unified-ot/otelcol-siem/internal/delivery"
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
)

// AttrReason is the attribute of MetricRecordsFailed that says why a record failed.
const AttrReason = "reason"

// Values of AttrReason.
const (
	// ReasonFormat: the record could not be formatted; it is dropped (never retried).
	ReasonFormat = "format"
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

	// Precomputed attribute options (building an attribute set per batch would allocate), each
	// with the exporter's id: ID alone, or with the reason of RecordsFailed.
	ID              metric.MeasurementOption
	FailedFormat    metric.MeasurementOption
	FailedTransport metric.MeasurementOption
}

// NewTelemetry creates the instruments from the component's MeterProvider; every series carries
// exporter=<id>.
func NewTelemetry(set component.TelemetrySettings, id component.ID) (*Telemetry, error) {
	meter := set.MeterProvider.Meter(ScopeName)
	t := &Telemetry{
		ID:              delivery.IDAttrs(id),
		FailedFormat:    delivery.IDAttrs(id, attribute.String(AttrReason, ReasonFormat)),
		FailedTransport: delivery.IDAttrs(id, attribute.String(AttrReason, ReasonTransport)),
	}
	var err, errs error
	t.RecordsSent, err = meter.Int64Counter(MetricRecordsSent,
		metric.WithDescription("Log records written to the transport (socket or file) without error."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	t.RecordsFailed, err = meter.Int64Counter(MetricRecordsFailed,
		metric.WithDescription("Log records that failed: reason=format (dropped, cannot be formatted) or reason=transport (returned to the sending queue / retry)."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	t.RecordsTruncated, err = meter.Int64Counter(MetricRecordsTruncated,
		metric.WithDescription("Log records cut to the transport's size limit (UDP datagram or file size) and marked as truncated."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	t.Reconnects, err = meter.Int64Counter(MetricReconnects,
		metric.WithDescription("Connections re-established after a previous connection was lost or closed because of an error."),
		metric.WithUnit("{connection}"))
	errs = errors.Join(errs, err)
	t.ConnectFailures, err = meter.Int64Counter(MetricConnectFailures,
		metric.WithDescription("Failed connection attempts (dial or TLS handshake)."),
		metric.WithUnit("{attempt}"))
	errs = errors.Join(errs, err)
	t.BytesSent, err = meter.Int64Counter(MetricBytesSent,
		metric.WithDescription("Bytes written to the transport, framing included."),
		metric.WithUnit("By"))
	errs = errors.Join(errs, err)
	return t, errs
}
