package securitywebhookexporter // import "github.com/unified-ot/otelcol-siem/exporter/securitywebhookexporter"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/unified-ot/otelcol-siem/exporter/securitywebhookexporter/internal/metadata"
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
		QueueConfig:      configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		RetryConfig:      defaultRetryConfig(),
		Format:           FormatJSONArray,
		MaxContentLength: defaultContentLength,
	}
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	exp, err := newExporter(c, set)
	if err != nil {
		return nil, err
	}
	return exporterhelper.NewLogs(ctx, set, cfg,
		exp.pushLogs,
		exporterhelper.WithStart(exp.start),
		exporterhelper.WithShutdown(exp.shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		// Each HTTP request is bounded by the client's timeout.
		exporterhelper.WithTimeout(exporterhelper.TimeoutConfig{Timeout: 0}),
		exporterhelper.WithRetry(c.RetryConfig),
		exporterhelper.WithQueue(c.QueueConfig),
	)
}

// defaultRetryConfig is exporterhelper's backoff without its 5-minute cap: a security event must not
// be dropped because the SIEM was down (or its token wrong) for longer than that; the queue holds it.
func defaultRetryConfig() configretry.BackOffConfig {
	cfg := configretry.NewDefaultBackOffConfig()
	cfg.MaxElapsedTime = 0
	return cfg
}
