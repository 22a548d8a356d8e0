package secformat

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/internal/benchload"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// batchLogs builds one request: a resource of each kind in resources, each with the records of
// every kind in records, repeated reps times in a row (so that a batch sees values repeat, change
// and come back).
func batchLogs(t testing.TB, resources, records [][]kv, reps int) plog.Logs {
	t.Helper()
	logs := plog.NewLogs()
	for _, resAttrs := range resources {
		rl := logs.ResourceLogs().AppendEmpty()
		for _, a := range resAttrs {
			require.NoError(t, rl.Resource().Attributes().PutEmpty(a.k).FromRaw(a.v))
		}
		lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
		for i, attrs := range records {
			for r := 0; r < reps; r++ {
				lr := lrs.AppendEmpty()
				lr.SetTimestamp(pcommon.NewTimestampFromTime(testTime.Add(time.Duration(i*reps+r) * time.Millisecond)))
				lr.SetSeverityNumber(plog.SeverityNumberWarn)
				lr.Body().SetStr("event " + strconv.Itoa(r))
				for _, a := range attrs {
					require.NoError(t, lr.Attributes().PutEmpty(a.k).FromRaw(a.v))
				}
			}
		}
	}
	return logs
}

// perRecord is what formatting each record on its own gives: Syslog.AppendRecord, or the message
// formatter's Append when syslog is nil.
func perRecord(syslog *Syslog, msg MessageFormatter, ld plog.Logs) []string {
	var out []string
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		for j := 0; j < rl.ScopeLogs().Len(); j++ {
			lrs := rl.ScopeLogs().At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				if syslog != nil {
					b, _ := syslog.AppendRecord(nil, rl.Resource(), lrs.At(k), msg)
					out = append(out, string(b))
				} else {
					out = append(out, string(msg.Append(nil, rl.Resource(), lrs.At(k))))
				}
			}
		}
	}
	return out
}

// throughBatch formats ld with b, every message appended to one buffer as cef_syslog does.
func throughBatch(b *RecordBatch, ld plog.Logs) []string {
	var buf []byte
	var ends []int
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		b.SetResource(rl.Resource(), rl.ScopeLogs().At(0).LogRecords().Len())
		for j := 0; j < rl.ScopeLogs().Len(); j++ {
			lrs := rl.ScopeLogs().At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				buf, _ = b.Append(buf, lrs.At(k))
				ends = append(ends, len(buf))
			}
		}
	}
	out := make([]string, len(ends))
	start := 0
	for i, end := range ends {
		out[i] = string(buf[start:end])
		start = end
	}
	return out
}

