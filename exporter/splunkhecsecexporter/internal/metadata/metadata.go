// Package metadata holds the splunk_hec_sec exporter's identity (type, stability) and the names of
// its own metrics. It is hand-written: mdatagen is not available at the pinned release.
package metadata // import "github.com/unified-ot/otelcol-siem/exporter/splunkhecsecexporter/internal/metadata"

import (
	"go.opentelemetry.io/collector/component"
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
// internal/httpdelivery and the acknowledgement counters below). The `otelcol_` prefix follows what
// mdatagen generates for collector components.
const MetricPrefix = "otelcol_exporter_splunk_hec_sec"

// Indexer-acknowledgement metrics.
const (
	MetricEventsAcked    = MetricPrefix + "_events_acked"
	MetricAckTimeouts    = MetricPrefix + "_ack_timeouts"
	MetricAckUnavailable = MetricPrefix + "_ack_unavailable"
)
