// Package delivery is the one delivery mechanism of otelcol-siem's exporters (cef_syslog,
// splunk_hec_sec, security_webhook). Every exporter formats records once, as they enter
// exporterhelper's sending queue, into a Batch of finished records; the queue stores, batches (by
// bytes) and retries Batches, and the exporter's send function writes one to its transport. What
// a send leaves unsent comes back as an UnsentError, so a retry resends only that.
//
// The package also holds the factory defaults every exporter shares (QueueConfig, RetryConfig)
// and the HTTP discipline of the two HTTP exporters (http.go, push.go).
package delivery // import "github.com/unified-ot/otelcol-siem/internal/delivery"

import (
	"context"
	"sync/atomic"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/unified-ot/otelcol-siem/internal/integrity"
)

// Defaults of the sending queue's batcher, in bytes of formatted records: about 860 and 3 450
// records of the benchmark load (~607 bytes each).
const (
	DefaultBatchMinBytes = 512 << 10
	DefaultBatchMaxBytes = 2 << 20
	DefaultQueueSize     = 100_000 // records
)

// QueueConfig is every exporter's default sending queue: on, in memory unless a storage is named,
// counted in records, blocking (not dropping) the pipeline when full, and batching by the bytes
// the records take once formatted.
func QueueConfig() configoptional.Optional[exporterhelper.QueueBatchConfig] {
	q := exporterhelper.NewDefaultQueueConfig()
	q.Sizer = exporterhelper.RequestSizerTypeItems
	q.QueueSize = DefaultQueueSize
	q.BlockOnOverflow = true
	b := exporterhelper.NewDefaultBatchConfig()
	b.Sizer = exporterhelper.RequestSizerTypeBytes
	b.MinSize = DefaultBatchMinBytes
	b.MaxSize = DefaultBatchMaxBytes
	q.Batch = configoptional.Some(b)
	return configoptional.Some(q)
}

// RetryConfig is exporterhelper's backoff without its 5-minute cap (max_elapsed_time 0): a
// security event must not be dropped because the SIEM was down for longer than that; the queue
// holds it.
func RetryConfig() configretry.BackOffConfig {
	cfg := configretry.NewDefaultBackOffConfig()
	cfg.MaxElapsedTime = 0
	return cfg
}

// FormatFunc appends one record, formatted and cut to the transport's limit, to dst. It reports
// whether it cut the record, and ok=false (dst unchanged) when the record yields nothing to send.
type FormatFunc func(dst []byte, res pcommon.Resource, lr plog.LogRecord) (out []byte, truncated, ok bool)

// SendFunc sends one batch. An error that is an *UnsentError narrows what is retried to its Rest.
type SendFunc func(ctx context.Context, b *Batch) error

// Settings is what an exporter hands NewLogs.
type Settings struct {
	Queue   configoptional.Optional[exporterhelper.QueueBatchConfig]
	Retry   configretry.BackOffConfig
	Timeout exporterhelper.TimeoutConfig

	Converter *Converter
	Send      SendFunc

	Start    component.StartFunc
	Shutdown component.ShutdownFunc
}

// NewLogs returns a logs exporter whose requests are Batches formatted by s.Converter.
func NewLogs(ctx context.Context, set exporter.Settings, s Settings) (exporter.Logs, error) {
	c := s.Converter
	health := registerHealth(set, s.Queue, c) // report.go
	exp, err := xexporterhelper.NewLogsRequest(ctx, set,
		func(ctx context.Context, ld plog.Logs) (xexporterhelper.Request, error) {
			return c.Convert(ctx, ld), nil
		},
		reportingSend(health, s.Send),
		exporterhelper.WithStart(s.Start),
		exporterhelper.WithShutdown(s.Shutdown),
		exporterhelper.WithCapabilities(consumer.Capabilities{MutatesData: false}),
		exporterhelper.WithTimeout(s.Timeout),
		exporterhelper.WithRetry(s.Retry),
		xexporterhelper.WithQueueBatch(s.Queue, xexporterhelper.QueueBatchSettings{
			Encoding: queueEncoding{convert: c},
		}),
	)
	return withHealth(exp, err, health)
}

