// Package metadata holds the security_classify processor's component type and stability. It is
// hand-written because mdatagen is not available at the pinned collector release (DEVELOPERS.md).
package metadata

import (
	"go.opentelemetry.io/collector/component"
)

var (
	// Type is the component type used in the collector configuration.
	Type = component.MustNewType("security_classify")
	// ScopeName is the instrumentation scope of the processor's own telemetry.
	ScopeName = "github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor"
)

const (
	// LogsStability is the stability of the logs pipeline support.
	LogsStability = component.StabilityLevelAlpha
)
