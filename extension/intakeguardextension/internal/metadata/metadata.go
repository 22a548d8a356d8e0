// Package metadata holds the intake_guard extension's identity (type, stability) and, in
// telemetry.go, its own telemetry instruments. It is hand-written: mdatagen is not available at
// the pinned release.
package metadata // import "github.com/unified-ot/otelcol-siem/extension/intakeguardextension/internal/metadata"

import (
	"go.opentelemetry.io/collector/component"
)

var (
	// Type is the component type used in collector configuration.
	Type = component.MustNewType("intake_guard")
	// ScopeName is the instrumentation scope of the extension's own metrics.
	ScopeName = "github.com/unified-ot/otelcol-siem/extension/intakeguardextension"
)

// ExtensionStability is the stability of the extension.
const ExtensionStability = component.StabilityLevelAlpha
