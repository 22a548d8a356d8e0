// Package metadata holds the cef_syslog exporter's identity (type, stability) and its own
// telemetry instruments. It is hand-written: mdatagen is not available at the pinned release.
package metadata // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter/internal/metadata"

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

var (
	// Type is the component type used in collector configuration.
	Type = component.MustNewType("cef_syslog")
	// ScopeName is the instrumentation scope of the exporter's own metrics.
	ScopeName = "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter"
)

// LogsStability is the stability of the logs signal: the only signal this exporter supports.
const LogsStability = component.StabilityLevelAlpha

// NewDefaultSendingQueueConfig returns the sending queue enabled with exporterhelper's defaults:
// a SIEM outage must not push back on (or drop at) the pipeline before the queue fills.
func NewDefaultSendingQueueConfig() configoptional.Optional[exporterhelper.QueueBatchConfig] {
	return configoptional.Some(exporterhelper.NewDefaultQueueConfig())
}
