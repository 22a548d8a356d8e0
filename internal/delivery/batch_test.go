package delivery

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	pdatareq "go.opentelemetry.io/collector/pdata/xpdata/request"
)

// add appends one record.
func (b *Batch) add(rec string) {
	seg := b.tail()
	seg.data = append(seg.data, rec...)
	b.commit(len(rec))
}

func batchOf(recs ...string) *Batch {
	b := &Batch{}
	for _, r := range recs {
		b.add(r)
	}
	return b
}

func strs(r xexporterhelper.Request) []string {
	var out []string
	for _, m := range r.(*Batch).Records() {
		out = append(out, string(m))
	}
	return out
}

func TestBatchMergeSplitItems(t *testing.T) {
	a := batchOf("a0", "a1", "a2")
	got, err := a.MergeSplit(context.Background(), 2, exporterhelper.RequestSizerTypeItems, batchOf("b0", "b1"))
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, []string{"a0", "a1"}, strs(got[0]))
	assert.Equal(t, []string{"a2", "b0"}, strs(got[1]))
	assert.Equal(t, []string{"b1"}, strs(got[2]))
	for _, r := range got {
		assert.Equal(t, len(strings.Join(strs(r), "")), r.BytesSize())
	}

	// No limit: one batch with everything.
	got, err = batchOf("x").MergeSplit(context.Background(), 0, exporterhelper.RequestSizerTypeItems, batchOf("y", "z"))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, []string{"x", "y", "z"}, strs(got[0]))
	assert.Equal(t, 3, got[0].ItemsCount())
	assert.Equal(t, 3, got[0].BytesSize())
}

func TestBatchMergeSplitBytes(t *testing.T) {
	b := batchOf("aaaa", "bb", "cc", "dddddddddd", "e")
	got, err := b.MergeSplit(context.Background(), 6, exporterhelper.RequestSizerTypeBytes, nil)
	require.NoError(t, err)
	var parts [][]string
	for _, r := range got {
		parts = append(parts, strs(r))
		if r.ItemsCount() > 1 {
			assert.LessOrEqual(t, r.BytesSize(), 6)
		}
	}
	assert.Equal(t, [][]string{{"aaaa", "bb"}, {"cc"}, {"dddddddddd"}, {"e"}}, parts,
		"a message larger than the limit travels alone, never dropped")

	_, err = b.MergeSplit(context.Background(), 6, exporterhelper.RequestSizerTypeRequests, nil)
	assert.Error(t, err)

	// Across the segments of merged batches.
	got, err = batchOf("aaa", "bb").MergeSplit(context.Background(), 4, exporterhelper.RequestSizerTypeBytes, batchOf("c", "dd", "eeee"))
	require.NoError(t, err)
	parts = nil
	for _, r := range got {
		parts = append(parts, strs(r))
	}
	assert.Equal(t, [][]string{{"aaa"}, {"bb", "c"}, {"dd"}, {"eeee"}}, parts)
}

// A split batch shares its parent's bytes; growing one part (the batcher merges into the last
// one it keeps) must not overwrite the messages of another.
func TestBatchSplitPartsAreIndependent(t *testing.T) {
	got, err := batchOf("m0", "m1", "m2", "m3").MergeSplit(context.Background(), 2, exporterhelper.RequestSizerTypeItems, nil)
	require.NoError(t, err)
	require.Len(t, got, 2)
	_, err = got[0].MergeSplit(context.Background(), 0, exporterhelper.RequestSizerTypeItems, batchOf("XX", "YY"))
	require.NoError(t, err)
	assert.Equal(t, []string{"m0", "m1", "XX", "YY"}, strs(got[0]))
	assert.Equal(t, []string{"m2", "m3"}, strs(got[1]))
}

func TestBatchOnError(t *testing.T) {
	b := batchOf("a", "b", "c")
	rest := b.Slice(1, 3)
	assert.Same(t, rest, b.OnError(fmt.Errorf("wrapped: %w", &UnsentError{Err: assert.AnError, Rest: rest})))
	assert.Same(t, b, b.OnError(assert.AnError), "an error without an unsent tail retries the whole batch")
}