// Converter formats records into Batches as they enter the sending queue.
type Converter struct {
	Format FormatFunc
	Logger *zap.Logger
	// Failed counts records that could not be formatted (they are dropped); Truncated records cut
	// to fit.
	Failed, Truncated func(ctx context.Context, n int)

	// Integrity, when set, stamps every record as it is formatted and adds the checkpoint
	// records it asks for (internal/integrity).
	Integrity *integrity.Stamper

	// sizeHint is the bytes to reserve per record when a batch is formatted (0: 512).
	sizeHint atomic.Int64
}

// Convert formats every record of ld into a Batch. A record that cannot be formatted (or whose
// formatting panics) is dropped and counted here, and the records behind it go on.
func (c *Converter) Convert(ctx context.Context, ld plog.Logs) *Batch {
	hint := int(c.sizeHint.Load())
	if hint == 0 {
		hint = 512
	}
	b := newBatch(ld.LogRecordCount(), hint)
	failed, truncated := 0, 0
	var stamp *integrity.Batch
	if c.Integrity != nil {
		// One batch holds the stamper for its whole formatting: its numbers are contiguous and
		// written ahead (End) before the batch is queued.
		stamp = c.Integrity.Begin(ctx)
		defer stamp.End(ctx)
		c.audits(b, stamp)
	}
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		res := rls.At(i).Resource()
		sls := rls.At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				if stamp != nil && stamp.Skip(lrs.At(k)) {
					c.audits(b, stamp)
					continue
				}
				switch c.formatInto(b, res, lrs.At(k), stamp) {
				case formatFailed:
					failed++
				case formatTruncated:
					truncated++
				}
				if stamp != nil {
					c.audits(b, stamp)
				}
			}
		}
	}
	if b.count > 0 {
		// The next batch's buffer is sized from this one's records, with some headroom.
		c.sizeHint.Store(int64(b.size/b.count + 32))
	}
	if failed > 0 {
		c.Failed(ctx, failed)
		// Never the records' contents: they may hold user names and addresses.
		c.Logger.Warn("dropped log records that could not be formatted", zap.Int("count", failed))
	}
	if truncated > 0 {
		c.Truncated(ctx, truncated)
	}
	return b
}

type formatResult int

const (
	formatOK formatResult = iota
	formatTruncated
	formatFailed
)

// audits formats the checkpoint records the stamper asks for.
func (c *Converter) audits(b *Batch, stamp *integrity.Batch) {
	for {
		res, lr, ok := stamp.Audit()
		if !ok {
			return
		}
		if c.formatInto(b, res, lr, stamp) == formatFailed {
			stamp.DropAudit()
			c.Logger.Error("integrity: a checkpoint record could not be formatted; it is left out")
			return
		}
	}
}

// formatInto appends one record to b. A formatter that panics loses that record only: a record
// that cannot be formatted must never block the records behind it.
func (c *Converter) formatInto(b *Batch, res pcommon.Resource, lr plog.LogRecord, stamp *integrity.Batch) (r formatResult) {
	seg := b.tail()
	start := len(seg.data)
	defer func() {
		if p := recover(); p != nil {
			c.Logger.Error("formatter panicked; record dropped", zap.Any("panic", p))
			seg.data = seg.data[:start]
			r = formatFailed
		}
	}()
	data, cut, ok := c.Format(seg.data, res, lr)
	if !ok {
		seg.data = seg.data[:start]
		return formatFailed
	}
	if stamp != nil {
		data = stamp.Stamp(data, start)
	}
	seg.data = data
	b.commit(len(data) - start)
	if cut {
		return formatTruncated
	}
	return formatOK
}
