package delivery

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	pdatareq "go.opentelemetry.io/collector/pdata/xpdata/request"
)

// queueMagic starts every batch the persistent queue stores. A protobuf message never starts with
// a zero byte (field number 0 is invalid), so the encoding tells its own records from the OTLP
// records an older otelcol-siem (or the collector's stock encoding) left in the same queue.
// cef_syslog's queues of the previous release start with legacyMagic and are read the same way.
const (
	queueMagic  = "\x00otelcol-siem/records/1\n"
	legacyMagic = "\x00otelcol-siem/cef_syslog/frames/1\n"
)

// queueEncoding stores batches in the persistent queue: the magic, the record count, one uvarint
// per record (length << 1; the low bit is unused and ignored), then the records. Records that an
// older version queued as OTLP logs are read back and formatted with the current settings, so an
// upgrade does not lose a backlog.
type queueEncoding struct {
	convert *Converter
}

func (queueEncoding) Marshal(_ context.Context, r xexporterhelper.Request) ([]byte, error) {
	b, ok := r.(*Batch)
	if !ok {
		return nil, fmt.Errorf("cannot store a %T", r)
	}
	out := make([]byte, 0, len(queueMagic)+binary.MaxVarintLen64*(1+b.count)+b.size)
	out = append(out, queueMagic...)
	out = binary.AppendUvarint(out, uint64(b.count))
	for rec := range b.All {
		out = binary.AppendUvarint(out, uint64(len(rec))<<1)
	}
	for _, seg := range b.segs {
		out = append(out, seg.data...)
	}
	return out, nil
}

func (enc queueEncoding) Unmarshal(buf []byte) (context.Context, xexporterhelper.Request, error) {
	ctx := context.Background()
	var p []byte
	switch {
	case bytes.HasPrefix(buf, []byte(queueMagic)):
		p = buf[len(queueMagic):]
	case bytes.HasPrefix(buf, []byte(legacyMagic)):
		p = buf[len(legacyMagic):]
	default:
		return enc.unmarshalOTLP(buf)
	}
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(p)) {
		return ctx, nil, errors.New("queued record batch: bad record count")
	}
	p = p[k:]
	seg := segment{ends: make([]int, n)}
	end := 0
	for i := range seg.ends {
		v, k := binary.Uvarint(p)
		if k <= 0 || v>>1 > uint64(len(buf)) {
			return ctx, nil, fmt.Errorf("queued record batch: bad length of record %d", i)
		}
		p = p[k:]
		end += int(v >> 1)
		seg.ends[i] = end
	}
	if end != len(p) {
		return ctx, nil, fmt.Errorf("queued record batch: lengths add up to %d bytes, %d stored", end, len(p))
	}
	// The queue's buffer is not ours to keep.
	seg.data = append([]byte(nil), p...)
	return ctx, &Batch{segs: []segment{seg}, count: int(n), size: end}, nil
}

// unmarshalOTLP reads OTLP logs queued by exporterhelper's stock logs encoding (what otelcol-siem
// stored before record batches) and formats them.
func (enc queueEncoding) unmarshalOTLP(buf []byte) (context.Context, xexporterhelper.Request, error) {
	ctx, ld, err := pdatareq.UnmarshalLogs(buf)
	if errors.Is(err, pdatareq.ErrInvalidFormat) {
		ctx = context.Background()
		ld, err = (&plog.ProtoUnmarshaler{}).UnmarshalLogs(buf)
	}
	if err != nil {
		return context.Background(), nil, fmt.Errorf("queued item is neither a record batch nor OTLP logs: %w", err)
	}
	return ctx, enc.convert.Convert(ctx, ld), nil
}
