package securityclassifyprocessor // import "github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor"

import (
	"context"
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor/internal/metadata"
)

// Metric names, following the collector's otelcol_processor_<type>_ convention.
const (
	metricRecordsClassified = "otelcol_processor_security_classify_records_classified"
	metricRecordsDropped    = "otelcol_processor_security_classify_records_dropped"
	metricConditionErrors   = "otelcol_processor_security_classify_condition_errors"
	attrCategory            = "category"
	attrSource              = "source"
	attrRule                = "rule"
)

// telemetry holds the instruments and, precomputed, the attribute options of every series, so
// that recording a batch does not build attribute sets.
type telemetry struct {
	classified metric.Int64Counter
	dropped    metric.Int64Counter
	condErrors metric.Int64Counter

	classifiedOpts [4][numCategories]metric.AddOption
	droppedOpts    [numCategories]metric.AddOption
	ruleOpts       []metric.AddOption
}

func newTelemetry(set component.TelemetrySettings, ruleIDs []string) (*telemetry, error) {
	m := set.MeterProvider.Meter(metadata.ScopeName)
	t := &telemetry{}
	var err, errs error
	t.classified, err = m.Int64Counter(metricRecordsClassified,
		metric.WithDescription("Log records classified, per category and per classification step (producer, rule, keyword, default)."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	t.dropped, err = m.Int64Counter(metricRecordsDropped,
		metric.WithDescription("Log records dropped by the severity floor, per category."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	t.condErrors, err = m.Int64Counter(metricConditionErrors,
		metric.WithDescription("Records on which a rule's condition failed to evaluate (the rule is then treated as not matching), per rule."),
		metric.WithUnit("{record}"))
	errs = errors.Join(errs, err)
	for si, s := range sources {
		for ci, c := range categories {
			t.classifiedOpts[si][ci] = metric.WithAttributeSet(attribute.NewSet(attribute.String(attrSource, string(s)), attribute.String(attrCategory, string(c))))
		}
	}
	for ci, c := range categories {
		t.droppedOpts[ci] = metric.WithAttributeSet(attribute.NewSet(attribute.String(attrCategory, string(c))))
	}
	for _, id := range ruleIDs {
		t.ruleOpts = append(t.ruleOpts, metric.WithAttributeSet(attribute.NewSet(attribute.String(attrRule, id))))
	}
	return t, errs
}

func (t *telemetry) record(ctx context.Context, st *batchStats) {
	for si := range st.classified {
		for ci, n := range st.classified[si] {
			if n != 0 {
				t.classified.Add(ctx, n, t.classifiedOpts[si][ci])
			}
		}
	}
	for ci, n := range st.dropped {
		if n != 0 {
			t.dropped.Add(ctx, n, t.droppedOpts[ci])
		}
	}
	for i, n := range st.condErrors {
		if n != 0 {
			t.condErrors.Add(ctx, n, t.ruleOpts[i])
		}
	}
}
