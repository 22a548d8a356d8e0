package secformat

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// MsgStart finds MSG in every header this package writes, also when the structured data quotes
// "CEF:", "] " or escaped quotes; WithSequenceID adds [meta sequenceId] before the other elements
// or in place of "-".
func TestMsgStartAndSequenceID(t *testing.T) {
	cef, err := NewCEF(DefaultCEFConfig())
	require.NoError(t, err)
	lr := plog.NewLogRecord()
	lr.SetTimestamp(1795688102123456789)
	lr.Body().SetStr("login failed")
	lr.Attributes().PutStr(secevent.KeyCategory, "authentication")
	lr.Attributes().PutStr(secevent.KeyAction, `x] "CEF:0|forged|" \ y`)
	for _, tc := range []struct {
		name     string
		protocol string
		host     string // the record's host.name ("" : none)
		sd       bool
		seqHead  string // the header up to MSG after WithSequenceID(…, 7), without timestamp and host
	}{
		{"rfc5424", ProtocolRFC5424, "", false, `otelcol-siem - authentication [meta sequenceId="7"] `},
		{"rfc5424 with sd", ProtocolRFC5424, "", true, `otelcol-siem - authentication [otsec@32473 cat="authentication" act="x\] \"CEF:0|forged|\" \\ y"][meta sequenceId="7"] `},
		{"rfc3164", ProtocolRFC3164, "", false, ""},
		{"rfc3164 host ending in a colon", ProtocolRFC3164, "gw:", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := pcommon.NewResource()
			if tc.host != "" {
				res.Attributes().PutStr(secevent.KeyHostName, tc.host)
			}
			cfg := DefaultSyslogConfig()
			cfg.Protocol, cfg.StructuredData = tc.protocol, tc.sd
			s, err := NewSyslog(cfg)
			require.NoError(t, err)
			rec, ok := s.AppendRecord(nil, res, lr, cef)
			require.True(t, ok)
			msg := s.MsgStart(rec)
			require.Less(t, msg, len(rec))
			assert.Equal(t, string(cef.Append(nil, res, lr)), string(rec[msg:]), "MSG is the CEF line: %s", rec)

			out, grown := s.WithSequenceID(rec, 7)
			if tc.protocol == ProtocolRFC3164 {
				assert.Equal(t, string(rec), string(out))
				assert.Zero(t, grown)
				return
			}
			assert.Equal(t, string(rec[msg:]), string(out[s.MsgStart(out):]), "MSG unchanged")
			assert.Equal(t, len(rec)+grown, len(out))
			assert.Contains(t, string(out), tc.seqHead)
		})
	}
}
