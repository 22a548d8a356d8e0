package siemauditreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/unified-ot/otelcol-siem/internal/pipelinehealth"
	"github.com/unified-ot/otelcol-siem/receiver/siemauditreceiver/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// The receiver's metrics: records by action, heartbeats, the last heartbeat's time (the
// Prometheus rule's input), the interval, pending and dropped records; every series labelled
// receiver=<id>.
func TestTelemetry(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	set := receivertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	cfg := createDefaultConfig().(*Config)
	cfg.MaxPendingRecords = 1
	next := &refusing{}
	r, err := newAuditReceiver(set, cfg, next)
	require.NoError(t, err)
	r.hub = pipelinehealth.New(time.Now)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	require.Eventually(t, func() bool { return next.LogRecordCount() == 1 }, 5*time.Second, 10*time.Millisecond)

	// Stop the loop, then drive emit directly.
	r.cancel()
	<-r.done
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	hb := newEvent(at, ActionHeartbeat, secevent.OutcomeSuccess, plog.SeverityNumberInfo, "hb", map[string]any{})
	r.emit(context.Background(), []event{hb})
	next.refuse = true
	r.emit(context.Background(), []event{hb, hb}) // 2 refused, 1 kept: 1 dropped

	id := attribute.String(metadata.AttrReceiver, set.ID.String())
	sum := func(name string, kvs ...attribute.KeyValue) int64 {
		m, err := tel.GetMetric(name)
		require.NoError(t, err, name)
		want := attribute.NewSet(append([]attribute.KeyValue{id}, kvs...)...)
		for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
			if dp.Attributes.Equals(&want) {
				return dp.Value
			}
		}
		return 0
	}
	assert.EqualValues(t, 1, sum(metadata.MetricRecords, attribute.String(metadata.AttrAction, ActionStarted)))
	assert.EqualValues(t, 1, sum(metadata.MetricRecords, attribute.String(metadata.AttrAction, ActionHeartbeat)))
	assert.EqualValues(t, 1, sum(metadata.MetricHeartbeats))
	assert.EqualValues(t, 1, sum(metadata.MetricRecordsDropped))

	gauge := func(name string) float64 {
		m, err := tel.GetMetric(name)
		require.NoError(t, err, name)
		switch d := m.Data.(type) {
		case metricdata.Gauge[float64]:
			require.Len(t, d.DataPoints, 1)
			v, _ := d.DataPoints[0].Attributes.Value(metadata.AttrReceiver)
			assert.Equal(t, set.ID.String(), v.AsString())
			return d.DataPoints[0].Value
		case metricdata.Gauge[int64]:
			require.Len(t, d.DataPoints, 1)
			return float64(d.DataPoints[0].Value)
		}
		t.Fatalf("%s: unexpected type %T", name, m.Data)
		return 0
	}
	assert.InDelta(t, float64(at.Unix()), gauge(metadata.MetricLastHeartbeat), 1e-3)
	assert.InDelta(t, 300, gauge(metadata.MetricInterval), 0)
	assert.InDelta(t, 1, gauge(metadata.MetricPendingRecords), 0)

	next.refuse = false
	require.NoError(t, r.Shutdown(context.Background()))
}
