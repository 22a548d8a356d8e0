package integrity_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/unified-ot/otelcol-siem/internal/delivery"
	"github.com/unified-ot/otelcol-siem/internal/integrity"
	"github.com/unified-ot/otelcol-siem/internal/secformat"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// BenchmarkConvert is the cost of stamping: one batch of 500 failed logins formatted as RFC 5424
// CEF messages, without and with integrity (the state written ahead to an in-memory storage once
// per batch; queue_storage's own write is measured by the end-to-end benchmark).
func BenchmarkConvert(b *testing.B) {
	cef, err := secformat.NewCEF(secformat.DefaultCEFConfig())
	require.NoError(b, err)
	sl, err := secformat.NewSyslog(secformat.DefaultSyslogConfig())
	require.NoError(b, err)
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(secevent.KeyHostName, "plc-gw-1")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	now := pcommon.NewTimestampFromTime(time.Now())
	for i := range 500 {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(now)
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.Body().SetStr("Failed login attempt for operator")
		a := lr.Attributes()
		a.PutStr(secevent.KeyCategory, "authentication")
		a.PutStr(secevent.KeyAction, "login")
		a.PutStr(secevent.KeyOutcome, "failure")
		a.PutStr(secevent.KeyUserName, "operator")
		a.PutStr(secevent.KeySourceAddress, "192.168.1.100")
		a.PutInt(secevent.KeyFailureCount, int64(i))
	}
	for _, on := range []bool{false, true} {
		name := "integrity=off"
		if on {
			name = "integrity=on"
		}
		b.Run(name, func(b *testing.B) {
			conv := &delivery.Converter{
				Format: func(dst []byte, res pcommon.Resource, lr plog.LogRecord) ([]byte, bool, bool) {
					out, ok := sl.AppendRecord(dst, res, lr, cef)
					return out, false, ok
				},
				Logger: zap.NewNop(), Failed: func(context.Context, int) {}, Truncated: func(context.Context, int) {},
			}
			if on {
				cfg := integrity.DefaultConfig()
				cfg.KeyFile = writeKey(b, b.TempDir(), "key", keyA)
				st := integrity.New(integrity.Settings{
					Config: cfg, ID: component.MustNewID("cef_syslog"), Kind: integrity.KindCEF, Logger: zap.NewNop(),
					Locate:   func(rec []byte) (int, int, bool) { return sl.MsgStart(rec), len(rec), false },
					Counters: integrity.Counters{Stamped: func(context.Context, int64) {}, Checkpoints: func(context.Context, int64) {}},
				})
				require.NoError(b, st.Start(context.Background(), host{exts: map[component.ID]component.Component{storageID: &memStore{}}}, storageID))
				conv.Integrity = st
			}
			ctx := context.Background()
			bytes := 0
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				bytes = conv.Convert(ctx, ld).BytesSize()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/record")
			b.ReportMetric(float64(bytes)/500, "bytes/record")
		})
	}
}
