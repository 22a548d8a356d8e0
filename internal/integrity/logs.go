package integrity

import (
	"context"
	"errors"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
)

// Wrap puts the stamper's life cycle around an exporter whose Converter stamps with s: Start
// opens the stream before the sending queue starts, a ticker asks for a checkpoint every
// checkpoint_interval, each ConsumeLogs call settles the numbers it reserved (queued, or void when
// the queue refused them), and Shutdown queues a final checkpoint before the queue stops.
func Wrap(inner exporter.Logs, s *Stamper, storageID component.ID) exporter.Logs {
	ctx, cancel := context.WithCancel(context.Background())
	return &logs{Logs: inner, s: s, storageID: storageID, tickCtx: ctx, stop: cancel}
}

// finalTimeout bounds the wait for room in a full queue for the final checkpoint at shutdown; a
// final checkpoint the queue refuses is stated as void at the next start.
const finalTimeout = 5 * time.Second

type logs struct {
	exporter.Logs
	s         *Stamper
	storageID component.ID
	// tickCtx is cancelled (stop) at shutdown: a tick waiting for room in a full queue gives up.
	tickCtx context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup
	started bool
}

func (l *logs) Start(ctx context.Context, host component.Host) error {
	if err := l.s.Start(ctx, host, l.storageID); err != nil {
		return err
	}
	if err := l.Logs.Start(ctx, host); err != nil {
		return errors.Join(err, l.s.close(ctx))
	}
	l.started = true
	l.wg.Go(l.ticker)
	return nil
}

func (l *logs) ticker() {
	t := time.NewTicker(l.s.set.Config.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-l.tickCtx.Done():
			return
		case <-t.C:
			if err := l.ConsumeLogs(l.tickCtx, l.s.tick(CheckpointPeriodic)); err != nil && l.tickCtx.Err() == nil {
				l.s.set.Logger.Warn("integrity: could not queue a checkpoint", zap.Error(err))
			}
		}
	}
}

func (l *logs) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	t := &ticket{}
	err := l.Logs.ConsumeLogs(context.WithValue(ctx, ticketKey{}, t), ld)
	l.s.settle(t, err == nil)
	return err
}

func (l *logs) Shutdown(ctx context.Context) error {
	l.stop()
	l.wg.Wait()
	var errs []error
	if l.started {
		fctx, cancel := context.WithTimeout(ctx, finalTimeout)
		if err := l.ConsumeLogs(fctx, l.s.tick(CheckpointFinal)); err != nil {
			l.s.set.Logger.Warn("integrity: could not queue the final checkpoint; the next start states its number as void", zap.Error(err))
		}
		cancel()
	}
	errs = append(errs, l.Logs.Shutdown(ctx), l.s.close(ctx))
	return errors.Join(errs...)
}
