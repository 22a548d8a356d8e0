package cefsyslogexporter // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter"

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	pdatareq "go.opentelemetry.io/collector/pdata/xpdata/request"
)

// frameBatch is the exporter's request: records already formatted into syslog messages (RFC 5424
// or 3164 header and CEF or JSON MSG, or a bare line for a header-less file), without transport
// framing. A batch is formatted once, when it enters the sending queue. The persistent queue
// therefore stores finished messages: storing one is a copy instead of a protobuf encoding, and
// reading one back (a backlog draining after an outage) is a copy instead of a protobuf decode
// followed by formatting.
//
// The messages are held in segments, one per formatted (or decoded) batch, so that the queue's
// batcher merges batches by appending segments instead of copying their bytes. A segment is not
// changed once its batch has left formatLogs.
type frameBatch struct {
	segs  []frameSegment
	count int // messages
	size  int // bytes
}

// frameSegment is a run of messages stored back to back.
type frameSegment struct {
	data []byte
	ends []frameEnd // one per message, in order
}

// frameEnd locates one message in its segment's data.
type frameEnd struct {
	end       int  // offset just past the message
	truncated bool // the message was cut to the transport's size limit
}

var _ xexporterhelper.Request = (*frameBatch)(nil)

// ItemsCount is the number of records (messages): what the `items` sizer and the exporter's
// sent/failed metrics count.
func (b *frameBatch) ItemsCount() int { return b.count }

// BytesSize is the formatted size, what the `bytes` sizer limits.
func (b *frameBatch) BytesSize() int { return b.size }

// newFrameBatch returns a batch of one segment with room for n messages of about size bytes.
func newFrameBatch(n, size int) *frameBatch {
	return &frameBatch{segs: []frameSegment{{data: make([]byte, 0, n*size), ends: make([]frameEnd, 0, n)}}}
}

// tail is the segment formatLogs appends to.
func (b *frameBatch) tail() *frameSegment {
	if len(b.segs) == 0 {
		b.segs = append(b.segs, frameSegment{})
	}
	return &b.segs[len(b.segs)-1]
}

// commit records the message just written at the end of the tail segment's data.
func (b *frameBatch) commit(n int, truncated bool) {
	seg := &b.segs[len(b.segs)-1]
	seg.ends = append(seg.ends, frameEnd{end: len(seg.data), truncated: truncated})
	b.count++
	b.size += n
}

// all yields every message in order with its truncated flag.
func (b *frameBatch) all(yield func(msg []byte, truncated bool) bool) {
	for _, seg := range b.segs {
		start := 0
		for _, e := range seg.ends {
			if !yield(seg.data[start:e.end], e.truncated) {
				return
			}
			start = e.end
		}
	}
}

// slice returns messages [from, to) as a batch of its own, sharing b's bytes.
func (b *frameBatch) slice(from, to int) *frameBatch {
	out := &frameBatch{}
	first := 0 // index of the segment's first message in b
	for _, seg := range b.segs {
		n := len(seg.ends)
		lo, hi := max(from-first, 0), min(to-first, n)
		first += n
		if lo >= hi {
			continue
		}
		base := 0
		if lo > 0 {
			base = seg.ends[lo-1].end
		}
		end := seg.ends[hi-1].end
		part := frameSegment{data: seg.data[base:end:end], ends: make([]frameEnd, hi-lo)}
		for i := lo; i < hi; i++ {
			part.ends[i-lo] = frameEnd{end: seg.ends[i].end - base, truncated: seg.ends[i].truncated}
		}
		out.segs = append(out.segs, part)
		out.count += hi - lo
		out.size += end - base
	}
	return out
}

// MergeSplit appends r2 (when given) to b, then cuts the result into batches of at most maxSize
// records (items sizer) or bytes (bytes sizer). A single message larger than maxSize bytes travels
// alone in its own batch: a security event is never dropped for its size here (the transport's own
// limit, max_message_size, has already been applied when it was formatted).
func (b *frameBatch) MergeSplit(_ context.Context, maxSize int, szt exporterhelper.RequestSizerType, r2 xexporterhelper.Request) ([]xexporterhelper.Request, error) {
	if szt != exporterhelper.RequestSizerTypeItems && szt != exporterhelper.RequestSizerTypeBytes {
		return nil, fmt.Errorf("cef_syslog: unsupported sizer %v", szt)
	}
	if r2 != nil {
		other, ok := r2.(*frameBatch)
		if !ok {
			return nil, fmt.Errorf("cef_syslog: cannot merge a %T into a frame batch", r2)
		}
		// Full slice expression: appending to b later must not write into other's slice array.
		b.segs = append(b.segs[:len(b.segs):len(b.segs)], other.segs...)
		b.count += other.count
		b.size += other.size
	}
	if maxSize <= 0 {
		return []xexporterhelper.Request{b}, nil
	}
	if szt == exporterhelper.RequestSizerTypeItems {
		if b.count <= maxSize {
			return []xexporterhelper.Request{b}, nil
		}
		out := make([]xexporterhelper.Request, 0, (b.count+maxSize-1)/maxSize)
		for from := 0; from < b.count; from += maxSize {
			out = append(out, b.slice(from, min(from+maxSize, b.count)))
		}
		return out, nil
	}
	if b.size <= maxSize {
		return []xexporterhelper.Request{b}, nil
	}
	var out []xexporterhelper.Request
	from, i, bytes := 0, 0, 0
	for msg := range b.all {
		if i > from && bytes+len(msg) > maxSize {
			out = append(out, b.slice(from, i))
			from, bytes = i, 0
		}
		bytes += len(msg)
		i++
	}
	return append(out, b.slice(from, b.count)), nil
}

