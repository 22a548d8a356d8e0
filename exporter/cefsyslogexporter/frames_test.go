package cefsyslogexporter

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

// add appends one message.
func (b *frameBatch) add(msg []byte, truncated bool) {
	seg := b.tail()
	seg.data = append(seg.data, msg...)
	b.commit(len(msg), truncated)
}

func batchOf(msgs ...string) *frameBatch {
	b := &frameBatch{}
	for _, m := range msgs {
		b.add([]byte(m), len(m) > 0 && m[0] == '!')
	}
	return b
}

func flags(r xexporterhelper.Request) []bool {
	var out []bool
	for _, t := range r.(*frameBatch).all {
		out = append(out, t)
	}
	return out
}

func strs(r xexporterhelper.Request) []string {
	var out []string
	for _, m := range messagesOf(r.(*frameBatch)) {
		out = append(out, string(m))
	}
	return out
}

func TestFrameBatchMergeSplitItems(t *testing.T) {
	a := batchOf("a0", "!a1", "a2")
	got, err := a.MergeSplit(context.Background(), 2, exporterhelper.RequestSizerTypeItems, batchOf("b0", "!b1"))
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, []string{"a0", "!a1"}, strs(got[0]))
	assert.Equal(t, []string{"a2", "b0"}, strs(got[1]))
	assert.Equal(t, []string{"!b1"}, strs(got[2]))
	assert.Equal(t, []bool{false, true}, flags(got[0]))
	assert.Equal(t, []bool{false, false}, flags(got[1]))
	assert.Equal(t, []bool{true}, flags(got[2]), "the truncated flag survives merge and split")
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

func TestFrameBatchMergeSplitBytes(t *testing.T) {
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
func TestFrameBatchSplitPartsAreIndependent(t *testing.T) {
	got, err := batchOf("m0", "m1", "m2", "m3").MergeSplit(context.Background(), 2, exporterhelper.RequestSizerTypeItems, nil)
	require.NoError(t, err)
	require.Len(t, got, 2)
	_, err = got[0].MergeSplit(context.Background(), 0, exporterhelper.RequestSizerTypeItems, batchOf("XX", "YY"))
	require.NoError(t, err)
	assert.Equal(t, []string{"m0", "m1", "XX", "YY"}, strs(got[0]))
	assert.Equal(t, []string{"m2", "m3"}, strs(got[1]))
}

func TestFrameBatchOnError(t *testing.T) {
	b := batchOf("a", "b", "c")
	rest := b.slice(1, 3)
	assert.Same(t, rest, b.OnError(fmt.Errorf("wrapped: %w", &unsentError{err: assert.AnError, rest: rest})))
	assert.Same(t, b, b.OnError(assert.AnError), "an error without an unsent tail retries the whole batch")
}

func TestFrameEncodingRoundTrip(t *testing.T) {
	enc := frameEncoding{}
	merged := batchOf("s1", "!s2")
	_, err := merged.MergeSplit(context.Background(), 0, exporterhelper.RequestSizerTypeItems, batchOf("s3"))
	require.NoError(t, err)
	for _, b := range []*frameBatch{merged, batchOf(), batchOf("only"), batchOf("a", "!bb", "", "ccc\nwith newline", string(make([]byte, 70000)))} {
		buf, err := enc.Marshal(context.Background(), b)
		require.NoError(t, err)
		_, r, err := enc.Unmarshal(buf)
		require.NoError(t, err)
		got := r.(*frameBatch)
		assert.Equal(t, messagesOf(b), messagesOf(got))
		assert.Equal(t, flags(b), flags(got))
		assert.Equal(t, b.ItemsCount(), got.ItemsCount())
		assert.Equal(t, b.BytesSize(), got.BytesSize())
		// The decoded batch owns its bytes: the queue may reuse its buffer.
		for i := range buf {
			buf[i] = 'Z'
		}
		assert.Equal(t, messagesOf(b), messagesOf(got))
	}
}

func TestFrameEncodingRejectsDamagedItems(t *testing.T) {
	enc := frameEncoding{}
	good, err := enc.Marshal(context.Background(), batchOf("hello", "world"))
	require.NoError(t, err)
	for name, buf := range map[string][]byte{
		"cut in the data":    good[:len(good)-1],
		"extra data":         append(append([]byte(nil), good...), 'x'),
		"cut in the lengths": good[:len(frameQueueMagic)+2],
		"no count":           []byte(frameQueueMagic),
		"huge count":         append([]byte(frameQueueMagic), 0xff, 0xff, 0xff, 0xff, 0x0f),
	} {
		_, _, err := enc.Unmarshal(buf)
		assert.Error(t, err, name)
	}
}

// Records an older otelcol-siem queued as OTLP logs (exporterhelper's stock encoding, with or
// without the request envelope) are formatted on the way out, not lost.
func TestFrameEncodingReadsLegacyQueueItems(t *testing.T) {
	env := newTestEnv(t)
	e := newStartedExporter(t, env, testConfig(TransportTCP, "127.0.0.1:1"))
	enc := frameEncoding{formatLogs: e.formatLogs}
	ld := makeLogs(0, 5, 0)
	want, err := e.formatLogs(context.Background(), ld)
	require.NoError(t, err)

	enveloped, err := pdatareq.MarshalLogs(context.Background(), ld)
	require.NoError(t, err)
	bare, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	for name, buf := range map[string][]byte{"request envelope": enveloped, "bare OTLP": bare} {
		_, r, err := enc.Unmarshal(buf)
		require.NoError(t, err, name)
		assert.Equal(t, strs(want), strs(r), name)
	}
	_, _, err = enc.Unmarshal([]byte("not a queue item"))
	assert.Error(t, err)
}

func FuzzFrameEncoding(f *testing.F) {
	enc := frameEncoding{formatLogs: func(context.Context, plog.Logs) (xexporterhelper.Request, error) {
		return &frameBatch{}, nil
	}}
	good, _ := enc.Marshal(context.Background(), batchOf("a", "!b"))
	f.Add(good)
	f.Add([]byte(frameQueueMagic))
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
