package delivery

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
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
