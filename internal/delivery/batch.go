package delivery

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"
)

// Batch is every exporter's request: records already formatted as the exporter sends them (a
// syslog message, a HEC envelope, a JSON event), without the transport's framing. A batch is
// formatted once, when it enters the sending queue, so the persistent queue stores finished
// records: storing one is a copy instead of a protobuf encoding, and reading one back (a backlog
// draining after an outage) is a copy instead of a protobuf decode followed by formatting.
//
// The records are held in segments, one per formatted (or decoded) batch, so that the queue's
// batcher merges batches by appending segments instead of copying their bytes. A segment is not
// changed once its batch has left the Converter.
type Batch struct {
	segs  []segment
	count int // records
	size  int // bytes
}

// segment is a run of records stored back to back.
type segment struct {
	data []byte
	ends []int // one per record, in order: the offset just past it
}

var _ xexporterhelper.Request = (*Batch)(nil)

// ItemsCount is the number of records: what the `items` sizer and the exporters' sent and failed
// metrics count.
func (b *Batch) ItemsCount() int { return b.count }

// BytesSize is the formatted size, what the `bytes` sizer limits.
func (b *Batch) BytesSize() int { return b.size }

// newBatch returns a batch of one segment with room for n records of about size bytes.
func newBatch(n, size int) *Batch {
	return &Batch{segs: []segment{{data: make([]byte, 0, n*size), ends: make([]int, 0, n)}}}
}

// tail is the segment the Converter appends to.
func (b *Batch) tail() *segment {
	if len(b.segs) == 0 {
		b.segs = append(b.segs, segment{})
	}
	return &b.segs[len(b.segs)-1]
}

// commit records the record just written at the end of the tail segment's data.
func (b *Batch) commit(n int) {
	seg := &b.segs[len(b.segs)-1]
	seg.ends = append(seg.ends, len(seg.data))
	b.count++
	b.size += n
}

// All yields every record in order. The bytes must not be changed.
func (b *Batch) All(yield func(rec []byte) bool) {
	for _, seg := range b.segs {
		start := 0
		for _, end := range seg.ends {
			if !yield(seg.data[start:end]) {
				return
			}
			start = end
		}
	}
}

// Records returns every record in order.
func (b *Batch) Records() [][]byte {
	out := make([][]byte, 0, b.count)
	for rec := range b.All {
		out = append(out, rec)
	}
	return out
}

// Slice returns records [from, to) as a batch of its own, sharing b's bytes.
func (b *Batch) Slice(from, to int) *Batch {
	out := &Batch{}
	first := 0 // index of the segment's first record in b
	for _, seg := range b.segs {
		n := len(seg.ends)
		lo, hi := max(from-first, 0), min(to-first, n)
		first += n
		if lo >= hi {
			continue
		}
		base := 0
		if lo > 0 {
			base = seg.ends[lo-1]
		}
		end := seg.ends[hi-1]
		part := segment{data: seg.data[base:end:end], ends: make([]int, hi-lo)}
		for i := lo; i < hi; i++ {
			part.ends[i-lo] = seg.ends[i] - base
		}
		out.segs = append(out.segs, part)
		out.count += hi - lo
		out.size += end - base
	}
	return out
}

// Pick returns recs[i] for every i of idx, in that order, as a batch of its own (a copy).
func Pick(recs [][]byte, idx []int) *Batch {
	size := 0
	for _, i := range idx {
		size += len(recs[i])
	}
	out := &Batch{segs: []segment{{data: make([]byte, 0, size), ends: make([]int, 0, len(idx))}}}
	for _, i := range idx {
		out.segs[0].data = append(out.segs[0].data, recs[i]...)
		out.commit(len(recs[i]))
	}
	return out
}

// MergeSplit appends r2 (when given) to b, then cuts the result into batches of at most maxSize
// records (items sizer) or bytes (bytes sizer). A single record larger than maxSize bytes travels
// alone in its own batch: a security event is never dropped for its size here (the transport's own
// limit has already been applied when it was formatted).
func (b *Batch) MergeSplit(_ context.Context, maxSize int, szt exporterhelper.RequestSizerType, r2 xexporterhelper.Request) ([]xexporterhelper.Request, error) {
	if szt != exporterhelper.RequestSizerTypeItems && szt != exporterhelper.RequestSizerTypeBytes {
		return nil, fmt.Errorf("unsupported sizer %v", szt)
	}
	if r2 != nil {
		other, ok := r2.(*Batch)
		if !ok {
			return nil, fmt.Errorf("cannot merge a %T into a record batch", r2)
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
			out = append(out, b.Slice(from, min(from+maxSize, b.count)))
		}
		return out, nil
	}
	if b.size <= maxSize {
		return []xexporterhelper.Request{b}, nil
	}
	var out []xexporterhelper.Request
	from, i, bytes := 0, 0, 0
	for rec := range b.All {
		if i > from && bytes+len(rec) > maxSize {
			out = append(out, b.Slice(from, i))
			from, bytes = i, 0
		}
		bytes += len(rec)
		i++
	}
	return append(out, b.Slice(from, b.count)), nil
}

// UnsentError is a failure that left some of a batch's records unsent: Rest holds them.
// exporterhelper's retry sender hands it to OnError and retries (or re-queues) only those, so
// nothing the receiver already took is sent twice.
type UnsentError struct {
	Err  error
	Rest *Batch
}

func (e *UnsentError) Error() string { return e.Err.Error() }
func (e *UnsentError) Unwrap() error { return e.Err }

// OnError narrows the batch to what a failure left unsent.
func (b *Batch) OnError(err error) xexporterhelper.Request {
	var u *UnsentError
	if errors.As(err, &u) && u.Rest != nil {
		return u.Rest
	}
	return b
}
