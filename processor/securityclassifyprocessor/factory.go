package securityclassifyprocessor // import "github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"

	"github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// NewFactory returns the factory of the security_classify processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(metadata.Type, createDefaultConfig,
		processor.WithLogs(createLogs, metadata.LogsStability))
}

func createDefaultConfig() component.Config {
	return &Config{
		Aliases:                   DefaultAliases(),
		KeepOriginalKeys:          true,
		PlaceTarget:               true,
		PromoteResourceAttributes: true,
		Rules:                     DefaultRules(),
		Keywords:                  DefaultKeywords(),
		SeverityFloor:             DefaultSeverityFloor(),
	}
}

// DefaultSeverityFloor forwards WARN and above (the seed's rule), and keeps whatever the severity:
// authentication successes (a success after a burst of failures is the signal), configuration
// changes (the seed logs them at INFO, and its "Configuration changes" alert rule must see them)
// and alerts.
func DefaultSeverityFloor() SeverityFloorConfig {
	return SeverityFloorConfig{
		MinSeverity: "WARN",
		Overrides: []SeverityOverride{
			{Category: string(secevent.CategoryAuthentication), Outcomes: []string{string(secevent.OutcomeSuccess)}, MinSeverity: "UNSPECIFIED"},
			{Category: string(secevent.CategoryConfiguration), MinSeverity: "UNSPECIFIED"},
			{Category: string(secevent.CategoryAlert), MinSeverity: "UNSPECIFIED"},
			{Category: string(secevent.CategoryAudit), MinSeverity: "UNSPECIFIED"},
		},
	}
}

func createLogs(ctx context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	c, err := newClassifier(cfg.(*Config), set)
	if err != nil {
		return nil, err
	}
	return processorhelper.NewLogs(ctx, set, cfg, next, c.processLogs,
		processorhelper.WithCapabilities(consumer.Capabilities{MutatesData: true}))
}