func mapValues[M ~map[string]V, V any](m M) []V {
	var out []V
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// A RecordBatch writes the very bytes formatting each record alone writes: with and without the
// syslog header, for CEF (default, custom slots, a resource part that depends on the record) and
// JSON, across resources of every kind and records whose values repeat and change, twice in a row
// with the same batch (its memo then starts full).
func TestRecordBatchSameOutput(t *testing.T) {
	custom := DefaultCEFConfig()
	custom.CustomFields = []CustomField{{Key: secevent.KeyServiceVersion, Slot: "cs1", Label: "svc=Ver"},
		{Key: "plc.tag", Slot: "cs2", Label: "tag"}, {Key: "r.int", Slot: "cn2", Label: "rInt"}}
	records := mapValues(recordCases())
	for _, e := range seedEvents() {
		var attrs []kv
		attrs = append(attrs, kv{secevent.KeyCategory, string(e.cat)}, kv{secevent.KeyAction, e.act})
		for k, v := range e.attrs {
			attrs = append(attrs, kv{k, v})
		}
		records = append(records, attrs)
	}
	records = append(records,
		[]kv{{secevent.KeySourceAddress, "192.168.17.42"}, {secevent.KeySourcePort, int64(51544)}, {secevent.KeyReason, "a=b\\c"}},
		[]kv{{secevent.KeySourceAddress, "edge-gw-01.plant-a"}, {secevent.KeySourcePort, "51544"}, {secevent.KeyReason, strings.Repeat("r", 600)}},
		[]kv{{secevent.KeyCategory, "alert"}, {secevent.KeyAlertRuleID, "brute_force"}, {secevent.KeyAlertSeverity, "high"}},
	)
	ld := batchLogs(t, mapValues(resourceCases()), records, 3)

	syslog := mustSyslog(t, DefaultSyslogConfig())
	for name, msg := range map[string]MessageFormatter{
		"cef": mustCEF(t, DefaultCEFConfig()), "custom": mustCEF(t, custom), "json": NewJSON(),
	} {
		for _, s := range []*Syslog{syslog, nil} {
			want := perRecord(s, msg, ld)
			b := NewRecordBatch(s, msg)
			for round := 0; round < 2; round++ {
				got := throughBatch(b, ld)
				require.Len(t, got, len(want))
				for i := range want {
					require.Equal(t, want[i], got[i], "%s, header %v, round %d, message %d", name, s != nil, round, i)
				}
			}
			b.Release()
			require.Equal(t, want, throughBatch(b, ld), "%s after Release", name)
		}
	}
}

// The memo keeps at most maxMemoBytes of pairs (one pair over, at most), however many values
// repeat, and writes the right pair after it was emptied.
func TestRecordBatchMemoBounded(t *testing.T) {
	f := defaultCEF(t)
	var records [][]kv
	for i := 0; i < 200; i++ {
		records = append(records, []kv{{secevent.KeyReason, strings.Repeat("x", 200) + strconv.Itoa(i)},
			{secevent.KeyUserName, "user" + strconv.Itoa(i%7)}})
	}
	ld := batchLogs(t, [][]kv{{{secevent.KeyHostName, "edge-01"}}}, records, 2)
	b := NewRecordBatch(nil, f)
	got := throughBatch(b, ld)
	assert.Equal(t, perRecord(nil, f, ld), got)
	assert.LessOrEqual(t, len(b.memo.buf), maxMemoBytes+maxMemoValue+64)
	hits := 0
	for i := range b.memo.last {
		if b.memo.last[i].rendered {
			hits++
		}
	}
	assert.Positive(t, hits, "repeated values are kept")
}

// Release leaves no reference to the request's strings behind.
func TestRecordBatchRelease(t *testing.T) {
	reqs, err := benchload.Received(20, 20, "rel", time.Now())
	require.NoError(t, err)
	b := NewRecordBatch(mustSyslog(t, DefaultSyslogConfig()), defaultCEF(t))
	throughBatch(b, reqs[0])
	b.Release()
	assert.Equal(t, cefEvent{memo: &b.memo}, b.ev)
	assert.Equal(t, [maxMappings]memoEntry{}, b.memo.last)
	assert.Empty(t, b.memo.buf)
	assert.Nil(t, b.rr)
}

// Once warm, a RecordBatch formats a request of the benchmark load without allocating.
func TestRecordBatchAllocations(t *testing.T) {
	reqs, err := benchload.Received(500, 500, "alloc", time.Now())
	require.NoError(t, err)
	b := NewRecordBatch(mustSyslog(t, DefaultSyslogConfig()), defaultCEF(t))
	rl := reqs[0].ResourceLogs().At(0)
	lrs := rl.ScopeLogs().At(0).LogRecords()
	buf := make([]byte, 0, 1<<20)
	format := func() {
		buf = buf[:0]
		b.SetResource(rl.Resource(), lrs.Len())
		for k := 0; k < lrs.Len(); k++ {
			buf, _ = b.Append(buf, lrs.At(k))
		}
	}
	format()
	assert.Zero(t, testing.AllocsPerRun(5, format))
}

// FuzzRecordBatch: whatever three records of one resource hold (the second repeats the first's
// values, the third changes one), a RecordBatch gives the bytes formatting each alone gives.
func FuzzRecordBatch(f *testing.F) {
	f.Add(secevent.KeyReason, "invalid_credentials", secevent.KeySourceAddress, "192.168.17.42", "plc.tag", int64(51544), "other")
	f.Add(secevent.KeySourcePort, "=\\|", secevent.KeyUserName, "\xff\n", secevent.KeyCategory, int64(-1), "")
	f.Add("cs6", strings.Repeat("y", 300), secevent.KeyServerAddress, "::1", secevent.KeyServerPort, int64(70000), "x=y")
	syslog := mustSyslog(f, DefaultSyslogConfig())
	cef := defaultCEF(f)
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2, k3 string, n int64, v3 string) {
		first := []kv{{k1, v1}, {k2, v2}, {k3, n}}
		third := []kv{{k1, v1}, {k2, v3}, {k3, n + 1}}
		ld := batchLogs(t, [][]kv{{{secevent.KeyHostName, "edge-01"}}}, [][]kv{first, third}, 2)
		for _, s := range []*Syslog{syslog, nil} {
			want := perRecord(s, cef, ld)
			if got := throughBatch(NewRecordBatch(s, cef), ld); !assert.Equal(t, want, got) {
				t.FailNow()
			}
		}
	})
}

