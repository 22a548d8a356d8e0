package queuestorageextension

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/unified-ot/otelcol-siem/extension/queuestorageextension/internal/metadata"
)

// Two queue_storage extensions of one collector (one meter provider), each with a client of the
// same name, report into separate series labelled extension=<id>, client=<client>: the gauges
// (observed) as the instruments recorded on write.
func TestTelemetrySeparatesInstances(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	exporterID := component.MustNewIDWithName("cef_syslog", "siem")
	for id, records := range map[component.ID]int{
		component.NewID(metadata.Type):                    1,
		component.MustNewIDWithName("queue_storage", "b"): 3,
	} {
		set := extensiontest.NewNopSettings(metadata.Type)
		set.ID = id
		set.TelemetrySettings = tel.NewTelemetrySettings()
		cfg := testConfig(t.TempDir())
		cfg.Fsync = true
		ext, err := NewFactory().Create(t.Context(), set, cfg)
		require.NoError(t, err)
		require.NoError(t, ext.Start(t.Context(), componenttest.NewNopHost()))
		t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
		c, err := ext.(*queueStorage).GetClient(t.Context(), component.KindExporter, exporterID, "logs")
		require.NoError(t, err)
		for i := range records {
			require.NoError(t, c.Set(t.Context(), string(rune('a'+i)), []byte("v")))
		}
	}
	client := fileStorageFileName(component.KindExporter, exporterID, "logs")
	// series is the label set of a series as text: client=...,extension=...
	series := func(ext string) string {
		s := attribute.NewSet(attribute.String(metadata.AttrExtension, ext), attribute.String(metadata.AttrClient, client))
		return s.Encoded(attribute.DefaultEncoder())
	}

	m, err := tel.GetMetric(metadata.MetricRecords)
	require.NoError(t, err)
	got := map[string]int64{}
	for _, dp := range m.Data.(metricdata.Gauge[int64]).DataPoints {
		got[dp.Attributes.Encoded(attribute.DefaultEncoder())] = dp.Value
	}
	assert.Equal(t, map[string]int64{
		series("queue_storage"):   1,
		series("queue_storage/b"): 3,
	}, got)

	m, err = tel.GetMetric(metadata.MetricSyncDuration)
	require.NoError(t, err)
	syncs := map[string]uint64{}
	for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
		syncs[dp.Attributes.Encoded(attribute.DefaultEncoder())] = dp.Count
	}
	require.Len(t, syncs, 2, "one sync_duration series per extension")
	assert.Positive(t, syncs[series("queue_storage")])
	assert.Positive(t, syncs[series("queue_storage/b")])
}
