package splunkhecsecexporter // import "github.com/unified-ot/otelcol-siem/exporter/splunkhecsecexporter"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/unified-ot/otelcol-siem/exporter/splunkhecsecexporter/internal/metadata"
	"github.com/unified-ot/otelcol-siem/internal/delivery"
	"github.com/unified-ot/otelcol-siem/internal/integrity"
	"github.com/unified-ot/otelcol-siem/internal/secformat"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// Defaults that are not the collector's own.
const (
	defaultHTTPTimeout     = 30 * time.Second
	defaultSource          = "otelcol-siem"
	defaultAckPollInterval = 10 * time.Second // Splunk's advice: poll about every 10 s
	defaultAckTimeout      = 5 * time.Minute  // Splunk's advice: treat as lost after ~5 min
)

// defaultIndexedFields are few on purpose: every indexed field costs index space on every event.
var defaultIndexedFields = []string{secevent.KeyCategory, secevent.KeyOutcome, secevent.KeySiteName}

// NewFactory returns the factory of the splunk_hec_sec exporter.
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
	client.Compression = configcompression.TypeGzip
	return &Config{
		ClientConfig:     client,
		QueueConfig:      delivery.QueueConfig(),
		RetryConfig:      delivery.RetryConfig(),
		Balance:          delivery.DefaultBalanceConfig(),
		Format:           FormatJSON,
		CEF:              secformat.DefaultCEFConfig(),
		Source:           defaultSource,
		Overrides:        OverridesConfig{Host: secevent.KeyHostName, Source: secevent.KeyServiceName},
		IndexedFields:    append([]string(nil), defaultIndexedFields...),
		MaxContentLength: defaultContentLength,
		Ack:              AckConfig{PollInterval: defaultAckPollInterval, Timeout: defaultAckTimeout},
		HealthCheck:      true,
		Integrity:        integrity.DefaultConfig(),
	}
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	exp, err := newExporter(c, set)
	if err != nil {
		return nil, err
	}
	inner, err := delivery.NewLogs(ctx, set, delivery.Settings{
		Queue: c.QueueConfig,
		Retry: c.RetryConfig,
		// No exporterhelper timeout: each HTTP request is bounded by the client's timeout and the
		// acknowledgement wait by ack.timeout; a timeout around both would cut the wait short.
		Timeout:   exporterhelper.TimeoutConfig{Timeout: 0},
		Converter: exp.converter,
		Send:      exp.sendBatch,
		Start:     exp.start,
		Shutdown:  exp.shutdown,
	})
	if err != nil {
		return nil, err
	}
	var logs exporter.Logs = &stoppingLogs{Logs: inner, exp: exp}
	if exp.converter.Integrity != nil {
		logs = integrity.Wrap(logs, exp.converter.Integrity, *c.QueueConfig.Get().StorageID)
	}
	return logs, nil
}

// stoppingLogs tells the exporter that shutdown began before exporterhelper's shutdown waits for
// the queue consumers: a push function waiting for acknowledgements then returns at once (the batch
// stays in the persistent queue) instead of holding shutdown for up to ack.timeout.
type stoppingLogs struct {
	exporter.Logs
	exp *hecExporter
}

func (s *stoppingLogs) Shutdown(ctx context.Context) error {
	s.exp.beginShutdown()
	return s.Logs.Shutdown(ctx)
}
