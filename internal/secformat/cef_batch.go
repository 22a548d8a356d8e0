package secformat

import (
	"math"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// RecordBatch formats the records of one request one after the other, as Syslog.AppendRecord (or,
// without a syslog header, the message formatter's Append) would, byte for byte. It keeps what the
// records of a resource share between them: the resource's rendering is looked up once per
// resource instead of once per record, and the CEF formatter's per-record state is reused rather
// than cleared.
//
// A RecordBatch is not safe for concurrent use: each goroutine formats with its own (an exporter
// keeps them in a sync.Pool). Release drops its references to the last request's data.
type RecordBatch struct {
	syslog *Syslog // nil: bare messages, without a syslog header
	msg    MessageFormatter
	cef    *CEF // msg, when it is the CEF formatter

	res      pcommon.Resource
	resAttrs pcommon.Map
	rr       *resRender
	ev       cefEvent
	memo     recordMemo
}

// NewRecordBatch returns a RecordBatch writing msg's messages, each behind the RFC 5424 header of
// syslog unless syslog is nil.
func NewRecordBatch(syslog *Syslog, msg MessageFormatter) *RecordBatch {
	b := &RecordBatch{syslog: syslog, msg: msg}
	b.cef, _ = msg.(*CEF)
	b.ev.memo = &b.memo
	return b
}

// SetResource makes res the resource of the records appended next; records is how many of them
// follow (it decides whether rendering the resource once pays off).
func (b *RecordBatch) SetResource(res pcommon.Resource, records int) {
	b.res = res
	if b.cef != nil {
		b.resAttrs = res.Attributes()
		b.rr = b.cef.resourceRenderFor(res, records)
	}
}

// Append appends lr's message to dst. It reports false, with dst unchanged, when the message
// formatter yields nothing (a custom formatter; the project's own always yield a message).
func (b *RecordBatch) Append(dst []byte, lr plog.LogRecord) ([]byte, bool) {
	if b.cef != nil {
		start := len(dst)
		dst = b.cef.appendEvent(&b.ev, dst, b.resAttrs, b.rr, lr, b.syslog)
		return dst, len(dst) > start
	}
	if b.syslog != nil {
		return b.syslog.AppendRecord(dst, b.res, lr, b.msg)
	}
	start := len(dst)
	dst = b.msg.Append(dst, b.res, lr)
	return dst, len(dst) > start
}

// Release clears the references the batch holds to the last request's records and resource, so
// that a pooled RecordBatch does not keep that request's memory alive.
func (b *RecordBatch) Release() {
	b.res, b.resAttrs, b.rr = pcommon.Resource{}, pcommon.Map{}, nil
	b.Forget()
}

// Forget drops what the batch kept from the records before, keeping the resource: the next
// records are written as if they were the first. A caller that recovered from a panic inside
// Append calls it, since the panic may have left that state half written.
func (b *RecordBatch) Forget() {
	b.ev = cefEvent{memo: &b.memo}
	b.memo.clear()
}

// recordMemo keeps, for each mapping, the string the last record brought and, once a record repeated
// it, the pair as written. The records of a request mostly repeat their neighbours' category,
// action, outcome and source address: their pairs are then copied, not escaped, checked or
// converted again. Only repeated values are kept, so unique ones (messages, ids) cost a comparison
// and no copy.
type recordMemo struct {
	last   [maxMappings]memoEntry
	buf    []byte // the kept pairs' text
	header headerMemo
}

type memoEntry struct {
	s        string
	rendered bool  // buf[off:end] holds the pair of s
	misses   uint8 // records in a row whose value differed from the one before (see memoGiveUp)
	off, end uint32
}

// memoGiveUp is the number of records in a row with a new value after which a mapping's values
// are no longer compared with the last one, for the next 256-memoGiveUp records.
const memoGiveUp = 8

// Pair texts kept by one memo, in bytes, and the longest value kept: beyond them a value is
// written as if it had not repeated (a long repeated text costs its copy either way).
const (
	maxMemoBytes = 8 << 10
	maxMemoValue = 256
)

// appendPairMemo writes the pair of a string value s (of v) for mapping idx that the memo does not
// hold, not first in the extension, and keeps it when the last record had the same value.
func (f *CEF) appendPairMemo(memo *recordMemo, dst []byte, idx int, m *mapping, v pcommon.Value, s string) []byte {
	start := len(dst)
	dst = f.appendExtPair(dst, 0, m, v, uint8(pcommon.ValueTypeStr))
	e := &memo.last[idx]
	if e.s != s || len(s) > maxMemoValue {
		*e = memoEntry{s: s, misses: e.misses + 1}
		return dst
	}
	e.misses = 0
	pair := dst[start:]
	if len(memo.buf)+len(pair) > maxMemoBytes {
		memo.forgetPairs()
	}
	e.off = uint32(len(memo.buf))
	memo.buf = append(memo.buf, pair...)
	e.end = uint32(len(memo.buf))
	e.rendered = true
	return dst
}

// forgetPairs empties buf; the values stay, so that their next repetition writes them anew.
func (memo *recordMemo) forgetPairs() {
	memo.buf = memo.buf[:0]
	for i := range memo.last {
		memo.last[i].rendered = false
	}
}

// clear drops every value, and the references they hold to a request's strings.
func (memo *recordMemo) clear() {
	memo.forgetPairs()
	memo.last = [maxMappings]memoEntry{}
	memo.header = headerMemo{hostText: memo.header.hostText[:0]}
}

// secondMemo holds the text of the last second written: the records of a busy source, the ones
// whose formatting costs count, mostly share their second with the record before. The zero value
// holds none (second 0 is never kept: its millisecond number has no seconds digits).
type secondMemo struct {
	sec    int64    // Unix seconds, >= 1, or 0 for none
	date   [20]byte // "YYYY-MM-DDThh:mm:ss." of sec, as appendRFC3339UnixNano writes it
	digits [20]byte // sec in decimal, the digits appendMillis writes before the milliseconds'
	n      int      // len of sec's digits
}

func (m *secondMemo) hold(sec int64) {
	var b [32]byte
	copy(m.date[:], appendRFC3339UnixNano(b[:0], sec*1e9, 0))
	m.n = len(strconv.AppendInt(m.digits[:0], sec, 10))
	m.sec = sec
}

// appendRFC3339Micro is appendRFC3339UnixNano(dst, ns, 6).
func (m *secondMemo) appendRFC3339Micro(dst []byte, ns int64) []byte {
	if ns < 1e9 {
		return appendRFC3339UnixNano(dst, ns, 6)
	}
	if sec := ns / 1e9; sec != m.sec {
		m.hold(sec)
	}
	us := uint32(ns % 1e9 / 1e3)
	hi, mid, lo := 2*(us/10000), 2*(us/100%100), 2*(us%100)
	dst = append(dst, m.date[:]...)
	return append(dst, digitPairs[hi], digitPairs[hi+1], digitPairs[mid], digitPairs[mid+1],
		digitPairs[lo], digitPairs[lo+1], 'Z')
}

// appendMillis is appendMillis(dst, ms).
func (m *secondMemo) appendMillis(dst []byte, ms uint64) []byte {
	if ms < 1000 || ms/1000 > math.MaxInt64/1_000_000_000 {
		return appendMillis(dst, ms)
	}
	if sec := int64(ms / 1000); sec != m.sec {
		m.hold(sec)
	}
	r := ms % 1000
	lo := 2 * (r % 100)
	dst = append(dst, m.digits[:m.n]...)
	return append(dst, byte('0'+r/100), digitPairs[lo], digitPairs[lo+1])
}
