// Package metadata holds the splunk_hec_sec exporter's identity (type, stability) and the names of
// its own metrics. It is hand-written: mdatagen is not available at the pinned release.
package metadata // import "github.com/unified-ot/otelcol-siem/exporter/splunkhecsecexporter/internal/metadata"

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/metric"

	"github.com/unified-ot/otelcol-siem/internal/delivery"
	"github.com/unified-ot/otelcol-siem/internal/instruments"
	"github.com/unified-ot/otelcol-siem/internal/integrity"
)

var (
	// Type is the component type used in collector configuration.
	Type = component.MustNewType("splunk_hec_sec")
	// ScopeName is the instrumentation scope of the exporter's own metrics.
	ScopeName = "github.com/unified-ot/otelcol-siem/exporter/splunkhecsecexporter"
)

// LogsStability is the stability of the logs signal: the only signal this exporter supports.
const LogsStability = component.StabilityLevelAlpha

// MetricPrefix starts the name of every metric of the exporter (the shared counters of
// internal/delivery and the acknowledgement counters below). The `otelcol_` prefix follows what
// mdatagen generates for collector components.
const MetricPrefix = "otelcol_exporter_splunk_hec_sec"

// Indexer-acknowledgement metrics.
const (
	MetricEventsAcked    = MetricPrefix + "_events_acked"
	MetricAckTimeouts    = MetricPrefix + "_ack_timeouts"
	MetricAckUnavailable = MetricPrefix + "_ack_unavailable"
)

// Telemetry holds the exporter's instruments: the HTTP exporters' shared counters and the
// acknowledgement counters. Every series carries exporter=<id>.
type Telemetry struct {
	*delivery.HTTPTelemetry
	*delivery.BalanceTelemetry
	EventsAcked    metric.Int64Counter
	AckTimeouts    metric.Int64Counter
	AckUnavailable metric.Int64Counter
	// Integrity's counters (records stamped, checkpoints), used when integrity is on.
	Integrity *integrity.Telemetry
}

// NewTelemetry creates the instruments from the component's MeterProvider.
func NewTelemetry(set component.TelemetrySettings, id component.ID) (*Telemetry, error) {
	b := instruments.New(set, ScopeName)
	t := &Telemetry{HTTPTelemetry: delivery.NewHTTPTelemetry(b, MetricPrefix, id), BalanceTelemetry: delivery.NewBalanceTelemetry(b, MetricPrefix, id)}
	t.EventsAcked = b.Counter(MetricEventsAcked, "Log records whose batch Splunk acknowledged (indexer acknowledgement).", "{record}")
	t.AckTimeouts = b.Counter(MetricAckTimeouts, "Batches not acknowledged within ack.timeout; they are resent.", "{request}")
	t.AckUnavailable = b.Counter(MetricAckUnavailable, "Batches accepted without an ackId although ack.enabled is true (acknowledgement disabled on the token).", "{request}")
	t.Integrity = integrity.NewTelemetry(b, MetricPrefix, id)
	return t, b.Err
}