// secondMemo writes what the functions it stands for write, whatever order the times come in.
func TestSecondMemo(t *testing.T) {
	times := []int64{0, 1, 999_999_999, 1e9, 1e9 + 1, 1_795_728_660_267_040_123, 1_795_728_660_999_999_999,
		1_795_728_661_000_000_000, 1_795_728_660_000_000_001, math.MaxInt64, math.MaxInt64 - 1e9, 951_782_400e9}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 2000; i++ {
		base := times[rng.IntN(len(times))]
		times = append(times, max(0, base+rng.Int64N(3e9)-1e9))
	}
	var m secondMemo
	for _, ns := range times {
		require.Equal(t, string(appendRFC3339UnixNano(nil, ns, 6)), string(m.appendRFC3339Micro(nil, ns)), "ns %d", ns)
		ms := uint64(ns) / 1e6
		require.Equal(t, string(appendMillis(nil, ms)), string(m.appendMillis(nil, ms)), "ms %d", ms)
	}
	for _, ms := range []uint64{0, 999, 1000, 1001, math.MaxUint64, math.MaxInt64 / 1000 * 1000} {
		require.Equal(t, string(appendMillis(nil, ms)), string(m.appendMillis(nil, ms)), "ms %d", ms)
	}
}

// A field whose value changes with every record stops being compared after memoGiveUp records and
// is tried again later: once its value settles, its pair is kept again. The output never differs.
func TestRecordBatchMemoGivesUpAndRetries(t *testing.T) {
	f := defaultCEF(t)
	var records [][]kv
	for i := 0; i < 600; i++ {
		user := "user" + strconv.Itoa(i)
		if i >= 300 {
			user = "settled"
		}
		records = append(records, []kv{{secevent.KeyCategory, "authentication"}, {secevent.KeyUserName, user}})
	}
	ld := batchLogs(t, [][]kv{{{secevent.KeyHostName, "edge-01"}}}, records, 1)
	b := NewRecordBatch(nil, f)
	var buf []byte
	rl := ld.ResourceLogs().At(0)
	lrs := rl.ScopeLogs().At(0).LogRecords()
	b.SetResource(rl.Resource(), lrs.Len())
	userIdx := int(f.attrIdx[secevent.KeyUserName])
	want := perRecord(nil, f, ld)
	gaveUp := false
	for k := 0; k < lrs.Len(); k++ {
		buf, _ = b.Append(buf[:0], lrs.At(k))
		require.Equal(t, want[k], string(buf), "record %d", k)
		if b.memo.last[userIdx].misses >= memoGiveUp {
			gaveUp = true
		}
	}
	assert.True(t, gaveUp, "a user name that changes every record is given up")
	assert.True(t, b.memo.last[userIdx].rendered, "the settled user name is kept again")
}
