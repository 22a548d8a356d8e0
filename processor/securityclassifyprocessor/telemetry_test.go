package securityclassifyprocessor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// Two security_classify processors of one collector (one meter provider) report into separate
// series, each labelled processor=<its id>.
func TestTelemetrySeparatesInstances(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	a := newHarnessOn(t, defaultConfig(), tel, component.MustNewIDWithName("security_classify", "a"))
	cfg := defaultConfig()
	cfg.Rules = append(cfg.Rules, RuleConfig{ID: "bad_type", Condition: `attributes["n"] + 1 > 2`, Category: "network"})
	b := newHarnessOn(t, cfg, tel, component.NewID(metadata.Type))

	network := map[string]any{"event_type": "network"}
	a.consume(t, logsOf(rec{body: "x", sev: warn, attrs: network}, rec{body: "y", sev: warn, attrs: network}, rec{body: "z", sev: debug, attrs: network}))
	b.consume(t, logsOf(rec{body: "x", sev: warn, attrs: network}, rec{body: "w", sev: warn, attrs: map[string]any{"n": "text"}}))

	net := categoryAttr(secevent.CategoryNetwork)
	producer := sourceAttr(secevent.ClassifiedByProducer)
	assert.EqualValues(t, 3, a.counter(t, metadata.MetricRecordsClassified, producer, net))
	assert.EqualValues(t, 1, b.counter(t, metadata.MetricRecordsClassified, producer, net))
	assert.EqualValues(t, 1, a.counter(t, metadata.MetricRecordsDropped, net))
	assert.EqualValues(t, 0, b.counter(t, metadata.MetricRecordsDropped, net))
	assert.EqualValues(t, 0, a.counter(t, metadata.MetricConditionErrors, ruleAttr("bad_type")))
	assert.EqualValues(t, 1, b.counter(t, metadata.MetricConditionErrors, ruleAttr("bad_type")))

	// Every series carries its processor's id; the default id is the bare type.
	got := map[string]int64{}
	for _, name := range []string{metadata.MetricRecordsClassified, metadata.MetricRecordsDropped, metadata.MetricConditionErrors} {
		m, err := tel.GetMetric(name)
		require.NoError(t, err, name)
		for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
			p, ok := dp.Attributes.Value(metadata.AttrProcessor)
			require.True(t, ok, "%s series without processor: %v", name, dp.Attributes.ToSlice())
			got[name+" "+p.AsString()] += dp.Value
		}
	}
	assert.Equal(t, map[string]int64{
		metadata.MetricRecordsClassified + " security_classify/a": 3,
		metadata.MetricRecordsClassified + " security_classify":   2,
		metadata.MetricRecordsDropped + " security_classify/a":    1,
		metadata.MetricConditionErrors + " security_classify":     1,
	}, got)
}
