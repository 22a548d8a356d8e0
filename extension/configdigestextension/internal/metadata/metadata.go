// Package metadata holds the config_digest extension's identity (type, stability). It is
// hand-written: mdatagen is not available at the pinned release.
package metadata // import "github.com/unified-ot/otelcol-siem/extension/configdigestextension/internal/metadata"

import (
	"go.opentelemetry.io/collector/component"
)

// Type is the component type used in collector configuration.
var Type = component.MustNewType("config_digest")

// ExtensionStability is the stability of the extension.
const ExtensionStability = component.StabilityLevelAlpha
