package alertprocessor // import "github.com/unified-ot/otelcol-siem/processor/alertprocessor"

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/unified-ot/otelcol-siem/processor/alertprocessor/internal/metadata"
)

// Metric names. They follow the collector's otelcol_processor_<type>_ convention.
const (
	metricRecordsEvaluated = "otelcol_processor_alert_records_evaluated"
	metricAlertsFired      = "otelcol_processor_alert_alerts_fired"
	metricGroupsEvicted    = "otelcol_processor_alert_groups_evicted"
	metricRecordsLate      = "otelcol_processor_alert_records_late"
	metricRecordsFuture    = "otelcol_processor_alert_records_future"
	metricConditionErrors  = "otelcol_processor_alert_condition_errors"
	metricAlertsDropped    = "otelcol_processor_alert_alerts_dropped"
	metricCheckpointErrors = "otelcol_processor_alert_checkpoint_errors"
	attrRule               = "rule"
)

type telemetry struct {
	recordsEvaluated metric.Int64Counter
	alertsFired      metric.Int64Counter
	groupsEvicted    metric.Int64Counter
	recordsLate      metric.Int64Counter
	recordsFuture    metric.Int64Counter
	conditionErrors  metric.Int64Counter
	alertsDropped    metric.Int64Counter
	checkpointErrors metric.Int64Counter
}

func newTelemetry(set component.TelemetrySettings) (*telemetry, error) {
	m := set.MeterProvider.Meter(metadata.ScopeName)
	var t telemetry
	var err, errs error
	t.recordsEvaluated, err = m.Int64Counter(metricRecordsEvaluated,
		metric.WithDescription("Log records the alert rules were evaluated against."), metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	t.alertsFired, err = m.Int64Counter(metricAlertsFired,
		metric.WithDescription("Alert records emitted, per rule."), metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	t.groupsEvicted, err = m.Int64Counter(metricGroupsEvicted,
		metric.WithDescription("Groups evicted because a rule reached max_groups_per_rule, per rule (their window state is lost)."),
		metric.WithUnit("{group}"))
	errs = errors.Join(errs, err)
	t.recordsLate, err = m.Int64Counter(metricRecordsLate,
		metric.WithDescription("Matching records older than their group's newest record minus max_lateness, not counted, per rule."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	t.recordsFuture, err = m.Int64Counter(metricRecordsFuture,
		metric.WithDescription("Matching records stamped more than max_lateness ahead of the collector's clock, counted at the collector's time instead, per rule."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	t.conditionErrors, err = m.Int64Counter(metricConditionErrors,
		metric.WithDescription("Records whose rule condition failed to evaluate (treated as not matching), per rule."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	t.alertsDropped, err = m.Int64Counter(metricAlertsDropped,
		metric.WithDescription("Alert records lost: refused permanently by the next consumer, or pending beyond max_pending_alerts."),
		metric.WithUnit("{alert}"))
	errs = errors.Join(errs, err)
	t.checkpointErrors, err = m.Int64Counter(metricCheckpointErrors,
		metric.WithDescription("Failed writes of the alert state to the storage extension."), metric.WithUnit("{error}"))
	errs = errors.Join(errs, err)
	return &t, errs
}

// ruleAttrs precomputes the per-rule attribute option so that recording costs no allocation.
func ruleAttrs(id string) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(attribute.String(attrRule, id)))
}
