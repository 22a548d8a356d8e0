package splunkhecsecexporter

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/unified-ot/otelcol-siem/exporter/splunkhecsecexporter/internal/metadata"
	"github.com/unified-ot/otelcol-siem/internal/hectest"
	"github.com/unified-ot/otelcol-siem/secevent"
)

const testToken = "7c1f3c1e-0000-4000-8000-00000000beef"

// eventTime is the fixed event time of test records: 2026-11-26T10:15:02.123456789Z.
var eventTime = time.Date(2026, 11, 26, 10, 15, 2, 123456789, time.UTC)

// testLogs builds n security events with event.id prefix-0..n-1, spread over two resources.
func testLogs(prefix string, n int) (plog.Logs, []string) {
	ld := plog.NewLogs()
	ids := make([]string, 0, n)
	var lrs [2]plog.LogRecordSlice
	for r := range lrs {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr(secevent.KeyServiceName, "unified-ot-connector")
		rl.Resource().Attributes().PutStr(secevent.KeyHostName, fmt.Sprintf("edge-%02d", r+1))
		rl.Resource().Attributes().PutStr(secevent.KeySiteName, "plant-a")
		lrs[r] = rl.ScopeLogs().AppendEmpty().LogRecords()
	}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%s-%d", prefix, i)
		ids = append(ids, id)
		lr := lrs[i%2].AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(eventTime))
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.SetEventName("security.authentication.login")
		lr.Body().SetStr("Failed login attempt for alice@example.com")
		a := lr.Attributes()
		a.PutStr(secevent.KeyEventID, id)
		a.PutStr(secevent.KeyCategory, string(secevent.CategoryAuthentication))
		a.PutStr(secevent.KeyAction, secevent.ActionLogin)
		a.PutStr(secevent.KeyOutcome, string(secevent.OutcomeFailure))
		a.PutStr(secevent.KeyUserName, "alice@example.com")
		a.PutStr(secevent.KeySourceAddress, "192.168.1.100")
	}
	return ld, ids
}

// eventID reads event.id from an accepted event (the json format's object, or the CEF line's
// externalId for the cef format).
func eventID(ev hectest.Event) string {
	if m, err := ev.EventObject(); err == nil {
		s, _ := m[secevent.KeyEventID].(string)
		return s
	}
	// A cut event is a string; its id travels as an indexed field.
	var id string
	_ = json.Unmarshal(ev.Fields[secevent.KeyEventID], &id)
	return id
}

func newEmulator(t *testing.T, cfg hectest.Config) *hectest.Emulator {
	t.Helper()
	cfg.Token = testToken
	e, err := hectest.New(cfg)
	require.NoError(t, err)
	t.Cleanup(e.Close)
	return e
}

// testConfig points a default config at the emulator.
func testConfig(emu *hectest.Emulator) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = emu.URL()
	cfg.ClientConfig.Timeout = 5 * time.Second
	cfg.Token = testToken
	cfg.HealthCheck = false
	cfg.Ack.PollInterval = 20 * time.Millisecond
	cfg.Ack.Timeout = 2 * time.Second
	return cfg
}

type harness struct {
	tel  *componenttest.Telemetry
	logs *observer.ObservedLogs
	set  exporter.Settings
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{tel: componenttest.NewTelemetry()}
	t.Cleanup(func() { _ = h.tel.Shutdown(context.Background()) })
	core, logs := observer.New(zap.DebugLevel)
	h.logs = logs
	h.set = exportertest.NewNopSettings(metadata.Type)
	h.set.TelemetrySettings = h.tel.NewTelemetrySettings()
	h.set.Logger = zap.New(core)
	return h
}

// startExporter builds and starts the bare exporter (no exporterhelper), for response-path tests.
func (h *harness) startExporter(t *testing.T, cfg *Config) *hecExporter {
	t.Helper()
	require.NoError(t, cfg.Validate())
	e, err := newExporter(cfg, h.set)
	require.NoError(t, err)
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, e.shutdown(context.Background())) })
	return e
}

// startLogs builds the full exporter through the factory (exporterhelper, queue, retry).
func (h *harness) startLogs(t *testing.T, cfg *Config) exporter.Logs {
	t.Helper()
	require.NoError(t, cfg.Validate())
	exp, err := NewFactory().CreateLogs(context.Background(), h.set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	return exp
}

// counter sums the data points of a counter metric whose attributes include attrs.
func (h *harness) counter(t *testing.T, name string, attrs ...attribute.KeyValue) int64 {
	t.Helper()
	m, err := h.tel.GetMetric(name)
	if err != nil {
		return 0
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok, "%s is not an int64 sum", name)
	var total int64
	for _, dp := range sum.DataPoints {
		match := true
		for _, a := range attrs {
			if v, ok := dp.Attributes.Value(a.Key); !ok || v != a.Value {
				match = false
			}
		}
		if match {
			total += dp.Value
		}
	}
	return total
}

// fastRetry makes exporterhelper's retry quick and unbounded for tests.
func fastRetry(cfg *Config) {
	cfg.RetryConfig.Enabled = true
	cfg.RetryConfig.InitialInterval = 10 * time.Millisecond
	cfg.RetryConfig.MaxInterval = 50 * time.Millisecond
	cfg.RetryConfig.RandomizationFactor = 0
	cfg.RetryConfig.MaxElapsedTime = 0
}

func benchSettings() exporter.Settings {
	set := exportertest.NewNopSettings(metadata.Type)
	return set
}

func nopHost() component.Host { return componenttest.NewNopHost() }
