package secformat

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

func TestSyslogSeverityTable(t *testing.T) {
	want := map[plog.SeverityNumber]int{0: 5, 1: 7, 4: 7, 5: 7, 8: 7, 9: 6, 12: 6, 13: 4, 16: 4, 17: 3, 20: 3, 21: 2, 24: 2, 25: 5}
	for n, w := range want {
		assert.Equal(t, w, SyslogSeverity(n), "SeverityNumber %d", n)
	}
	s := mustSyslog(t, DefaultSyslogConfig()) // local0 = 16
	for n, w := range want {
		r, lr := record(t, nil, nil)
		lr.SetSeverityNumber(n)
		p, err := parse5424(string(s.Append(nil, r, lr, nil)))
		require.NoError(t, err)
		assert.Equal(t, 16*8+w, p.PRI, "SeverityNumber %d", n)
	}
	for sev, w := range map[string]int{"low": 5, "medium": 4, "high": 3, "critical": 2} {
		_, lr := record(t, []kv{{secevent.KeyCategory, "alert"}, {secevent.KeyAlertSeverity, sev}}, nil)
		lr.SetSeverityNumber(plog.SeverityNumberTrace)
		assert.Equal(t, 16*8+w, s.Priority(lr), sev)
	}
	for name, fac := range map[string]int{"kern": 0, "auth": 4, "authpriv": 10, "local7": 23, "13": 13} {
		cfg := DefaultSyslogConfig()
		cfg.Facility = name
		_, lr := record(t, nil, nil)
		lr.SetSeverityNumber(plog.SeverityNumberError)
		assert.Equal(t, fac*8+3, mustSyslog(t, cfg).Priority(lr), name)
	}
}

func TestSyslog5424Header(t *testing.T) {
	cfg := DefaultSyslogConfig()
	cfg.StructuredData = true
	s := mustSyslog(t, cfg)
	res, lr := seedEvents()[1].build(1)
	out := s.Append(nil, res, lr, []byte("CEF:0|x"))
	assert.Equal(t, `<132>1 2026-11-26T10:15:03.123456Z edge-01 otelcol-siem 4242 authentication [otsec@32473 id="6f1c0000-0000-4000-8000-000000000001" cat="authentication" act="login" outcome="failure"] CEF:0|x`, string(out))
	assert.False(t, strings.HasPrefix(string(out[strings.Index(string(out), "CEF"):]), "\uFEFF"))

	p, err := parse5424(string(out))
	require.NoError(t, err)
	assert.Equal(t, "otsec@32473", p.SDID)
	assert.Equal(t, "CEF:0|x", p.Msg)

	// Timestamp: at most 6 fractional digits, UTC; falls back to ObservedTimestamp; "-" without one.
	lr.SetTimestamp(0)
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 1, 2, 3, 4, 5, 999999999, time.FixedZone("x", 3600))))
	p, err = parse5424(string(s.Append(nil, res, lr, nil)))
	require.NoError(t, err)
	assert.Equal(t, "2026-01-02T02:04:05.999999Z", p.Timestamp)
	assert.False(t, p.HasMsg)
	lr.SetObservedTimestamp(0)
	p, err = parse5424(string(s.Append(nil, res, lr, nil)))
	require.NoError(t, err)
	assert.Equal(t, "-", p.Timestamp)
}

func TestSyslogHeaderFieldsSanitized(t *testing.T) {
	cfg := DefaultSyslogConfig()
	cfg.StructuredData = true
	s := mustSyslog(t, cfg)
	longHost := strings.Repeat("h", 300)
	r, lr := record(t,
		[]kv{{secevent.KeyCategory, "cat egory\n\x00ü" + strings.Repeat("c", 40)}, {secevent.KeyEventID, `a"b\c]d` + "\n\x00\xff"}, {secevent.KeyAction, strings.Repeat("é", 200)}},
		[]kv{{secevent.KeyHostName, "edge 01\r\n" + longHost}, {ResourceProcessPID, "12 34" + strings.Repeat("9", 200)}})
	out := s.Append(nil, r, lr, []byte("line1\nline2\rend"))
	p, err := parse5424(string(out))
	require.NoError(t, err, "%q", out)
	assert.Equal(t, expectSyslogField("edge 01\r\n"+longHost, 255), p.Host)
	assert.Len(t, p.Host, 255)
	assert.Equal(t, expectSyslogField("12 34"+strings.Repeat("9", 200), 128), p.ProcID)
	assert.Equal(t, expectSyslogField("cat egory\n\x00ü"+strings.Repeat("c", 40), 32), p.MsgID)
	assert.Len(t, p.MsgID, 32)
	assert.Equal(t, expectText(`a"b\c]d`+"\n\x00\xff", modeSD, 255), p.SD["id"])
	assert.Equal(t, expectText(strings.Repeat("é", 200), modeSD, 255), p.SD["act"])
	assert.Equal(t, "line1 line2 end", p.Msg, "CR/LF in MSG can never start a new record")

	// Configured HOSTNAME wins; without host.name, the collector's own host name.
	cfg.Hostname = "collector-1"
	p, err = parse5424(string(mustSyslog(t, cfg).Append(nil, r, lr, nil)))
	require.NoError(t, err)
	assert.Equal(t, "collector-1", p.Host)
	cfg.Hostname = ""
	r2, lr2 := record(t, nil, nil)
	p, err = parse5424(string(mustSyslog(t, cfg).Append(nil, r2, lr2, nil)))
	require.NoError(t, err)
	h, _ := os.Hostname()
	assert.Equal(t, expectSyslogField(h, 255), p.Host)
	assert.Equal(t, "-", p.ProcID)
	assert.Equal(t, "-", p.MsgID)
	assert.Equal(t, map[string]string{}, p.SD, "an SD element without params when the record has none")
}

