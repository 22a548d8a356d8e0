package metadata // import "github.com/unified-ot/otelcol-siem/processor/alertprocessor/internal/metadata"

import (
	"github.com/unified-ot/otelcol-siem/internal/instruments"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Metric names. They follow the collector's otelcol_processor_<type>_ convention.
const (
	MetricRecordsEvaluated  = "otelcol_processor_alert_records_evaluated"
	MetricAlertsFired       = "otelcol_processor_alert_alerts_fired"
	MetricGroupsEvicted     = "otelcol_processor_alert_groups_evicted"
	MetricRecordsLate       = "otelcol_processor_alert_records_late"
	MetricRecordsFuture     = "otelcol_processor_alert_records_future"
	MetricConditionErrors   = "otelcol_processor_alert_condition_errors"
	MetricAlertsDropped     = "otelcol_processor_alert_alerts_dropped"
	MetricCheckpointErrors  = "otelcol_processor_alert_checkpoint_errors"
	MetricGroupsRefused     = "otelcol_processor_alert_groups_refused"
	MetricTimerAlerts       = "otelcol_processor_alert_timer_alerts"
	MetricTimerSendFailures = "otelcol_processor_alert_timer_send_failures"
	MetricGroupsSilent      = "otelcol_processor_alert_groups_silent"
)

// Attribute keys. Every series carries AttrProcessor, the processor's component id (alert,
// alert/site2), as the collector's own processor metrics do; the per-rule series also AttrRule.
const (
	AttrProcessor = "processor"
	AttrRule      = "rule"
)

// Telemetry holds the processor's instruments and the attribute options of its series without a
// rule, precomputed so that recording does not allocate.
type Telemetry struct {
	RecordsEvaluated  metric.Int64Counter
	AlertsFired       metric.Int64Counter
	GroupsEvicted     metric.Int64Counter
	RecordsLate       metric.Int64Counter
	RecordsFuture     metric.Int64Counter
	ConditionErrors   metric.Int64Counter
	AlertsDropped     metric.Int64Counter
	CheckpointErrors  metric.Int64Counter
	GroupsRefused     metric.Int64Counter
	TimerAlerts       metric.Int64Counter
	TimerSendFailures metric.Int64Counter
	GroupsSilent      metric.Int64ObservableGauge

	// Attrs are the options of the series without a rule (processor=<id>), passed as
	// Add(ctx, n, t.Attrs...): a ready slice, so that the call allocates no variadic argument.
	Attrs []metric.AddOption
	id    attribute.KeyValue
	meter metric.Meter
}

// NewTelemetry creates the instruments of the processor id on set's meter provider.
func NewTelemetry(set component.TelemetrySettings, id component.ID) (*Telemetry, error) {
	b := instruments.New(set, ScopeName)
	t := &Telemetry{id: attribute.String(AttrProcessor, id.String()), meter: b.Meter}
	t.Attrs = []metric.AddOption{instruments.Attrs(t.id)}
	t.RecordsEvaluated = b.Counter(MetricRecordsEvaluated, "Log records the alert rules were evaluated against.", "{record}")
	t.AlertsFired = b.Counter(MetricAlertsFired, "Alert records emitted, per rule.", "{alert}")
	t.GroupsEvicted = b.Counter(MetricGroupsEvicted, "Groups evicted because a rule reached max_groups_per_rule, per rule (their window state is lost).", "{group}")
	t.RecordsLate = b.Counter(MetricRecordsLate, "Matching records older than their group's newest record minus max_lateness, not counted, per rule.", "{record}")
	t.RecordsFuture = b.Counter(MetricRecordsFuture, "Matching records stamped more than max_lateness ahead of the collector's clock, counted at the collector's time instead, per rule.", "{record}")
	t.ConditionErrors = b.Counter(MetricConditionErrors, "Records whose rule condition failed to evaluate (treated as not matching), per rule.", "{record}")
	t.AlertsDropped = b.Counter(MetricAlertsDropped, "Alert records lost: refused permanently by the next consumer, or pending beyond max_pending_alerts.", "{alert}")
	t.CheckpointErrors = b.Counter(MetricCheckpointErrors, "Failed writes of the alert state to the storage extension.", "{error}")
	t.GroupsRefused = b.Counter(MetricGroupsRefused, "New groups an absence rule did not start watching because it watches max_groups_per_rule groups already, per rule.", "{group}")
	t.TimerAlerts = b.Counter(MetricTimerAlerts, "Alert records the timer handed to the next consumer in a batch of their own (no incoming batch to carry them).", "{alert}")
	t.TimerSendFailures = b.Counter(MetricTimerSendFailures, "Timer hand-overs the next consumer refused; the alerts stay pending (retried at the next tick or batch) unless the refusal was permanent.", "{error}")
	t.GroupsSilent = b.Gauge(MetricGroupsSilent, "Groups an absence rule reports as silent now (alerted, not yet recovered), per rule.", "{group}")
	return t, b.Err
}

// RegisterCallback registers f to observe the gauge GroupsSilent.
func (t *Telemetry) RegisterCallback(f metric.Callback) (metric.Registration, error) {
	return t.meter.RegisterCallback(f, t.GroupsSilent)
}

// RuleObserveAttrs returns the option of a rule's gauge series (processor=<id>, rule=<rule>). Like
// RuleAttrs, call it once per rule.
func (t *Telemetry) RuleObserveAttrs(rule string) metric.ObserveOption {
	return instruments.Attrs(t.id, attribute.String(AttrRule, rule))
}

// RuleAttrs returns the options of a rule's series (processor=<id>, rule=<rule>), to pass as
// Add(ctx, n, opts...). It builds an attribute set: call it once per rule when the processor is
// built, not per recording.
func (t *Telemetry) RuleAttrs(rule string) []metric.AddOption {
	return []metric.AddOption{instruments.Attrs(t.id, attribute.String(AttrRule, rule))}
}
