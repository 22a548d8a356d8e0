package secformat

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// wireRecord builds one record as a receiver would decode it, keys repeated included (the pdata API
// cannot repeat a key; the wire can): every key is marshaled with its first byte replaced by a byte
// unique to its position, and put back in the protobuf bytes before decoding.
func wireRecord(t *testing.T, attrs, resAttrs []kv) plog.Logs {
	t.Helper()
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	var swaps [][2]string
	put := func(i int, a kv) string {
		ph := string(rune('A'+i)) + a.k[1:]
		swaps = append(swaps, [2]string{ph, a.k})
		return ph
	}
	for i, a := range resAttrs {
		require.NoError(t, rl.Resource().Attributes().PutEmpty(put(i, a)).FromRaw(a.v))
	}
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetTimestamp(1795688102123456789)
	lr.SetSeverityNumber(plog.SeverityNumberWarn)
	lr.Body().SetStr("body")
	for i, a := range attrs {
		require.NoError(t, lr.Attributes().PutEmpty(put(len(resAttrs)+i, a)).FromRaw(a.v))
	}
	buf, err := (&plog.ProtoMarshaler{}).MarshalLogs(logs)
	require.NoError(t, err)
	for _, s := range swaps {
		require.Equal(t, 1, bytes.Count(buf, []byte(s[0])), "placeholder %q", s[0])
		buf = bytes.Replace(buf, []byte(s[0]), []byte(s[1]), 1)
	}
	out, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(buf)
	require.NoError(t, err)
	return out
}

// AppendRecord with the CEF formatter writes the message Append writes around CEF.Append's line,
// whatever the record holds (repeated keys, empty and non-string values, an invalid alert severity
// before a valid one, an id too long for externalId) and whatever the configuration.
func TestSyslogAppendRecordRepeatedKeys(t *testing.T) {
	records := [][]kv{
		{{secevent.KeyCategory, ""}, {secevent.KeyCategory, int64(5)}, {secevent.KeyCategory, "network"},
			{secevent.KeyCategory, "authentication"}, {secevent.KeyAction, "connect"}, {secevent.KeyAction, "login"},
			{secevent.KeyOutcome, "failure"}, {secevent.KeyEventID, "id-1"}, {secevent.KeyEventID, "id-2"},
			{secevent.KeyAlertSeverity, "bogus"}, {secevent.KeyAlertSeverity, "high"}, {secevent.KeyUserName, "u"}},
		{{secevent.KeyCategory, true}, {secevent.KeyEventID, int64(7)}, {secevent.KeyOutcome, []any{"x"}},
			{secevent.KeyAction, ""}, {secevent.KeyAlertSeverity, 2.5}},
		{{secevent.KeyEventID, strings.Repeat("e", 60)}, {secevent.KeyAlertSeverity, "critical"},
			{secevent.KeyCategory, "alert"}, {secevent.KeyAlertRuleID, "r1"}},
		{{secevent.KeyCategory, "cat egory\n"}, {secevent.KeyAction, "a]ct\""}, {secevent.KeyOutcome, "ok"},
			{secevent.KeyEventID, "id\\x"}, {"x.host", "custom"}, {secevent.KeySourcePort, int64(70000)}},
		{},
	}
	resources := [][]kv{
		{},
		{{secevent.KeyHostName, int64(5)}, {secevent.KeyHostName, "h2"}, {ResourceProcessPID, ""}, {ResourceProcessPID, int64(42)}},
		{{secevent.KeyHostName, "edge 01\n"}, {ResourceProcessPID, "12 34"}, {"x.map", map[string]any{"y": int64(1)}}},
		{{ResourceProcessPID, 3.5}, {secevent.KeyHostName, ""}, {secevent.KeyServiceName, "svc"}, {"x.host", "res"}},
		{{secevent.KeyServiceName, "svc"}, {secevent.KeyHostName, "edge-01"}, {ResourceProcessPID, int64(4242)}},
		{{ResourceProcessPID, "p 7"}, {secevent.KeyHostName, "h\tx"}, {secevent.KeyHostName, "second"}},
	}
	custom := DefaultCEFConfig()
	custom.CustomFields = []CustomField{
		{Key: secevent.KeyCategory, Slot: "cs1", Label: "category"},
		{Key: secevent.KeyEventID, Slot: "cs2", Label: "id"},
		{Key: "x.host", Slot: "cs3", Label: "xhost"},
	}
	rfc3164 := DefaultSyslogConfig()
	rfc3164.Protocol = ProtocolRFC3164
	sd := DefaultSyslogConfig()
	sd.StructuredData = true
	named := DefaultSyslogConfig()
	named.Hostname = "fixed"
	for ci, cefCfg := range []CEFConfig{DefaultCEFConfig(), custom} {
		f := mustCEF(t, cefCfg)
		for _, sc := range []SyslogConfig{DefaultSyslogConfig(), rfc3164, sd, named} {
			s := mustSyslog(t, sc)
			for ri, ra := range resources {
				for i, a := range records {
					ld := wireRecord(t, a, ra)
					rl := ld.ResourceLogs().At(0)
					res, lr := rl.Resource(), rl.ScopeLogs().At(0).LogRecords().At(0)
					want := s.Append([]byte("prefix"), res, lr, f.Append(nil, res, lr))
					got, ok := s.AppendRecord([]byte("prefix"), res, lr, f)
					require.True(t, ok)
					require.Equal(t, string(want), string(got), "cef config %d, %s sd=%v, resource %d, record %d",
						ci, sc.Protocol, sc.StructuredData, ri, i)
				}
			}
		}
	}
}
