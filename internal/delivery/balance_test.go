package delivery

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"

	"github.com/unified-ot/otelcol-siem/internal/instruments"
)

func testBalancer(t *testing.T, mode string) (*Balancer, *time.Time) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tt.Shutdown(context.Background()) })
	tel := NewBalanceTelemetry(instruments.New(tt.NewTelemetrySettings(), "test"), "otelcol_test", component.MustNewID("x"))
	b := NewBalancer(BalanceConfig{Mode: mode, HoldDown: 10 * time.Second}, []string{"a", "b", "c"}, "test", zap.NewNop(), tel)
	now := time.Unix(1000, 0)
	b.now = func() time.Time { return now }
	t.Cleanup(func() { _ = b.Close() })
	return b, &now
}

func TestBalancerFailoverOrder(t *testing.T) {
	b, now := testBalancer(t, BalanceFailover)
	ctx := context.Background()
	assert.Equal(t, []int{0, 1, 2}, b.Order())
	b.Fail(ctx, 0, errors.New("down"))
	assert.Equal(t, []int{1, 2, 0}, b.Order(), "a held-down endpoint goes last, still tried")
	b.Fail(ctx, 1, errors.New("down"))
	assert.Equal(t, []int{2, 0, 1}, b.Order())
	*now = now.Add(9 * time.Second)
	assert.Equal(t, []int{2, 0, 1}, b.Order(), "held down for hold_down")
	*now = now.Add(time.Second)
	assert.Equal(t, []int{0, 1, 2}, b.Order(), "back in its place once hold_down has passed")
}

func TestBalancerRoundRobinOrder(t *testing.T) {
	b, _ := testBalancer(t, BalanceRoundRobin)
	assert.Equal(t, []int{0, 1, 2}, b.Order())
	assert.Equal(t, []int{1, 2, 0}, b.Order())
	b.Fail(context.Background(), 0, errors.New("down"))
	assert.Equal(t, []int{2, 1, 0}, b.Order(), "rotating over the endpoints up, the held-down one last")
	assert.Equal(t, []int{1, 2, 0}, b.Order())
}

func TestBalanceConfigCheck(t *testing.T) {
	assert.Empty(t, DefaultBalanceConfig().Check())
	errs := BalanceConfig{Mode: "x", HoldDown: -1}.Check()
	assert.Len(t, errs, 2)
	ok := func(string) error { return nil }
	assert.Len(t, CheckEndpoints("", []string{}, "x", ok), 1, "empty list")
	assert.Len(t, CheckEndpoints("", []string{"a", "b", "a"}, "x", ok), 1, "duplicate")
	assert.Len(t, CheckEndpoints("a", []string{"b"}, "x", ok), 1, "both")
	assert.ErrorContains(t, CheckEndpoints("", nil, "host:port", ok)[0], "endpoint: required (host:port), or endpoints: a list")
	assert.Empty(t, CheckEndpoints("a", nil, "x", ok))
	assert.Equal(t, []string{"a"}, EndpointList("a", nil))
	assert.Equal(t, []string{"b", "c"}, EndpointList("", []string{"b", "c"}))
}

// TestBalancerTelemetry: per endpoint, up, failures, switches and the time of the last switch.
func TestBalancerTelemetry(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tt.Shutdown(context.Background()) })
	tel := NewBalanceTelemetry(instruments.New(tt.NewTelemetrySettings(), "test"), "otelcol_test", component.MustNewID("x"))
	b := NewBalancer(BalanceConfig{Mode: BalanceFailover, HoldDown: 10 * time.Second}, []string{"a", "b"}, "test", zap.NewNop(), tel)
	t.Cleanup(func() { _ = b.Close() })
	now := time.Unix(1000, 0)
	b.now = func() time.Time { return now }
	ctx := context.Background()

	points := func(name string) map[string]float64 {
		m, err := tt.GetMetric(name)
		if err != nil {
			return nil
		}
		got := map[string]float64{}
		add := func(set attribute.Set, v float64) {
			ep, _ := set.Value(AttrEndpoint)
			got[ep.AsString()] = v
		}
		switch d := m.Data.(type) {
		case metricdata.Sum[int64]:
			for _, p := range d.DataPoints {
				add(p.Attributes, float64(p.Value))
			}
		case metricdata.Gauge[int64]:
			for _, p := range d.DataPoints {
				add(p.Attributes, float64(p.Value))
			}
		case metricdata.Gauge[float64]:
			for _, p := range d.DataPoints {
				add(p.Attributes, p.Value)
			}
		}
		return got
	}

	b.Use(ctx, 0)
	b.Use(ctx, 0)
	assert.Equal(t, map[string]float64{"a": 1}, points("otelcol_test_endpoint_switches"))
	assert.Equal(t, map[string]float64{"a": 1000}, points("otelcol_test_endpoint_last_switch_timestamp_seconds"))
	assert.Equal(t, map[string]float64{"a": 1, "b": 1}, points("otelcol_test_endpoint_up"))

	now = now.Add(5 * time.Second)
	b.Fail(ctx, 0, errors.New("down"))
	b.Fail(ctx, 0, errors.New("still down"))
	b.Use(ctx, 1)
	assert.Equal(t, map[string]float64{"a": 1}, points("otelcol_test_endpoint_failures"), "a failure is counted once per hold-down")
	assert.Equal(t, map[string]float64{"a": 0, "b": 1}, points("otelcol_test_endpoint_up"))
	assert.Equal(t, map[string]float64{"a": 1, "b": 1}, points("otelcol_test_endpoint_switches"))
	assert.Equal(t, map[string]float64{"a": 1000, "b": 1005}, points("otelcol_test_endpoint_last_switch_timestamp_seconds"))

	now = now.Add(10 * time.Second)
	b.Use(ctx, 0)
	assert.Equal(t, map[string]float64{"a": 1, "b": 1}, points("otelcol_test_endpoint_up"), "up again after hold_down")
	assert.Equal(t, map[string]float64{"a": 1015, "b": 1005}, points("otelcol_test_endpoint_last_switch_timestamp_seconds"))
}
