package secformat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// decodeJSONObject decodes exactly one JSON object, failing on trailing data, duplicate keys, raw
// CR/LF, or a non-object; it returns the keys in order and the values.
func decodeJSONObject(t testing.TB, b []byte) ([]string, map[string]any) {
	t.Helper()
	require.False(t, bytes.ContainsAny(b, "\r\n"), "raw CR/LF in %q", b)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	var keys []string
	vals := map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		require.NoError(t, err)
		k := tok.(string)
		require.NotContains(t, vals, k, "duplicate key %q", k)
		var v any
		require.NoError(t, dec.Decode(&v))
		keys = append(keys, k)
		vals[k] = v
	}
	tok, err = dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('}'), tok)
	_, err = dec.Token()
	require.Error(t, err, "trailing data after the object")
	return keys, vals
}

func TestJSONSeedExample(t *testing.T) {
	res, lr := seedEvents()[1].build(1)
	keys, vals := decodeJSONObject(t, NewJSON().Append(nil, res, lr))
	assert.Equal(t, []string{"@timestamp", "severity_number", "severity_text", "event.name", "message",
		"event.category", "event.action", "event.outcome", "event.reason", "event.id", "user.name", "source.address",
		"service.name", "service.version", "host.name", "deployment.environment.name", "otsec.site.name", "process.pid"}, keys)
	assert.Equal(t, "2026-11-26T10:15:03.123456789Z", vals["@timestamp"])
	assert.Equal(t, json.Number("13"), vals["severity_number"])
	assert.Equal(t, "WARN", vals["severity_text"])
	assert.Equal(t, "security.authentication.login", vals["event.name"])
	assert.Equal(t, json.Number("4242"), vals["process.pid"])
}

// TestJSONFieldNamesFromSchema: every schema field is written under its "JSON / HEC field" name.
func TestJSONFieldNamesFromSchema(t *testing.T) {
	f := NewJSON()
	for _, fld := range secevent.Fields {
		if fld.Place == secevent.PlaceRecord {
			continue
		}
		var attrs, res []kv
		if fld.Place == secevent.PlaceResource {
			res = []kv{{fld.Key, "x"}}
		} else {
			attrs = []kv{{fld.Key, "x"}}
		}
		r, lr := record(t, attrs, res)
		keys, vals := decodeJSONObject(t, f.Append(nil, r, lr))
		assert.Equal(t, []string{"@timestamp", fld.JSON}, keys)
		assert.Equal(t, "x", vals[fld.JSON])
	}
}

func TestJSONEscapingAndTypes(t *testing.T) {
	f := NewJSON()
	r, lr := record(t, []kv{
		{"s", "q\" b\\ nl\n cr\r tab\t nul\x00 del\x7f nel\u0085 ls\u2028 bad\xff ok€"},
		{"i", int64(-7)}, {"d", 2.5}, {"nan", math.NaN()}, {"inf", math.Inf(-1)}, {"b", true},
		{"bytes", []byte("hi")}, {"list", []any{"a", int64(1), nil}}, {"map", map[string]any{"k\n": "v"}},
		{"\"weird key\n", "v"},
	}, nil)
	out := f.Append(nil, r, lr)
	assert.NotContains(t, string(out), "\u2028")
	assert.NotContains(t, string(out), "\u0085")
	_, vals := decodeJSONObject(t, out)
	assert.Equal(t, "q\" b\\ nl\n cr\r tab\t nul\x00 del\x7f nel\u0085 ls\u2028 bad\uFFFD ok€", vals["s"])
	assert.Equal(t, json.Number("-7"), vals["i"])
	assert.Equal(t, json.Number("2.5"), vals["d"])
	assert.Equal(t, "NaN", vals["nan"])
	assert.Equal(t, "-Inf", vals["inf"])
	assert.Equal(t, true, vals["b"])
	assert.Equal(t, "aGk=", vals["bytes"])
	assert.Equal(t, []any{"a", json.Number("1"), nil}, vals["list"])
	assert.Equal(t, map[string]any{"k\n": "v"}, vals["map"])
	assert.Equal(t, "v", vals["\"weird key\n"])
}

