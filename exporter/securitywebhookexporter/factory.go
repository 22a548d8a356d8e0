package securitywebhookexporter // import "github.com/unified-ot/otelcol-siem/exporter/securitywebhookexporter"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/unified-ot/otelcol-siem/exporter/securitywebhookexporter/internal/metadata"
	"github.com/unified-ot/otelcol-siem/internal/delivery"
	"github.com/unified-ot/otelcol-siem/internal/integrity"
)

const defaultHTTPTimeout = 30 * time.Second

// NewFactory returns the factory of the security_webhook exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	client := confighttp.NewDefaultClientConfig()
	client.Timeout = defaultHTTPTimeout
	// No compression by default: a generic webhook receiver cannot be assumed to accept gzip.
	return &Config{
		ClientConfig:     client,
		QueueConfig:      delivery.QueueConfig(),
		RetryConfig:      delivery.RetryConfig(),
		Balance:          delivery.DefaultBalanceConfig(),
		Format:           FormatJSONArray,
		MaxContentLength: defaultContentLength,
		Integrity:        integrity.DefaultConfig(),
	}
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	exp, err := newExporter(c, set)
	if err != nil {
		return nil, err
	}
	logs, err := delivery.NewLogs(ctx, set, delivery.Settings{
		Queue: c.QueueConfig,
		Retry: c.RetryConfig,
		// Each HTTP request is bounded by the client's timeout.
		Timeout:   exporterhelper.TimeoutConfig{Timeout: 0},
		Converter: exp.converter,
		Send:      exp.sendBatch,
		Start:     exp.start,
		Shutdown:  exp.shutdown,
	})
	if err != nil || exp.converter.Integrity == nil {
		return logs, err
	}
	return integrity.Wrap(logs, exp.converter.Integrity, *c.QueueConfig.Get().StorageID), nil
}
