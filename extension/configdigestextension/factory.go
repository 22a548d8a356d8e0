package configdigestextension // import "github.com/unified-ot/otelcol-siem/extension/configdigestextension"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/unified-ot/otelcol-siem/extension/configdigestextension/internal/metadata"
)

// NewFactory returns the factory of the config_digest extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(metadata.Type, createDefaultConfig, createExtension, metadata.ExtensionStability)
}

func createDefaultConfig() component.Config { return &Config{} }

func createExtension(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newDigester(set, cfg.(*Config)), nil
}
