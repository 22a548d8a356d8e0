package cefsyslogexporter // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter"

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter/internal/metadata"
)

// balancer is the transport of several endpoints: one connection pool each, all fed from the one
// sending queue. A push takes the first endpoint that gives it a ready connection, in the order
// of balance.mode; an endpoint that failed (connect or write) goes to the back of that order for
// balance.hold_down. A batch a failed endpoint did not take is handed back to the queue as usual
// (the unsent tail), and its retry goes to the next endpoint: at least once, never dropped
// because one receiver is down.
type balancer struct {
	pools    []*connPool
	mode     string
	holdDown time.Duration
	logger   *zap.Logger
	tel      *metadata.Telemetry
	now      func() time.Time

	mu      sync.Mutex
	next    int         // round_robin: where the next push starts
	current int         // failover: the endpoint the last push used (-1: none yet)
	failed  []time.Time // per endpoint: its last failure (zero: none)

	gauge metric.Registration
}

func newBalancer(cfg BalanceConfig, pools []*connPool, logger *zap.Logger, tel *metadata.Telemetry) *balancer {
	b := &balancer{pools: pools, mode: cfg.Mode, holdDown: cfg.HoldDown, logger: logger, tel: tel,
		now: time.Now, current: -1, failed: make([]time.Time, len(pools))}
	reg, err := tel.RegisterEndpointUp(func(observe func(endpoint string, up bool)) {
		b.mu.Lock()
		defer b.mu.Unlock()
		now := b.now()
		for i, p := range b.pools {
			observe(p.endpoint, !b.heldDown(i, now))
		}
	})
	if err != nil {
		logger.Warn("cannot observe the endpoints' state", zap.Error(err))
	}
	b.gauge = reg
	return b
}

// heldDown reports whether endpoint i failed less than hold_down ago. Callers hold mu.
func (b *balancer) heldDown(i int, now time.Time) bool {
	return !b.failed[i].IsZero() && now.Sub(b.failed[i]) < b.holdDown
}

// order is the endpoints to try for one push: those not held down first (in list order for
// failover, from a rotating start for round_robin), then the held-down ones, so that a push still
// finds a receiver when every endpoint failed recently.
func (b *balancer) order() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(b.pools)
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

func (b *balancer) acquire(ctx context.Context) (sink, func(), error) {
	var errs []error
	for _, i := range b.order() {
		s, release, err := b.pools[i].acquire(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, err
			}
			b.fail(ctx, i, err)
			errs = append(errs, err)
			continue
		}
		b.use(ctx, i)
		return &balancedSink{sink: s, b: b, i: i}, release, nil
	}
	return nil, nil, errors.Join(errs...)
}

// fail records a failure of endpoint i and logs it when it was up until now.
func (b *balancer) fail(ctx context.Context, i int, err error) {
	b.mu.Lock()
	wasUp := !b.heldDown(i, b.now())
	b.failed[i] = b.now()
	b.mu.Unlock()
	if wasUp {
		b.tel.EndpointFailures.Add(ctx, 1, b.tel.EndpointAttrs(b.pools[i].endpoint))
		b.logger.Warn("syslog endpoint failed; passed over for balance.hold_down",
			zap.String("endpoint", b.pools[i].endpoint), zap.Duration("hold_down", b.holdDown), zap.Error(err))
	}
}

// use records that a push goes to endpoint i; in failover, a change of endpoint is a switch,
// logged and counted.
func (b *balancer) use(ctx context.Context, i int) {
	if b.mode != BalanceFailover {
		return
	}
	b.mu.Lock()
	from := b.current
	b.current = i
	b.mu.Unlock()
	if from == i {
		return
	}
	b.tel.EndpointSwitches.Add(ctx, 1, b.tel.EndpointAttrs(b.pools[i].endpoint))
	if from < 0 {
		return // the first push: not a switch
	}
	b.logger.Warn("syslog failover: events now go to another endpoint",
		zap.String("from", b.pools[from].endpoint), zap.String("to", b.pools[i].endpoint))
}

func (b *balancer) close(ctx context.Context) error {
	var errs []error
	if b.gauge != nil {
		errs = append(errs, b.gauge.Unregister())
	}
	for _, p := range b.pools {
		errs = append(errs, p.close(ctx))
	}
	return errors.Join(errs...)
}

// balancedSink is a pool's sink that reports a failed write to the balancer.
type balancedSink struct {
	sink
	b *balancer
	i int
}

func (s *balancedSink) write(ctx context.Context, p []byte) (int, error) {
	n, err := s.sink.write(ctx, p)
	if err != nil && ctx.Err() == nil {
		s.b.fail(ctx, s.i, err)
	}
	return n, err
}
