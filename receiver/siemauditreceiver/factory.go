package siemauditreceiver // import "github.com/unified-ot/otelcol-siem/receiver/siemauditreceiver"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"

	"github.com/unified-ot/otelcol-siem/receiver/siemauditreceiver/internal/metadata"
)

// Defaults.
const (
	defaultHeartbeatInterval = 5 * time.Minute
	defaultUnreachableAfter  = 5 * time.Minute
	defaultReportInterval    = time.Minute
	defaultQueueFillPercent  = 80
	defaultMaxPendingRecords = 1000
)

// NewFactory returns the factory of the siem_audit receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(metadata.Type, createDefaultConfig,
		receiver.WithLogs(createLogs, metadata.LogsStability))
}

func createDefaultConfig() component.Config {
	return &Config{
		HeartbeatInterval: defaultHeartbeatInterval,
		UnreachableAfter:  defaultUnreachableAfter,
		ReportInterval:    defaultReportInterval,
		QueueFillPercent:  defaultQueueFillPercent,
		MaxPendingRecords: defaultMaxPendingRecords,
	}
}

func createLogs(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
	return newAuditReceiver(set, cfg.(*Config), next)
}
