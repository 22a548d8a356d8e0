package cefsyslogexporter // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter"

import (
	"context"
	"errors"

	"github.com/unified-ot/otelcol-siem/internal/delivery"
)

// balancer is the transport of several endpoints: one connection pool each, all fed from the one
// sending queue, tried in the order delivery.Balancer gives (balance.mode, balance.hold_down). A
// connect or write failure holds the endpoint down; the records it did not take go back to the
// queue as the unsent tail, and their retry goes to the next endpoint.
type balancer struct {
	pools []*connPool
	order *delivery.Balancer
}

func (b *balancer) acquire(ctx context.Context) (sink, func(), error) {
	var errs []error
	for _, i := range b.order.Order() {
		s, release, err := b.pools[i].acquire(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, err
			}
			b.order.Fail(ctx, i, err)
			errs = append(errs, err)
			continue
		}
		b.order.Use(ctx, i)
		return &balancedSink{sink: s, b: b, i: i}, release, nil
	}
	return nil, nil, errors.Join(errs...)
}

func (b *balancer) close(ctx context.Context) error {
	errs := []error{b.order.Close()}
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
		s.b.order.Fail(ctx, s.i, err)
	}
	return n, err
}
