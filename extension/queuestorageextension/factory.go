package queuestorageextension // import "github.com/unified-ot/otelcol-siem/extension/queuestorageextension"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/unified-ot/otelcol-siem/extension/queuestorageextension/internal/metadata"
	"github.com/unified-ot/otelcol-siem/extension/queuestorageextension/internal/seglog"
)

// Defaults.
const (
	defaultMaxSize     = 1 << 30
	defaultSegmentSize = seglog.DefaultSegmentSize
)

// NewFactory returns the factory of the queue_storage extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(metadata.Type, createDefaultConfig, createExtension, metadata.ExtensionStability)
}

func createDefaultConfig() component.Config {
	return &Config{
		FlushInterval:     seglog.DefaultFlushInterval,
		MaxSize:           defaultMaxSize,
		SegmentSize:       defaultSegmentSize,
		ImportFileStorage: true,
	}
}

func createExtension(_ context.Context, set extension.Settings, cfg component.Config) (extension.Extension, error) {
	return newStorage(set, cfg.(*Config))
}
