// Package metadata holds the security_webhook exporter's identity (type, stability) and the prefix
// of its metrics. It is hand-written: mdatagen is not available at the pinned release.
package metadata // import "github.com/unified-ot/otelcol-siem/exporter/securitywebhookexporter/internal/metadata"

import (
	"go.opentelemetry.io/collector/component"
)

var (
	// Type is the component type used in collector configuration.
	Type = component.MustNewType("security_webhook")
	// ScopeName is the instrumentation scope of the exporter's own metrics.
	ScopeName = "github.com/unified-ot/otelcol-siem/exporter/securitywebhookexporter"
)

// LogsStability is the stability of the logs signal: the only signal this exporter supports.
const LogsStability = component.StabilityLevelAlpha

// MetricPrefix starts the name of every metric of the exporter (the shared counters of
// internal/httpdelivery).
const MetricPrefix = "otelcol_exporter_security_webhook"
