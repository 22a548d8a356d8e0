package cefsyslogexporter // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter/internal/metadata"
	"github.com/unified-ot/otelcol-siem/internal/delivery"
	"github.com/unified-ot/otelcol-siem/internal/integrity"
	"github.com/unified-ot/otelcol-siem/internal/secformat"
)

// Defaults that are not the collector's own.
const (
	defaultTimeout          = 30 * time.Second
	defaultDialTimeout      = 10 * time.Second
	defaultWriteTimeout     = 10 * time.Second
	defaultReconnectMin     = time.Second
	defaultReconnectMax     = 30 * time.Second
	defaultFileMaxSizeMB    = 100
	defaultFileMaxBackups   = 10
	defaultFileSyslogHeader = true
)

// NewFactory returns the factory of the cef_syslog exporter.
func NewFactory() exporter.Factory {
	return exporter.NewFactory(
		metadata.Type,
		createDefaultConfig,
		exporter.WithLogs(createLogs, metadata.LogsStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		TimeoutConfig: exporterhelper.TimeoutConfig{Timeout: defaultTimeout},
		QueueConfig:   delivery.QueueConfig(),
		RetryConfig:   delivery.RetryConfig(),
		Transport:     TransportTCP,
		Balance:       delivery.DefaultBalanceConfig(),
		Format:        FormatCEF,
		DialTimeout:   defaultDialTimeout,
		WriteTimeout:  defaultWriteTimeout,
		Reconnect: ReconnectConfig{
			InitialInterval: defaultReconnectMin,
			MaxInterval:     defaultReconnectMax,
		},
		TLS: configtls.NewDefaultClientConfig(),
		UDP: UDPConfig{MaxDatagramSize: defaultDatagramSize},
		File: FileConfig{
			MaxSizeMB:    defaultFileMaxSizeMB,
			MaxBackups:   defaultFileMaxBackups,
			SyslogHeader: defaultFileSyslogHeader,
		},
		Syslog:    secformat.DefaultSyslogConfig(),
		CEF:       secformat.DefaultCEFConfig(),
		Integrity: integrity.DefaultConfig(),
	}
}

func createLogs(ctx context.Context, set exporter.Settings, cfg component.Config) (exporter.Logs, error) {
	c := cfg.(*Config)
	exp, err := newExporter(c, set)
	if err != nil {
		return nil, err
	}
	logs, err := delivery.NewLogs(ctx, set, delivery.Settings{
		Queue:     c.QueueConfig,
		Retry:     c.RetryConfig,
		Timeout:   c.TimeoutConfig,
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