func TestSyslog3164(t *testing.T) {
	cfg := DefaultSyslogConfig()
	cfg.Protocol = ProtocolRFC3164
	cfg.Facility = "auth"
	s := mustSyslog(t, cfg)
	r, lr := record(t, nil, []kv{{secevent.KeyHostName, "edge-01"}})
	lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 11, 6, 9, 5, 3, 0, time.UTC)))
	lr.SetSeverityNumber(plog.SeverityNumberWarn)
	out := string(s.Append(nil, r, lr, []byte("CEF:0|a")))
	assert.Equal(t, "<36>Nov  6 09:05:03 edge-01 otelcolsiem: CEF:0|a", out)
	re := regexp.MustCompile(`^<([0-9]{1,3})>([A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}) ([!-~]+) ([A-Za-z0-9]{1,32}): (.*)$`)
	require.Regexp(t, re, out)

	lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 11, 26, 9, 5, 3, 0, time.UTC)))
	assert.Contains(t, string(s.Append(nil, r, lr, nil)), ">Nov 26 09:05:03 ")

	cfg.AppName = "a-very_long.app/name-with-more-than-32-alnum"
	out = string(mustSyslog(t, cfg).Append(nil, r, lr, []byte("m")))
	m := re.FindStringSubmatch(out)
	require.NotNil(t, m, out)
	assert.Equal(t, "averylongappnamewithmorethan32al", m[4])
}

func TestSyslogConfigValidate(t *testing.T) {
	def := DefaultSyslogConfig()
	require.NoError(t, def.Validate())
	assert.Equal(t, "rfc5424", def.Protocol)
	assert.Equal(t, "local0", def.Facility)
	assert.Equal(t, "otelcol-siem", def.AppName)
	for _, c := range []struct {
		mut  func(*SyslogConfig)
		want string
	}{
		{func(c *SyslogConfig) { c.Protocol = "rfc5425" }, `protocol "rfc5425"`},
		{func(c *SyslogConfig) { c.Facility = "local8" }, `facility "local8"`},
		{func(c *SyslogConfig) { c.Facility = "24" }, `facility "24"`},
		{func(c *SyslogConfig) { c.Facility = "016" }, `facility "016"`},
		{func(c *SyslogConfig) { c.AppName = "" }, "app_name"},
		{func(c *SyslogConfig) { c.AppName = "has space" }, "app_name"},
		{func(c *SyslogConfig) { c.AppName = strings.Repeat("a", 49) }, "app_name"},
		{func(c *SyslogConfig) { c.Protocol, c.AppName = ProtocolRFC3164, "---" }, "RFC 3164 TAG"},
		{func(c *SyslogConfig) { c.Hostname = "a b" }, "hostname"},
		{func(c *SyslogConfig) { c.StructuredData, c.StructuredDataID = true, "otsec" }, "structured_data_id"},
		{func(c *SyslogConfig) { c.StructuredData, c.StructuredDataID = true, `ot"sec@1` }, "structured_data_id"},
		{func(c *SyslogConfig) { c.StructuredData, c.Protocol = true, ProtocolRFC3164 }, "structured_data needs protocol rfc5424"},
	} {
		cfg := DefaultSyslogConfig()
		c.mut(&cfg)
		err := cfg.Validate()
		if assert.Error(t, err, c.want) {
			assert.Contains(t, err.Error(), c.want)
		}
		_, err = NewSyslog(cfg)
		assert.Error(t, err)
	}
}

// fixedMessage is a MessageFormatter writing a fixed MSG.
type fixedMessage string

func (m fixedMessage) Append(dst []byte, _ pcommon.Resource, _ plog.LogRecord) []byte {
	return append(dst, m...)
}

// AppendRecord writes what Append writes with the formatter's output as MSG, for every seed event
// in both RFCs, for a MSG holding CR and LF, and writes nothing for an empty MSG.
func TestSyslogAppendRecordEqualsAppend(t *testing.T) {
	f, err := NewCEF(DefaultCEFConfig())
	require.NoError(t, err)
	rfc3164 := DefaultSyslogConfig()
	rfc3164.Protocol = "rfc3164"
	sd := DefaultSyslogConfig()
	sd.StructuredData = true
	for _, cfg := range []SyslogConfig{DefaultSyslogConfig(), rfc3164, sd} {
		s := mustSyslog(t, cfg)
		for i, ev := range seedEvents() {
			res, lr := ev.build(i)
			for _, msg := range []MessageFormatter{f, NewJSON(), fixedMessage("a\nb\r\nc"), fixedMessage("x")} {
				want := s.Append([]byte("prefix"), res, lr, msg.Append(nil, res, lr))
				got, ok := s.AppendRecord([]byte("prefix"), res, lr, msg)
				require.True(t, ok)
				assert.Equal(t, string(want), string(got), "%s event %d", cfg.Protocol, i)
			}
			got, ok := s.AppendRecord([]byte("prefix"), res, lr, fixedMessage(""))
			assert.False(t, ok)
			assert.Equal(t, "prefix", string(got))
		}
	}
}
