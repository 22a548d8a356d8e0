package intakeguardextension // import "github.com/unified-ot/otelcol-siem/extension/intakeguardextension"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/unified-ot/otelcol-siem/extension/intakeguardextension/internal/metadata"
)

// NewFactory returns the factory of the intake_guard extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(metadata.Type, createDefaultConfig, createExtension, metadata.ExtensionStability)
}

func createDefaultConfig() component.Config {
	return &Config{}
}

func createExtension(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newGuard(set, cfg.(*Config))
}
