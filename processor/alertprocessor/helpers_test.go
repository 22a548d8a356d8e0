package alertprocessor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/unified-ot/otelcol-siem/processor/alertprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// t0 is an arbitrary event time all tests count from.
var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// fakeClock is the injectable processing-time clock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type harness struct {
	t     *testing.T
	p     *alertProcessor
	sink  *consumertest.LogsSink
	tel   *componenttest.Telemetry
	id    component.ID
	clock *fakeClock
	seq   int
}

func newHarness(t *testing.T, cfg *Config) *harness {
	return newHarnessWith(t, cfg, new(consumertest.LogsSink))
}

func newHarnessWith(t *testing.T, cfg *Config, next consumer.Logs) *harness {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return newHarnessOn(t, cfg, next, tel, component.NewID(metadata.Type))
}

// newHarnessOn builds the processor id recording into tel, which several harnesses may share as
// the processors of one collector share its meter provider.
func newHarnessOn(t *testing.T, cfg *Config, next consumer.Logs, tel *componenttest.Telemetry, id component.ID) *harness {
	t.Helper()
	require.NoError(t, cfg.Validate())
	set := processortest.NewNopSettings(metadata.Type)
	set.ID = id
	set.TelemetrySettings = tel.NewTelemetrySettings()
	set.BuildInfo = component.BuildInfo{Command: "otelcol-siem", Version: "0.1.0-test"}
	p, err := newAlertProcessor(cfg, next, set, compileCondition)
	require.NoError(t, err)
	clk := &fakeClock{now: t0.Add(time.Hour)}
	p.clock = clk.Now
	sink, _ := next.(*consumertest.LogsSink)
	return &harness{t: t, p: p, sink: sink, tel: tel, id: id, clock: clk}
}

// defaultConfig is the factory default (the seed's four rules).
func defaultConfig() *Config { return createDefaultConfig().(*Config) }

// event is one schema record for the tests.
type event struct {
	at    time.Time
	attrs map[string]any
}

func failedLogin(at time.Time, user, src string) event {
	return event{at, map[string]any{
		secevent.KeyCategory: "authentication", secevent.KeyAction: "login", secevent.KeyOutcome: "failure",
		secevent.KeyUserName: user, secevent.KeySourceAddress: src,
	}}
}

func (h *harness) logs(evs ...event) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(secevent.KeyServiceName, "unified-ot-connector")
	rl.Resource().Attributes().PutStr(secevent.KeyHostName, "edge-01")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	for _, e := range evs {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(e.at))
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.Body().SetStr("test event")
		attrs := make(map[string]any, len(e.attrs)+1)
		for k, v := range e.attrs {
			attrs[k] = v
		}
		if _, ok := attrs[secevent.KeyEventID]; !ok {
			h.seq++
			attrs[secevent.KeyEventID] = fmt.Sprintf("ev-%06d", h.seq)
		}
		require.NoError(h.t, lr.Attributes().FromRaw(attrs))
	}
	return ld
}

// send passes events through the processor, one batch, and returns the alerts it emitted.
func (h *harness) send(evs ...event) []plog.LogRecord {
	h.t.Helper()
	nb := len(h.sink.AllLogs())
	require.NoError(h.t, h.p.ConsumeLogs(context.Background(), h.logs(evs...)))
	require.Len(h.t, h.sink.AllLogs(), nb+1)
	return alertsIn(h.sink.AllLogs()[nb])
}

// sendOneByOne sends each event in its own batch and returns all alerts.
func (h *harness) sendOneByOne(evs ...event) []plog.LogRecord {
	var out []plog.LogRecord
	for _, e := range evs {
		out = append(out, h.send(e)...)
	}
	return out
}

func alertsIn(ld plog.Logs) []plog.LogRecord {
	var out []plog.LogRecord
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		sls := ld.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				if v, ok := lr.Attributes().Get(secevent.KeyCategory); ok && v.Str() == string(secevent.CategoryAlert) {
					out = append(out, lr)
				}
			}
		}
	}
	return out
}

func str(lr plog.LogRecord, k string) string {
	v, ok := lr.Attributes().Get(k)
	if !ok {
		return "<missing " + k + ">"
	}
	return v.AsString()
}

// counter returns the value of an int64 counter for this harness's processor (processor=<id>)
// and rule=rule ("" for a counter without a rule); 0 when it has not been recorded.
func (h *harness) counter(name, rule string) int64 {
	h.t.Helper()
	m, err := h.tel.GetMetric(name)
	if err != nil {
		return 0
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(h.t, ok, "%s is not an int64 sum", name)
	for _, dp := range sum.DataPoints {
		if p, _ := dp.Attributes.Value(metadata.AttrProcessor); p.AsString() != h.id.String() {
			continue
		}
		v, has := dp.Attributes.Value(metadata.AttrRule)
		if (rule == "" && !has) || (has && v.AsString() == rule) {
			return dp.Value
		}
	}
	return 0
}

// memStorage is an in-memory storage extension: what file_storage gives, minus the file.
type memStorage struct {
	mu      sync.Mutex
	data    map[string][]byte
	clients int
	failSet bool
}

func newMemStorage() *memStorage { return &memStorage{data: map[string][]byte{}} }

func (*memStorage) Start(context.Context, component.Host) error { return nil }
func (*memStorage) Shutdown(context.Context) error              { return nil }

func (s *memStorage) GetClient(_ context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients++
	return &memClient{s: s, prefix: fmt.Sprintf("%s/%s/%s/", kind, id, name)}, nil
}

type memClient struct {
	s      *memStorage
	prefix string
	closed bool
}

func (c *memClient) Get(_ context.Context, key string) ([]byte, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if c.closed {
		return nil, errors.New("client closed")
	}
	v, ok := c.s.data[c.prefix+key]
	if !ok {
		return nil, nil
	}
	return append([]byte(nil), v...), nil
}

func (c *memClient) Set(_ context.Context, key string, value []byte) error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if c.closed {
		return errors.New("client closed")
	}
	if c.s.failSet {
		return storage.ErrStorageFull
	}
	c.s.data[c.prefix+key] = append([]byte(nil), value...)
	return nil
}

func (c *memClient) Delete(_ context.Context, key string) error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	delete(c.s.data, c.prefix+key)
	return nil
}

func (c *memClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	for _, op := range ops {
		var err error
		switch op.Type {
		case storage.Get:
			op.Value, err = c.Get(ctx, op.Key)
		case storage.Set:
			err = c.Set(ctx, op.Key, op.Value)
		case storage.Delete:
			err = c.Delete(ctx, op.Key)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *memClient) Close(context.Context) error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	c.closed = true
	return nil
}

// host offers the given extensions.
type host map[component.ID]component.Component

func (h host) GetExtensions() map[component.ID]component.Component { return h }

var storageID = component.MustNewIDWithName("file_storage", "alert")

// thresholdOf returns the window state of rule i, a threshold rule.
func thresholdOf(p *alertProcessor, i int) *ruleState {
	return p.rules[i].eval.(thresholdEvaluator).ruleState
}
