package metadata // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter/internal/metadata"

import (
	"context"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"go.opentelemetry.io/collector/component"

	"github.com/unified-ot/otelcol-siem/internal/delivery"
	"github.com/unified-ot/otelcol-siem/internal/instruments"
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
	MetricEndpointUp       = "otelcol_exporter_cef_syslog_endpoint_up"
	MetricEndpointFailures = "otelcol_exporter_cef_syslog_endpoint_failures"
	MetricEndpointSwitches = "otelcol_exporter_cef_syslog_endpoint_switches"
)

// AttrEndpoint names the receiver (host:port, or the file's path) of a series.
const AttrEndpoint = "endpoint"

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
	EndpointUp       metric.Int64ObservableGauge
	EndpointFailures metric.Int64Counter
	EndpointSwitches metric.Int64Counter

	// Precomputed attribute options (building an attribute set per batch would allocate), each
	// with the exporter's id: ID alone, or with the reason of RecordsFailed.
	ID              metric.MeasurementOption
	FailedFormat    metric.MeasurementOption
	FailedTransport metric.MeasurementOption

	id        component.ID
	meter     metric.Meter
	endpoints sync.Map // endpoint -> metric.MeasurementOption
}

// NewTelemetry creates the instruments from the component's MeterProvider; every series carries
// exporter=<id>.
func NewTelemetry(set component.TelemetrySettings, id component.ID) (*Telemetry, error) {
	b := instruments.New(set, ScopeName)
	t := &Telemetry{
		id:              id,
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
	t.EndpointUp = b.Gauge(MetricEndpointUp, "1 while the endpoint is in use, 0 while it is passed over after a failure (balance.hold_down); with several endpoints only.", "1")
	t.EndpointFailures = b.Counter(MetricEndpointFailures, "Times an endpoint failed (connect or write) and was passed over for balance.hold_down; with several endpoints only.", "{failure}")
	t.EndpointSwitches = b.Counter(MetricEndpointSwitches, "Failover switches, counted on the endpoint the events went to; with several endpoints only.", "{switch}")
	t.meter = b.Meter
	return t, b.Err
}

// EndpointAttrs is the option of an endpoint's series: exporter=<id>, endpoint=<endpoint>. It is
// built once per endpoint and kept.
func (t *Telemetry) EndpointAttrs(endpoint string) metric.MeasurementOption {
	if o, ok := t.endpoints.Load(endpoint); ok {
		return o.(metric.MeasurementOption)
	}
	o, _ := t.endpoints.LoadOrStore(endpoint, delivery.IDAttrs(t.id, attribute.String(AttrEndpoint, endpoint)))
	return o.(metric.MeasurementOption)
}

// RegisterEndpointUp observes EndpointUp through f, which reports each endpoint's state.
func (t *Telemetry) RegisterEndpointUp(f func(observe func(endpoint string, up bool))) (metric.Registration, error) {
	return t.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		f(func(endpoint string, up bool) {
			v := int64(0)
			if up {
				v = 1
			}
			o.ObserveInt64(t.EndpointUp, v, t.EndpointAttrs(endpoint))
		})
		return nil
	}, t.EndpointUp)
}
