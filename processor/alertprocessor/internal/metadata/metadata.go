// Package metadata holds the alert processor's component type and stability. It is hand-written
// because mdatagen is not available at the pinned collector release (see DEVELOPERS.md).
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	// Type is the component type used in the collector configuration.
	Type = component.MustNewType("alert")
	// ScopeName is the instrumentation scope of the processor's own telemetry and of the alert
	// records it emits.
	ScopeName = "github.com/unified-ot/otelcol-siem/processor/alertprocessor"
)

const (
	// LogsStability is the stability of the logs pipeline support.
	LogsStability = component.StabilityLevelAlpha
)
