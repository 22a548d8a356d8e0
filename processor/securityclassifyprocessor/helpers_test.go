package securityclassifyprocessor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

func defaultConfig() *Config { return createDefaultConfig().(*Config) }

// keepAll is the default configuration without a severity floor, for classification tests.
func keepAll() *Config {
	cfg := defaultConfig()
	cfg.SeverityFloor = SeverityFloorConfig{MinSeverity: "UNSPECIFIED"}
	return cfg
}

type harness struct {
	p    processor.Logs
	sink *consumertest.LogsSink
	tel  *componenttest.Telemetry
	id   component.ID
}

func newHarness(t *testing.T, cfg *Config) *harness {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return newHarnessOn(t, cfg, tel, component.NewID(metadata.Type))
}

// newHarnessOn builds the processor id recording into tel, which several harnesses may share as
// the processors of one collector share its meter provider.
func newHarnessOn(t *testing.T, cfg *Config, tel *componenttest.Telemetry, id component.ID) *harness {
	t.Helper()
	require.NoError(t, cfg.Validate())
	set := processortest.NewNopSettings(metadata.Type)
	set.ID = id
	set.TelemetrySettings = tel.NewTelemetrySettings()
	sink := new(consumertest.LogsSink)
	p, err := NewFactory().CreateLogs(t.Context(), set, cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, p.Shutdown(context.Background())) })
	return &harness{p: p, sink: sink, tel: tel, id: id}
}

// rec is one input record.
type rec struct {
	body  string
	sev   plog.SeverityNumber
	attrs map[string]any
}

// logsOf puts records under one resource (service.name = unified-ot-connector) and one scope.
func logsOf(recs ...rec) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(secevent.KeyServiceName, "unified-ot-connector")
	sl := rl.ScopeLogs().AppendEmpty()
	for _, r := range recs {
		lr := sl.LogRecords().AppendEmpty()
		if r.body != "" {
			lr.Body().SetStr(r.body)
		}
		lr.SetSeverityNumber(r.sev)
		if err := lr.Attributes().FromRaw(r.attrs); err != nil {
			panic(err)
		}
	}
	return ld
}

// out is one output record with its resource.
type out struct {
	res pcommon.Resource
	lr  plog.LogRecord
}

func (h *harness) consume(t *testing.T, ld plog.Logs) []out {
	t.Helper()
	h.sink.Reset()
	require.NoError(t, h.p.ConsumeLogs(t.Context(), ld))
	var outs []out
	for _, l := range h.sink.AllLogs() {
		for i := 0; i < l.ResourceLogs().Len(); i++ {
			rl := l.ResourceLogs().At(i)
			for j := 0; j < rl.ScopeLogs().Len(); j++ {
				sl := rl.ScopeLogs().At(j)
				for k := 0; k < sl.LogRecords().Len(); k++ {
					outs = append(outs, out{rl.Resource(), sl.LogRecords().At(k)})
				}
			}
		}
	}
	return outs
}

func attrStr(lr plog.LogRecord, k string) string {
	v, ok := lr.Attributes().Get(k)
	if !ok {
		return "<absent>"
	}
	return v.AsString()
}

// counter returns the value of an int64 sum metric's series of this harness's processor
// (processor=<id>) with exactly the given other attributes (0 if absent).
func (h *harness) counter(t *testing.T, name string, kv ...attribute.KeyValue) int64 {
	t.Helper()
	m, err := h.tel.GetMetric(name)
	if err != nil {
		return 0
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is %T", name, m.Data)
	want := attribute.NewSet(append(kv, attribute.String(metadata.AttrProcessor, h.id.String()))...)
	for _, dp := range sum.DataPoints {
		if dp.Attributes.Equals(&want) {
			return dp.Value
		}
	}
	return 0
}

func categoryAttr(c secevent.Category) attribute.KeyValue {
	return attribute.String(metadata.AttrCategory, string(c))
}
func sourceAttr(s secevent.ClassificationSource) attribute.KeyValue {
	return attribute.String(metadata.AttrSource, string(s))
}

func ruleAttr(id string) attribute.KeyValue { return attribute.String(metadata.AttrRule, id) }