func TestQueueEncodingRoundTrip(t *testing.T) {
	enc := queueEncoding{}
	merged := batchOf("s1", "s2")
	_, err := merged.MergeSplit(context.Background(), 0, exporterhelper.RequestSizerTypeItems, batchOf("s3"))
	require.NoError(t, err)
	for _, b := range []*Batch{merged, batchOf(), batchOf("only"), batchOf("a", "bb", "", "ccc\nwith newline", string(make([]byte, 70000)))} {
		buf, err := enc.Marshal(context.Background(), b)
		require.NoError(t, err)
		_, r, err := enc.Unmarshal(buf)
		require.NoError(t, err)
		got := r.(*Batch)
		assert.Equal(t, b.Records(), got.Records())
		assert.Equal(t, b.ItemsCount(), got.ItemsCount())
		assert.Equal(t, b.BytesSize(), got.BytesSize())
		// The decoded batch owns its bytes: the queue may reuse its buffer.
		for i := range buf {
			buf[i] = 'Z'
		}
		assert.Equal(t, b.Records(), got.Records())
	}
}

func TestQueueEncodingRejectsDamagedItems(t *testing.T) {
	enc := queueEncoding{}
	good, err := enc.Marshal(context.Background(), batchOf("hello", "world"))
	require.NoError(t, err)
	for name, buf := range map[string][]byte{
		"cut in the data":    good[:len(good)-1],
		"extra data":         append(append([]byte(nil), good...), 'x'),
		"cut in the lengths": good[:len(queueMagic)+2],
		"no count":           []byte(queueMagic),
		"huge count":         append([]byte(queueMagic), 0xff, 0xff, 0xff, 0xff, 0x0f),
	} {
		_, _, err := enc.Unmarshal(buf)
		assert.Error(t, err, name)
	}
}

// A batch cef_syslog queued before the exporters shared this encoding (its own magic, the low bit
// of each length a truncated flag) reads back as the same records.
func TestQueueEncodingReadsCEFSyslogFrames(t *testing.T) {
	buf := []byte(legacyMagic)
	buf = append(buf, 2, 5<<1, 3<<1|1)
	buf = append(buf, "hello"...)
	buf = append(buf, "cut"...)
	_, r, err := queueEncoding{}.Unmarshal(buf)
	require.NoError(t, err)
	assert.Equal(t, []string{"hello", "cut"}, strs(r))
}

// Records an older otelcol-siem queued as OTLP logs (exporterhelper's stock encoding, with or
// without the request envelope) are formatted on the way out, not lost.
func TestQueueEncodingReadsOTLPQueueItems(t *testing.T) {
	c := testConverter(nil)
	enc := queueEncoding{convert: c}
	ld := testLogs("r0", "r1", "r2")
	want := c.Convert(context.Background(), ld)

	enveloped, err := pdatareq.MarshalLogs(context.Background(), ld)
	require.NoError(t, err)
	bare, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	for name, buf := range map[string][]byte{"request envelope": enveloped, "bare OTLP": bare} {
		_, r, err := enc.Unmarshal(buf)
		require.NoError(t, err, name)
		assert.Equal(t, strs(want), strs(r), name)
		assert.Equal(t, []string{"<r0>", "<r1>", "<r2>"}, strs(r), name)
	}
	_, _, err = enc.Unmarshal([]byte("not a queue item"))
	assert.Error(t, err)
}

func FuzzQueueEncoding(f *testing.F) {
	enc := queueEncoding{convert: testConverter(nil)}
	good, _ := enc.Marshal(context.Background(), batchOf("a", "b"))
	f.Add(good)
	f.Add([]byte(queueMagic))
	f.Fuzz(func(t *testing.T, buf []byte) {
		_, r, err := enc.Unmarshal(buf)
		if err != nil {
			return
		}
		// Whatever decodes must encode back to a batch with the same messages.
		again, err := enc.Marshal(context.Background(), r)
		require.NoError(t, err)
		_, r2, err := enc.Unmarshal(again)
		require.NoError(t, err)
		assert.Equal(t, strs(r), strs(r2))
	})
}
