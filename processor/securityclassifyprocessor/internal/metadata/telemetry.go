package metadata // import "github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor/internal/metadata"

import (
	"github.com/unified-ot/otelcol-siem/internal/instruments"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Metric names, following the collector's otelcol_processor_<type>_ convention.
const (
	MetricRecordsClassified = "otelcol_processor_security_classify_records_classified"
	MetricRecordsDropped    = "otelcol_processor_security_classify_records_dropped"
	MetricConditionErrors   = "otelcol_processor_security_classify_condition_errors"
)

// Attribute keys. Every series carries AttrProcessor, the processor's component id
// (security_classify, security_classify/site2), as the collector's own processor metrics do.
const (
	AttrProcessor = "processor"
	AttrCategory  = "category"
	AttrSource    = "source"
	AttrRule      = "rule"
)

// Telemetry holds the processor's instruments. The options of its series come from the *Attrs
// methods, which build attribute sets: the processor calls them once when it is built and keeps
// the options, to pass as Add(ctx, n, opts...), so that recording a batch does not allocate.
type Telemetry struct {
	RecordsClassified metric.Int64Counter
	RecordsDropped    metric.Int64Counter
	ConditionErrors   metric.Int64Counter

	id attribute.KeyValue
}

// NewTelemetry creates the instruments of the processor id on set's meter provider.
func NewTelemetry(set component.TelemetrySettings, id component.ID) (*Telemetry, error) {
	b := instruments.New(set, ScopeName)
	t := &Telemetry{id: attribute.String(AttrProcessor, id.String())}
	t.RecordsClassified = b.Counter(MetricRecordsClassified, "Log records classified, per category and per classification step (producer, rule, keyword, default).", "{record}")
	t.RecordsDropped = b.Counter(MetricRecordsDropped, "Log records dropped by the severity floor, per category.", "{record}")
	t.ConditionErrors = b.Counter(MetricConditionErrors, "Records on which a rule's condition failed to evaluate (the rule is then treated as not matching), per rule.", "{record}")
	return t, b.Err
}

// ClassifiedAttrs is the option of a records_classified series: processor, source, category.
func (t *Telemetry) ClassifiedAttrs(source, category string) []metric.AddOption {
	return []metric.AddOption{instruments.Attrs(t.id, attribute.String(AttrSource, source), attribute.String(AttrCategory, category))}
}

// DroppedAttrs is the option of a records_dropped series: processor, category.
func (t *Telemetry) DroppedAttrs(category string) []metric.AddOption {
	return []metric.AddOption{instruments.Attrs(t.id, attribute.String(AttrCategory, category))}
}

// RuleAttrs is the option of a condition_errors series: processor, rule.
func (t *Telemetry) RuleAttrs(rule string) []metric.AddOption {
	return []metric.AddOption{instruments.Attrs(t.id, attribute.String(AttrRule, rule))}
}
