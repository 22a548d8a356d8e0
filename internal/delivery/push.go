package delivery

import (
	"context"
	"sync"

	"go.uber.org/zap"
)

// Pusher is the part of a send both HTTP exporters (splunk_hec_sec, security_webhook) share: it
// sends a batch's records in bodies of at most MaxContentLength bytes through Deliver, counts every
// request, logs an authentication refusal, shrinks a single record the server refused as too
// large, and reports what was dropped. Each exporter keeps what differs: how a body is posted and
// (HEC) what happens after delivery. A Pusher must not be copied after first use.
type Pusher struct {
	Framing          Framing
	MaxContentLength int
	// MinShrink is the smallest size a single record is cut down to after a 413 before it is
	// dropped as too large.
	MinShrink int
	Post      func(ctx context.Context, body []byte) Verdict
	// Shrink returns rec cut to at most max bytes, still a valid record of the exporter's format.
	Shrink func(rec []byte, max int) []byte
	Tel    *HTTPTelemetry
	Logger *zap.Logger
	// AuthMessage is logged (error, with AuthFields) when the server refuses the credentials;
	// ShrinkMessage (warn) when a single record is sent cut after a 413; DropMessage with every
	// record dropped for good.
	AuthMessage, ShrinkMessage, DropMessage string
	AuthFields                              []zap.Field

	bufs sync.Pool // *[]byte request bodies
}

// Push delivers recs and returns Deliver's result.
func (p *Pusher) Push(ctx context.Context, recs [][]byte) Result {
	bp, _ := p.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	defer p.bufs.Put(bp)

	post := func(ctx context.Context, body []int) Verdict {
		*bp = p.Framing.AppendBody((*bp)[:0], recs, body)
		v := p.Post(ctx, *bp)
		p.Tel.Request(ctx, v, len(*bp))
		if v.Kind == Auth {
			fields := append(append(make([]zap.Field, 0, len(p.AuthFields)+1), p.AuthFields...), zap.Error(v.Err))
			p.Logger.Error(p.AuthMessage, fields...)
		}
		return v
	}
	shrink := func(i int) bool {
		target := len(recs[i]) / 2
		if target < p.MinShrink {
			return false
		}
		cut := p.Shrink(recs[i], target)
		if len(cut) >= len(recs[i]) {
			return false
		}
		recs[i] = cut
		p.Tel.Truncated(ctx, 1)
		p.Logger.Warn(p.ShrinkMessage, zap.Int("bytes", len(recs[i])))
		return true
	}
	res := Deliver(ctx, recs, p.Framing, p.MaxContentLength, post, shrink)
	for _, d := range res.Dropped {
		p.Tel.Drop(ctx, 1, d.Reason)
		// Never the record's content, which may be sensitive: its event.id says which it was.
		p.Logger.Error(p.DropMessage, zap.String("reason", d.Reason), zap.String("event.id", EventID(recs[d.Item])), zap.Error(d.Err))
	}
	return res
}
