package alertprocessor // import "github.com/unified-ot/otelcol-siem/processor/alertprocessor"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/processor"

	"github.com/unified-ot/otelcol-siem/processor/alertprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// Defaults.
const (
	defaultMaxLateness        = 5 * time.Minute
	defaultMaxGroupsPerRule   = 10000
	defaultMaxSampleEventIDs  = 10
	defaultCheckpointInterval = 10 * time.Second
	defaultMaxPendingAlerts   = 1000
	// defaultTickInterval bounds how late a silence alert is (window + at most one tick) at the
	// cost of one lock acquisition and a look at each absence rule's oldest deadline per second.
	defaultTickInterval = time.Second
)

// NewFactory returns the factory of the alert processor.
func NewFactory() processor.Factory {
	return processor.NewFactory(metadata.Type, createDefaultConfig,
		processor.WithLogs(createLogs, metadata.LogsStability))
}

func createDefaultConfig() component.Config {
	return &Config{
		Rules:              DefaultRules(),
		MaxLateness:        defaultMaxLateness,
		MaxGroupsPerRule:   defaultMaxGroupsPerRule,
		MaxSampleEventIDs:  defaultMaxSampleEventIDs,
		CheckpointInterval: defaultCheckpointInterval,
		MaxPendingAlerts:   defaultMaxPendingAlerts,
		TickInterval:       defaultTickInterval,
	}
}

// DefaultRules returns the seed's four alert rules translated to the schema. They are the default
// value of `rules`; a configured `rules` list replaces them as a whole.
//
//   - The seed counted failed logins and denials globally (seed defect 10): here they are counted
//     per account and source, and per account.
//   - The seed's configuration rule matched action=modify only, but the connector logs
//     modify_config, add, modify and delete; every configuration change alerts.
func DefaultRules() []RuleConfig {
	return []RuleConfig{
		{
			ID:          "failed_logins",
			Name:        "Multiple failed logins",
			Condition:   "event_type=authentication AND result=failure",
			Threshold:   5,
			Window:      300 * time.Second,
			Severity:    secevent.AlertSeverityHigh,
			GroupBy:     []string{secevent.KeyUserName, secevent.KeySourceAddress},
			Cooldown:    15 * time.Minute,
			Description: "5 failed logins for one account from one source within 5 minutes: password guessing or a misconfigured client.",
		},
		{
			ID:          "circuit_breaker_open",
			Name:        "Circuit breaker open",
			Condition:   "event_type=availability AND action=circuit_breaker_open",
			Threshold:   1,
			Window:      60 * time.Second,
			Severity:    secevent.AlertSeverityCritical,
			GroupBy:     []string{secevent.KeyServerAddress},
			Cooldown:    10 * time.Minute,
			Description: "A connector opened its circuit breaker towards a service: OT data is not being delivered (availability incident).",
		},
		{
			ID:          "unauthorized_access",
			Name:        "Unauthorized access attempts",
			Condition:   "event_type=authorization AND result=denied",
			Threshold:   3,
			Window:      300 * time.Second,
			Severity:    secevent.AlertSeverityMedium,
			GroupBy:     []string{secevent.KeyUserName},
			Cooldown:    15 * time.Minute,
			Description: "3 denied requests for one account within 5 minutes: privilege probing or a mis-assigned role.",
		},
		{
			ID:        "configuration_change",
			Name:      "Configuration changes",
			Condition: `attributes["event.category"] == "configuration" and attributes["event.action"] in ["modify_config", "add", "modify", "delete"]`,
			Threshold: 1,
			Window:    1 * time.Second,
			Severity:  secevent.AlertSeverityMedium,
			GroupBy:   []string{secevent.KeyUserName, secevent.KeyConfigKey},
			Cooldown:  0,
			Description: "A configuration item or data source was changed (modify_config, add, modify or delete): " +
				"verify the change was authorised.",
		},
	}
}

func createLogs(_ context.Context, set processor.Settings, cfg component.Config, next consumer.Logs) (processor.Logs, error) {
	return newAlertProcessor(cfg.(*Config), next, set, compileCondition)
}
