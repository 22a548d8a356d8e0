package delivery

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// testLogs is one record per body, split over two resources.
func testLogs(bodies ...string) plog.Logs {
	ld := plog.NewLogs()
	for i, b := range bodies {
		if i%2 == 0 {
			ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
		}
		rl := ld.ResourceLogs().At(ld.ResourceLogs().Len() - 1)
		rl.ScopeLogs().At(0).LogRecords().AppendEmpty().Body().SetStr(b)
	}
	return ld
}

type counts struct{ failed, truncated int }

// testConverter formats a record as <body>: "" fails, "panic" panics, and a body starting with
// "long" is cut to 4 bytes.
func testConverter(n *counts) *Converter {
	if n == nil {
		n = &counts{}
	}
	return &Converter{
		Format: func(dst []byte, _ pcommon.Resource, lr plog.LogRecord) ([]byte, bool, bool) {
			body := lr.Body().Str()
			switch {
			case body == "":
				return dst, false, false
			case body == "panic":
				_ = append(dst, "half"...) // written into the batch's buffer, then the panic
				panic("formatter bug")
			case strings.HasPrefix(body, "long"):
				return append(dst, "<lo>"...), true, true
			}
			return append(append(append(dst, '<'), body...), '>'), false, true
		},
		Logger:    zap.NewNop(),
		Failed:    func(_ context.Context, k int) { n.failed += k },
		Truncated: func(_ context.Context, k int) { n.truncated += k },
	}
}

// A record that cannot be formatted, or whose formatter panics, is dropped and counted; the
// records around it are formatted as if it were not there.
func TestConverterDropsOnlyTheBadRecord(t *testing.T) {
	var n counts
	c := testConverter(&n)
	core, logs := observer.New(zap.WarnLevel)
	c.Logger = zap.New(core)
	b := c.Convert(context.Background(), testLogs("a", "", "b", "panic", "longer", "c"))
	assert.Equal(t, []string{"<a>", "<b>", "<lo>", "<c>"}, strs(b))
	assert.Equal(t, 4, b.ItemsCount())
	assert.Equal(t, len("<a><b><lo><c>"), b.BytesSize())
	assert.Equal(t, counts{failed: 2, truncated: 1}, n)
	assert.Equal(t, 1, logs.FilterMessage("formatter panicked; record dropped").Len())
	require.Equal(t, 1, logs.FilterMessage("dropped log records that could not be formatted").Len())
	assert.NotContains(t, logs.All()[1].ContextMap(), "body", "never the records' contents")
}

func TestConverterEmpty(t *testing.T) {
	b := testConverter(nil).Convert(context.Background(), plog.NewLogs())
	assert.Zero(t, b.ItemsCount())
	assert.Empty(t, b.Records())
}

func TestPick(t *testing.T) {
	recs := batchOf("a", "bb", "ccc", "d").Records()
	p := Pick(recs, []int{2, 0, 3})
	assert.Equal(t, []string{"ccc", "a", "d"}, strs(p))
	assert.Equal(t, 5, p.BytesSize())
	recs[0][0] = 'X'
	assert.Equal(t, []string{"ccc", "a", "d"}, strs(p), "a copy")
}

func TestEventID(t *testing.T) {
	for rec, want := range map[string]string{
		`{"message":"x \"event.id\":\"evil\"","event.id":"6f1c","user.name":"a"}`: "6f1c",
		`{"time":1,"event":"CEF:0|a|b|1|x|y|3|msg=hi externalId=abc-1 suser=u"}`:  "abc-1",
		`<13>1 2026-01-01T00:00:00Z h a - - - CEF:0|a|b|1|x|y|3|externalId=zz`:    "zz",
		`CEF:0|a|b|1|x|y|3|msg=a \= externalId\=no cat=x`:                         "",
		`{"message":"no id"}`: "",
	} {
		assert.Equal(t, want, EventID([]byte(rec)), rec)
	}
}

func TestDefaults(t *testing.T) {
	q := QueueConfig()
	require.True(t, q.HasValue())
	require.NoError(t, q.Get().Validate())
	assert.True(t, q.Get().BlockOnOverflow, "a full queue pushes back, never drops")
	b := q.Get().Batch
	require.True(t, b.HasValue(), "batching is on")
	assert.Equal(t, "bytes", b.Get().Sizer.String())
	assert.Zero(t, RetryConfig().MaxElapsedTime)
	assert.True(t, RetryConfig().Enabled)
}
