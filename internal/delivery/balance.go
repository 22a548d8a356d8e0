package delivery

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/unified-ot/otelcol-siem/internal/instruments"
)

// Balance modes of an exporter with several endpoints.
const (
	// BalanceFailover sends to the first endpoint in the list that is not held down.
	BalanceFailover = "failover"
	// BalanceRoundRobin spreads batches over the endpoints that are not held down.
	BalanceRoundRobin = "round_robin"
)

// BalanceConfig says how several endpoints share the events (the `balance` key of cef_syslog and
// splunk_hec_sec).
type BalanceConfig struct {
	// Mode is failover or round_robin.
	Mode string `mapstructure:"mode"`
	// HoldDown is how long an endpoint that failed is passed over; it is tried again after that,
	// or earlier when every endpoint is held down. In failover it is how long the events stay on a
	// later endpoint before going back to an earlier one that failed.
	HoldDown time.Duration `mapstructure:"hold_down"`
	_        struct{}
}

// DefaultBalanceConfig is failover with a 30 s hold-down.
func DefaultBalanceConfig() BalanceConfig {
	return BalanceConfig{Mode: BalanceFailover, HoldDown: 30 * time.Second}
}

// Check returns the configuration errors, each naming its key under balance.
func (c BalanceConfig) Check() []error {
	var errs []error
	switch c.Mode {
	case BalanceFailover, BalanceRoundRobin:
	default:
		errs = append(errs, fmt.Errorf("balance.mode: %q is not supported; use %q or %q", c.Mode, BalanceFailover, BalanceRoundRobin))
	}
	if c.HoldDown < 0 {
		errs = append(errs, fmt.Errorf("balance.hold_down: must not be negative, got %s", c.HoldDown))
	}
	return errs
}

// CheckEndpoints returns the errors of an exporter's endpoint and endpoints keys: both set, neither
// (required says what endpoint must be), an endpoint check refuses, an empty list, a duplicate.
func CheckEndpoints(endpoint string, endpoints []string, required string, check func(string) error) []error {
	switch {
	case endpoint != "" && len(endpoints) > 0:
		return []error{errors.New("endpoints: set either endpoint (one receiver) or endpoints (several), not both")}
	case endpoints != nil && len(endpoints) == 0:
		return []error{errors.New("endpoints: the list is empty; give at least one")}
	case endpoint == "" && endpoints == nil:
		return []error{fmt.Errorf("endpoint: required (%s), or endpoints: a list", required)}
	case endpoint != "":
		if err := check(endpoint); err != nil {
			return []error{fmt.Errorf("endpoint: %w", err)}
		}
		return nil
	}
	var errs []error
	seen := map[string]int{}
	for i, ep := range endpoints {
		if err := check(ep); err != nil {
			errs = append(errs, fmt.Errorf("endpoints[%d]: %w", i, err))
		} else if j, dup := seen[ep]; dup {
			errs = append(errs, fmt.Errorf("endpoints[%d]: %q is listed twice (also endpoints[%d])", i, ep, j))
		}
		seen[ep] = i
	}
	return errs
}

// EndpointList is what an exporter sends to: endpoints, or the one endpoint.
func EndpointList(endpoint string, endpoints []string) []string {
	if len(endpoints) > 0 {
		return endpoints
	}
	return []string{endpoint}
}

// AttrEndpoint names the endpoint of a series.
const AttrEndpoint = "endpoint"

// BalanceTelemetry holds the per-endpoint instruments, named <prefix>_endpoint_up and so on;
// every series carries the exporter's id and the endpoint.
type BalanceTelemetry struct {
	EndpointUp       metric.Int64ObservableGauge
	EndpointFailures metric.Int64Counter
	EndpointSwitches metric.Int64Counter
	// EndpointLastSwitch is the Unix time of the last failover switch to the endpoint.
	EndpointLastSwitch metric.Float64ObservableGauge

	id    component.ID
	meter metric.Meter
	attrs sync.Map // endpoint -> metric.MeasurementOption
}

// NewBalanceTelemetry creates the instruments; prefix is e.g. "otelcol_exporter_cef_syslog".
func NewBalanceTelemetry(b *instruments.Builder, prefix string, id component.ID) *BalanceTelemetry {
	return &BalanceTelemetry{
		EndpointUp:       b.Gauge(prefix+"_endpoint_up", "1 while the endpoint is in use, 0 while it is passed over after a failure (balance.hold_down); with several endpoints only.", "1"),
		EndpointFailures: b.Counter(prefix+"_endpoint_failures", "Times an endpoint failed and was passed over for balance.hold_down; with several endpoints only.", "{failure}"),
		EndpointSwitches: b.Counter(prefix+"_endpoint_switches", "Failover switches, counted on the endpoint the events went to; with several endpoints only.", "{switch}"),
		EndpointLastSwitch: b.FloatGauge(prefix+"_endpoint_last_switch_timestamp_seconds",
			"Unix time of the last failover switch to the endpoint (the first push counts); with several endpoints in failover only.", "s"),
		id:    id,
		meter: b.Meter,
	}
}