func TestJSONTimestamp(t *testing.T) {
	f := NewJSON()
	r, lr := record(t, nil, nil)
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(testTime.Add(time.Hour)))
	_, vals := decodeJSONObject(t, f.Append(nil, r, lr))
	assert.Equal(t, "2026-11-26T10:15:02.123456789Z", vals["@timestamp"])
	lr.SetTimestamp(0)
	_, vals = decodeJSONObject(t, f.Append(nil, r, lr))
	assert.Equal(t, "2026-11-26T11:15:02.123456789Z", vals["@timestamp"], "ObservedTimestamp when Timestamp is unset")
	ts, err := time.Parse(time.RFC3339Nano, vals["@timestamp"].(string))
	require.NoError(t, err)
	assert.Equal(t, testTime.Add(time.Hour), ts)
	lr.SetObservedTimestamp(0)
	_, vals = decodeJSONObject(t, f.Append(nil, r, lr))
	assert.NotContains(t, vals, "@timestamp")
}

func TestJSONNameCollisions(t *testing.T) {
	f := NewJSON()
	r, lr := record(t,
		[]kv{{"message", "attr msg"}, {"dup", "attr"}, {secevent.KeyUserName, "alice"}, {"@timestamp", "forged"}},
		[]kv{{"dup", "res"}, {secevent.KeyUserName, "res-user"}, {"resource.dup", "literal"}})
	lr.Body().SetStr("body")
	lr.Attributes().PutStr("resource.dup", "attr literal")
	keys, vals := decodeJSONObject(t, f.Append(nil, r, lr))
	assert.Equal(t, "body", vals["message"])
	assert.Equal(t, "attr msg", vals["attributes.message"])
	assert.Equal(t, "forged", vals["attributes.@timestamp"])
	assert.Equal(t, "alice", vals["user.name"])
	assert.Equal(t, "res-user", vals["resource.user.name"])
	assert.Equal(t, "attr", vals["dup"])
	assert.Equal(t, "attr literal", vals["resource.dup"])
	assert.Equal(t, "res", vals["resource.dup#2"])
	assert.Equal(t, "literal", vals["resource.resource.dup"])
	assert.Len(t, keys, len(vals))
}

func TestJSONLargeAndEmpty(t *testing.T) {
	f := NewJSON()
	body := strings.Repeat("x\n\r\x00\"\\", 1<<20/6)
	r, lr := record(t, []kv{{"empty", ""}, {secevent.KeyUserName, ""}}, nil)
	lr.Body().SetStr(body)
	keys, vals := decodeJSONObject(t, f.Append(nil, r, lr))
	assert.Equal(t, body, vals["message"], "JSON carries the whole body, escaped")
	assert.Equal(t, []string{"@timestamp", "message"}, keys, "empty fields are left out")

	// Many attributes (a hostile producer): still one object, no duplicate names.
	r, lr = record(t, nil, nil)
	for i := 0; i < 300; i++ {
		lr.Attributes().PutStr(fmt.Sprintf("k%d", i%150), "v")
		r.Attributes().PutStr(fmt.Sprintf("k%d", i%100), "r")
	}
	keys, _ = decodeJSONObject(t, f.Append(nil, r, lr))
	assert.Len(t, keys, 1+150+100, "PutStr replaced repeated keys: 150 attributes, 100 resource attributes")
}

func TestJSONTraceAndSeverity(t *testing.T) {
	f := NewJSON()
	r, lr := record(t, nil, nil)
	lr.SetTraceID(pcommon.TraceID{0xab, 1})
	lr.SetSpanID(pcommon.SpanID{0xcd, 2})
	lr.SetSeverityNumber(plog.SeverityNumberFatal)
	lr.SetSeverityText("FATAL")
	keys, vals := decodeJSONObject(t, f.Append(nil, r, lr))
	assert.Equal(t, []string{"@timestamp", "severity_number", "severity_text", "trace_id", "span_id"}, keys)
	assert.Equal(t, "ab010000000000000000000000000000", vals["trace_id"])
	assert.Equal(t, "cd02000000000000", vals["span_id"])
}
