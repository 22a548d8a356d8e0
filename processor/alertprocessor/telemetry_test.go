package alertprocessor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/unified-ot/otelcol-siem/processor/alertprocessor/internal/metadata"
)

// Two alert processors of one collector (alert/a and alert/b, one meter provider) report into
// separate series, each labelled processor=<its id>.
func TestTelemetrySeparatesInstances(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	a := newHarnessOn(t, defaultConfig(), new(consumertest.LogsSink), tel, component.MustNewIDWithName("alert", "a"))
	b := newHarnessOn(t, defaultConfig(), new(consumertest.LogsSink), tel, component.MustNewIDWithName("alert", "b"))

	var logins []event
	for i := range 5 { // failed_logins' threshold
		logins = append(logins, failedLogin(t0.Add(time.Duration(i)*time.Second), "alice", "10.0.0.1"))
	}
	require.Len(t, a.send(logins...), 1)
	require.Empty(t, b.send(logins[:2]...))

	assert.Equal(t, int64(5), a.counter(metadata.MetricRecordsEvaluated, ""))
	assert.Equal(t, int64(2), b.counter(metadata.MetricRecordsEvaluated, ""))
	assert.Equal(t, int64(1), a.counter(metadata.MetricAlertsFired, "failed_logins"))
	assert.Equal(t, int64(0), b.counter(metadata.MetricAlertsFired, "failed_logins"))

	// The exact label sets: one series per processor, none without the processor label.
	for name, want := range map[string][]map[string]string{
		metadata.MetricRecordsEvaluated: {{"processor": "alert/a"}, {"processor": "alert/b"}},
		metadata.MetricAlertsFired:      {{"processor": "alert/a", "rule": "failed_logins"}},
	} {
		m, err := tel.GetMetric(name)
		require.NoError(t, err, name)
		var got []map[string]string
		for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
			labels := map[string]string{}
			for _, kv := range dp.Attributes.ToSlice() {
				labels[string(kv.Key)] = kv.Value.AsString()
			}
			got = append(got, labels)
		}
		assert.ElementsMatch(t, want, got, name)
	}
}

// The default id (no name) is the bare type, as in the collector's own processor label.
func TestTelemetryDefaultIDLabel(t *testing.T) {
	h := newHarness(t, defaultConfig())
	h.send(failedLogin(t0, "alice", "10.0.0.1"))
	m, err := h.tel.GetMetric(metadata.MetricRecordsEvaluated)
	require.NoError(t, err)
	dps := m.Data.(metricdata.Sum[int64]).DataPoints
	require.Len(t, dps, 1)
	v, ok := dps[0].Attributes.Value(metadata.AttrProcessor)
	require.True(t, ok)
	assert.Equal(t, "alert", v.AsString())
}