// unsentError is a transport failure that left the batch's messages from some index on unsent.
// exporterhelper's retry sender hands it to OnError and retries (or re-queues) only those.
type unsentError struct {
	err  error
	rest *frameBatch
}

func (e *unsentError) Error() string { return e.err.Error() }
func (e *unsentError) Unwrap() error { return e.err }

// OnError narrows the batch to what a transport failure left unsent.
func (b *frameBatch) OnError(err error) xexporterhelper.Request {
	var u *unsentError
	if errors.As(err, &u) && u.rest != nil {
		return u.rest
	}
	return b
}

// frameQueueMagic starts every frame batch the persistent queue stores. A protobuf message
// never starts with a zero byte (field number 0 is invalid), so the encoding tells its own
// records from the pdata records an older otelcol-siem (or the collector's stock encoding) left
// in the same queue.
const frameQueueMagic = "\x00otelcol-siem/cef_syslog/frames/1\n"

// frameEncoding stores frame batches in the persistent queue: the magic, the message count,
// one uvarint per message (length << 1 | truncated), then the messages. Records that an older
// version queued as OTLP logs are read back and formatted with the current settings, so an
// upgrade does not lose a backlog.
type frameEncoding struct {
	formatLogs func(context.Context, plog.Logs) (xexporterhelper.Request, error)
}

func (frameEncoding) Marshal(_ context.Context, r xexporterhelper.Request) ([]byte, error) {
	b, ok := r.(*frameBatch)
	if !ok {
		return nil, fmt.Errorf("cef_syslog: cannot store a %T", r)
	}
	out := make([]byte, 0, len(frameQueueMagic)+binary.MaxVarintLen64*(1+b.count)+b.size)
	out = append(out, frameQueueMagic...)
	out = binary.AppendUvarint(out, uint64(b.count))
	for msg, truncated := range b.all {
		v := uint64(len(msg)) << 1
		if truncated {
			v |= 1
		}
		out = binary.AppendUvarint(out, v)
	}
	for _, seg := range b.segs {
		out = append(out, seg.data...)
	}
	return out, nil
}

func (enc frameEncoding) Unmarshal(buf []byte) (context.Context, xexporterhelper.Request, error) {
	ctx := context.Background()
	if !bytes.HasPrefix(buf, []byte(frameQueueMagic)) {
		return enc.unmarshalLegacy(buf)
	}
	p := buf[len(frameQueueMagic):]
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(p)) {
		return ctx, nil, errors.New("cef_syslog: queued frame batch: bad message count")
	}
	p = p[k:]
	seg := frameSegment{ends: make([]frameEnd, n)}
	end := 0
	for i := range seg.ends {
		v, k := binary.Uvarint(p)
		if k <= 0 || v>>1 > uint64(len(buf)) {
			return ctx, nil, fmt.Errorf("cef_syslog: queued frame batch: bad length of message %d", i)
		}
		p = p[k:]
		end += int(v >> 1)
		seg.ends[i] = frameEnd{end: end, truncated: v&1 == 1}
	}
	if end != len(p) {
		return ctx, nil, fmt.Errorf("cef_syslog: queued frame batch: lengths add up to %d bytes, %d stored", end, len(p))
	}
	// The queue's buffer is not ours to keep.
	seg.data = append([]byte(nil), p...)
	return ctx, &frameBatch{segs: []frameSegment{seg}, count: int(n), size: end}, nil
}

// unmarshalLegacy reads OTLP logs queued by exporterhelper's stock logs encoding (what
// otelcol-siem stored before frame batches) and formats them.
func (enc frameEncoding) unmarshalLegacy(buf []byte) (context.Context, xexporterhelper.Request, error) {
	ctx, ld, err := pdatareq.UnmarshalLogs(buf)
	if errors.Is(err, pdatareq.ErrInvalidFormat) {
		ctx = context.Background()
		ld, err = (&plog.ProtoUnmarshaler{}).UnmarshalLogs(buf)
	}
	if err != nil {
		return context.Background(), nil, fmt.Errorf("cef_syslog: queued item is neither a frame batch nor OTLP logs: %w", err)
	}
	r, err := enc.formatLogs(ctx, ld)
	return ctx, r, err
}
