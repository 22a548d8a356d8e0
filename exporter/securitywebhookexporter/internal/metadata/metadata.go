// Package metadata holds the security_webhook exporter's identity (type, stability) and the prefix
// of its metrics. It is hand-written: mdatagen is not available at the pinned release.
package metadata // import "github.com/unified-ot/otelcol-siem/exporter/securitywebhookexporter/internal/metadata"

import (
	"go.opentelemetry.io/collector/component"

	"github.com/unified-ot/otelcol-siem/internal/delivery"
	"github.com/unified-ot/otelcol-siem/internal/instruments"
	"github.com/unified-ot/otelcol-siem/internal/integrity"
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
// internal/delivery).
const MetricPrefix = "otelcol_exporter_security_webhook"

// Telemetry holds the exporter's instruments: the HTTP exporters' shared counters. Every series
// carries exporter=<id>.
type Telemetry struct {
	*delivery.HTTPTelemetry
	*delivery.BalanceTelemetry
	// Integrity's counters (records stamped, checkpoints), used when integrity is on.
	Integrity *integrity.Telemetry
}

// NewTelemetry creates the instruments from the component's MeterProvider.
func NewTelemetry(set component.TelemetrySettings, id component.ID) (*Telemetry, error) {
	b := instruments.New(set, ScopeName)
	t := &Telemetry{HTTPTelemetry: delivery.NewHTTPTelemetry(b, MetricPrefix, id), BalanceTelemetry: delivery.NewBalanceTelemetry(b, MetricPrefix, id)}
	t.Integrity = integrity.NewTelemetry(b, MetricPrefix, id)
	return t, b.Err
}
