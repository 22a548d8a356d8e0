package httpdelivery

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
)

// Pusher is the part of a push both HTTP exporters (splunk_hec_sec, security_webhook) share: it
// sends encoded records in bodies of at most MaxContentLength bytes through Deliver, counts every
// request, logs an authentication refusal, shrinks a single event the server refused as too large,
// and reports what was dropped. Each exporter keeps what differs: how records are encoded and
// posted, and (HEC) what happens after delivery. A Pusher must not be copied after first use.
type Pusher struct {
	Framing          Framing
	MaxContentLength int
	// MinShrink is the smallest size a single event is cut down to after a 413 before it is
	// dropped as too large.
	MinShrink int
	Post      func(ctx context.Context, body []byte) Verdict
	// Reencode appends the record encoded to at most max bytes; it reports whether it cut.
	Reencode func(dst []byte, res pcommon.Resource, lr plog.LogRecord, max int) ([]byte, bool)
	Tel      *Telemetry
	Logger   *zap.Logger
	// AuthMessage is logged (error, with AuthFields) when the server refuses the credentials;
	// ShrinkMessage (warn) when a single event is sent truncated after a 413; DropMessage with
	// every record dropped for good.
	AuthMessage, ShrinkMessage, DropMessage string
	AuthFields                              []zap.Field

	bufs sync.Pool // *[]byte request bodies
}

// Push delivers items, encoded from ld, and returns Deliver's result.
func (p *Pusher) Push(ctx context.Context, ld plog.Logs, items []Item) Result {
	bp, _ := p.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer p.bufs.Put(bp)

	send := func(ctx context.Context, batch []int) Verdict {
		*bp = p.Framing.AppendBody((*bp)[:0], items, batch)
		v := p.Post(ctx, *bp)
		p.Tel.Request(ctx, v, len(*bp))
		if v.Kind == Auth {
			fields := append(append(make([]zap.Field, 0, len(p.AuthFields)+1), p.AuthFields...), zap.Error(v.Err))
			p.Logger.Error(p.AuthMessage, fields...)
		}
		return v
	}
	shrink := func(i int) bool {
		target := len(items[i].Data) / 2
		if target < p.MinShrink {
			return false
		}
		res, lr := Record(ld, items[i].Ref)
		data, cut := p.Reencode(nil, res, lr, target)
		if cut {
			p.Tel.EventsTruncated.Add(ctx, 1)
		}
		items[i].Data = data
		p.Logger.Warn(p.ShrinkMessage, zap.Int("bytes", len(data)))
		return true
	}
	res := Deliver(ctx, items, p.Framing, p.MaxContentLength, send, shrink)
	p.Tel.ReportDrops(ctx, p.Logger, p.DropMessage, ld, items, res.Dropped)
	return res
}
