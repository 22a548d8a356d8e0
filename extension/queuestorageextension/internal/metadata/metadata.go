// Package metadata holds the queue_storage extension's identity (type, stability) and, in
// telemetry.go, its own telemetry instruments. It is hand-written: mdatagen is not available at
// the pinned release.
package metadata // import "github.com/unified-ot/otelcol-siem/extension/queuestorageextension/internal/metadata"

import (
	"go.opentelemetry.io/collector/component"
)

var (
	// Type is the component type used in collector configuration.
	Type = component.MustNewType("queue_storage")
	// ScopeName is the instrumentation scope of the extension's own metrics.
	ScopeName = "github.com/unified-ot/otelcol-siem/extension/queuestorageextension"
)

// ExtensionStability is the stability of the extension.
const ExtensionStability = component.StabilityLevelAlpha
