// Package metadata holds the siem_audit receiver's identity (type, stability) and, in
// telemetry.go, its own telemetry instruments. It is hand-written: mdatagen is not available at
// the pinned release.
package metadata // import "github.com/unified-ot/otelcol-siem/receiver/siemauditreceiver/internal/metadata"

import (
	"go.opentelemetry.io/collector/component"
)

var (
	// Type is the component type used in collector configuration.
	Type = component.MustNewType("siem_audit")
	// ScopeName is the instrumentation scope of the receiver's metrics and of the audit records'
	// ScopeLogs.
	ScopeName = "github.com/unified-ot/otelcol-siem/receiver/siemauditreceiver"
)

// LogsStability is the stability of the receiver's logs.
const LogsStability = component.StabilityLevelAlpha