// EndpointAttrs is the option of an endpoint's series: exporter=<id>, endpoint=<endpoint>. It is
// built once per endpoint and kept.
func (t *BalanceTelemetry) EndpointAttrs(endpoint string) metric.MeasurementOption {
	if o, ok := t.attrs.Load(endpoint); ok {
		return o.(metric.MeasurementOption)
	}
	o, _ := t.attrs.LoadOrStore(endpoint, IDAttrs(t.id, attribute.String(AttrEndpoint, endpoint)))
	return o.(metric.MeasurementOption)
}

// Balancer chooses, push by push, the order in which an exporter tries its endpoints: those not
// held down first (in list order for failover, from a rotating start for round_robin), then the
// held-down ones, so that a push still finds a receiver when every endpoint failed recently. An
// endpoint that fails is held down for hold_down. The exporter sends to the first endpoint of the
// order that takes the batch; what a failed endpoint did not take goes back to the sending queue,
// and its retry finds the next endpoint: at least once, from the one queue.
type Balancer struct {
	names    []string
	mode     string
	holdDown time.Duration
	what     string // for logs: "syslog", "HEC"
	logger   *zap.Logger
	tel      *BalanceTelemetry
	now      func() time.Time

	mu      sync.Mutex
	next    int         // round_robin: where the next push starts
	current int         // failover: the endpoint the last push used (-1: none yet)
	failed  []time.Time // per endpoint: its last failure (zero: none)
	chosen  []time.Time // failover, per endpoint: the last switch to it (zero: none)

	gauge metric.Registration
}

// NewBalancer balances names (the endpoints, as logged and labelled).
func NewBalancer(cfg BalanceConfig, names []string, what string, logger *zap.Logger, tel *BalanceTelemetry) *Balancer {
	b := &Balancer{names: names, mode: cfg.Mode, holdDown: cfg.HoldDown, what: what, logger: logger, tel: tel,
		now: time.Now, current: -1, failed: make([]time.Time, len(names)), chosen: make([]time.Time, len(names))}
	reg, err := tel.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		b.mu.Lock()
		defer b.mu.Unlock()
		now := b.now()
		for i, name := range b.names {
			v := int64(1)
			if b.heldDown(i, now) {
				v = 0
			}
			o.ObserveInt64(tel.EndpointUp, v, tel.EndpointAttrs(name))
			if !b.chosen[i].IsZero() {
				o.ObserveFloat64(tel.EndpointLastSwitch, float64(b.chosen[i].UnixNano())/1e9, tel.EndpointAttrs(name))
			}
		}
		return nil
	}, tel.EndpointUp, tel.EndpointLastSwitch)
	if err != nil {
		logger.Warn("cannot observe the endpoints' state", zap.Error(err))
	}
	b.gauge = reg
	return b
}

// heldDown reports whether endpoint i failed less than hold_down ago. Callers hold mu.
func (b *Balancer) heldDown(i int, now time.Time) bool {
	return !b.failed[i].IsZero() && now.Sub(b.failed[i]) < b.holdDown
}

// Order is the endpoints to try for one push, best first.
func (b *Balancer) Order() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(b.names)
	start := 0
	if b.mode == BalanceRoundRobin {
		start = b.next
		b.next = (b.next + 1) % n
	}
	now := b.now()
	up := make([]int, 0, n)
	var down []int
	for k := range n {
		i := (start + k) % n
		if b.heldDown(i, now) {
			down = append(down, i)
		} else {
			up = append(up, i)
		}
	}
	return append(up, down...)
}

// Fail records a failure of endpoint i, and logs and counts it when the endpoint was up until now.
func (b *Balancer) Fail(ctx context.Context, i int, err error) {
	b.mu.Lock()
	wasUp := !b.heldDown(i, b.now())
	b.failed[i] = b.now()
	b.mu.Unlock()
	if wasUp {
		b.tel.EndpointFailures.Add(ctx, 1, b.tel.EndpointAttrs(b.names[i]))
		b.logger.Warn(b.what+" endpoint failed; passed over for balance.hold_down",
			zap.String("endpoint", b.names[i]), zap.Duration("hold_down", b.holdDown), zap.Error(err))
	}
}

// Use records that a push went to endpoint i; in failover, a change of endpoint is a switch,
// logged and counted.
func (b *Balancer) Use(ctx context.Context, i int) {
	if b.mode != BalanceFailover {
		return
	}
	b.mu.Lock()
	from := b.current
	b.current = i
	if from != i {
		b.chosen[i] = b.now()
	}
	b.mu.Unlock()
	if from == i {
		return
	}
	b.tel.EndpointSwitches.Add(ctx, 1, b.tel.EndpointAttrs(b.names[i]))
	if from >= 0 {
		b.logger.Warn(b.what+" failover: events now go to another endpoint",
			zap.String("from", b.names[from]), zap.String("to", b.names[i]))
	}
}

// Close stops observing the endpoints.
func (b *Balancer) Close() error {
	if b.gauge == nil {
		return nil
	}
	return b.gauge.Unregister()
}
