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
type frameBatch struct {
	data []byte     // the messages, back to back
	ends []frameEnd // one per message, in order
}

// frameEnd locates one message in frameBatch.data.
type frameEnd struct {
	end       int  // offset just past the message
	truncated bool // the message was cut to the transport's size limit
}

var _ xexporterhelper.Request = (*frameBatch)(nil)

// ItemsCount is the number of records (messages): what the `items` sizer and the exporter's
// sent/failed metrics count.
func (b *frameBatch) ItemsCount() int { return len(b.ends) }

// BytesSize is the formatted size, what the `bytes` sizer limits.
func (b *frameBatch) BytesSize() int { return len(b.data) }

func (b *frameBatch) start(i int) int {
	if i == 0 {
		return 0
	}
	return b.ends[i-1].end
}

// message returns message i, without framing.
func (b *frameBatch) message(i int) []byte { return b.data[b.start(i):b.ends[i].end] }

// add appends one message.
func (b *frameBatch) add(msg []byte, truncated bool) {
	b.data = append(b.data, msg...)
	b.ends = append(b.ends, frameEnd{end: len(b.data), truncated: truncated})
}

// slice returns messages [from, to) as a batch of its own. It shares b's bytes; the full slice
// expression keeps a later merge into either batch from writing over the other's messages.
func (b *frameBatch) slice(from, to int) *frameBatch {
	base := b.start(from)
	end := b.start(to)
	out := &frameBatch{data: b.data[base:end:end], ends: make([]frameEnd, to-from)}
	for i := from; i < to; i++ {
		out.ends[i-from] = frameEnd{end: b.ends[i].end - base, truncated: b.ends[i].truncated}
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
		base := len(b.data)
		b.data = append(b.data, other.data...)
		for _, e := range other.ends {
			b.ends = append(b.ends, frameEnd{end: base + e.end, truncated: e.truncated})
		}
	}
	if maxSize <= 0 {
		return []xexporterhelper.Request{b}, nil
	}
	if szt == exporterhelper.RequestSizerTypeItems {
		if len(b.ends) <= maxSize {
			return []xexporterhelper.Request{b}, nil
		}
		out := make([]xexporterhelper.Request, 0, (len(b.ends)+maxSize-1)/maxSize)
		for from := 0; from < len(b.ends); from += maxSize {
			out = append(out, b.slice(from, min(from+maxSize, len(b.ends))))
		}
		return out, nil
	}
	if len(b.data) <= maxSize {
		return []xexporterhelper.Request{b}, nil
	}
	var out []xexporterhelper.Request
	from := 0
	for i := range b.ends {
		if i > from && b.ends[i].end-b.start(from) > maxSize {
			out = append(out, b.slice(from, i))
			from = i
		}
	}
	return append(out, b.slice(from, len(b.ends))), nil
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
	out := make([]byte, 0, len(frameQueueMagic)+binary.MaxVarintLen64*(1+len(b.ends))+len(b.data))
	out = append(out, frameQueueMagic...)
	out = binary.AppendUvarint(out, uint64(len(b.ends)))
	start := 0
	for _, e := range b.ends {
		v := uint64(e.end-start) << 1
		if e.truncated {
			v |= 1
		}
		out = binary.AppendUvarint(out, v)
		start = e.end
	}
	return append(out, b.data...), nil
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
	b := &frameBatch{ends: make([]frameEnd, n)}
	end := 0
	for i := range b.ends {
		v, k := binary.Uvarint(p)
		if k <= 0 || v>>1 > uint64(len(buf)) {
			return ctx, nil, fmt.Errorf("cef_syslog: queued frame batch: bad length of message %d", i)
		}
		p = p[k:]
		end += int(v >> 1)
		b.ends[i] = frameEnd{end: end, truncated: v&1 == 1}
	}
	if end != len(p) {
		return ctx, nil, fmt.Errorf("cef_syslog: queued frame batch: lengths add up to %d bytes, %d stored", end, len(p))
	}
	// The queue's buffer is not ours to keep.
	b.data = append([]byte(nil), p...)
	return ctx, b, nil
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
