package securityclassifyprocessor

import (
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/syslogreceiver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// freeTCPAddr returns a loopback address with a port that was free a moment ago (the stanza TCP
// input does not report the port it bound, so :0 cannot be used directly).
func freeTCPAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// OT-device syslog received by contrib's syslog receiver (v0.165.1, in process, TCP on loopback),
// classified by the default rules: the receiver's real attribute names and body are what the rules
// and the normalisation see.
func TestSyslogReceiverToClassifier(t *testing.T) {
	for _, tc := range []struct {
		protocol string
		lines    []string
	}{
		{"rfc5424", []string{
			"<38>1 2026-11-26T10:00:00.000Z plc-07 sshd 4242 - - Failed password for root from 10.1.2.3 port 50122 ssh2",
			"<86>1 2026-11-26T10:00:01.000Z rtu-02 sudo - - - operator : user NOT in sudoers ; TTY=pts/0 ; USER=root ; COMMAND=/bin/sh",
			"<134>1 2026-11-26T10:00:02.000Z hmi-01 hmi-app - - - Configuration recipe R12 loaded by operator",
			"<38>1 2026-11-26T10:00:03.000Z plc-07 sshd 4250 - - Accepted publickey for maint from 10.1.2.4 port 50200 ssh2",
			"<134>1 2026-11-26T10:00:04.000Z plc-07 modbusd - - - Link up on port eth0",
		}},
		{"rfc3164", []string{
			"<38>Nov 26 10:00:00 plc-07 sshd[4242]: Failed password for root from 10.1.2.3 port 50122 ssh2",
			"<86>Nov 26 10:00:01 rtu-02 sudo: operator : user NOT in sudoers ; TTY=pts/0 ; USER=root ; COMMAND=/bin/sh",
			"<134>Nov 26 10:00:02 hmi-01 hmi-app: Configuration recipe R12 loaded by operator",
			"<38>Nov 26 10:00:03 plc-07 sshd[4250]: Accepted publickey for maint from 10.1.2.4 port 50200 ssh2",
			"<134>Nov 26 10:00:04 plc-07 modbusd: Link up on port eth0",
		}},
	} {
		t.Run(tc.protocol, func(t *testing.T) {
			h := newHarness(t, defaultConfig())
			addr := freeTCPAddr(t)
			f := syslogreceiver.NewFactory()
			cfg := f.CreateDefaultConfig()
			require.NoError(t, confmap.NewFromStringMap(map[string]any{
				"protocol": tc.protocol,
				"location": "UTC",
				"tcp":      map[string]any{"listen_address": addr},
			}).Unmarshal(cfg))
			rcv, err := f.CreateLogs(t.Context(), receivertest.NewNopSettings(f.Type()), cfg, h.p)
			require.NoError(t, err)
			require.NoError(t, rcv.Start(t.Context(), componenttest.NewNopHost()))
			t.Cleanup(func() { require.NoError(t, rcv.Shutdown(t.Context())) })

			var conn net.Conn
			require.Eventually(t, func() bool {
				conn, err = net.DialTimeout("tcp", addr, time.Second)
				return err == nil
			}, 10*time.Second, 50*time.Millisecond)
			defer conn.Close()
			for _, l := range tc.lines {
				_, err := fmt.Fprintf(conn, "%s\n", l)
				require.NoError(t, err)
			}

			// Four records pass the floor; the modbusd INFO line is dropped (operational).
			require.Eventually(t, func() bool { return h.sink.LogRecordCount() == 4 }, 10*time.Second, 20*time.Millisecond,
				"records received: %d", h.sink.LogRecordCount())
			require.Eventually(t, func() bool {
				return h.counter(t, metadata.MetricRecordsDropped, categoryAttr(secevent.CategoryOperational)) == 1
			}, 10*time.Second, 20*time.Millisecond)

			var got []string
			for _, l := range h.sink.AllLogs() {
				for i := 0; i < l.ResourceLogs().Len(); i++ {
					rl := l.ResourceLogs().At(i)
					host, _ := rl.Resource().Attributes().Get(secevent.KeyHostName)
					for j := 0; j < rl.ScopeLogs().Len(); j++ {
						for k := 0; k < rl.ScopeLogs().At(j).LogRecords().Len(); k++ {
							lr := rl.ScopeLogs().At(j).LogRecords().At(k)
							got = append(got, strings.Join([]string{
								host.Str(), lr.Body().Str(), attrStr(lr, secevent.KeyCategory),
								attrStr(lr, secevent.KeyClassificationSource), attrStr(lr, secevent.KeyClassificationRule),
								attrStr(lr, secevent.KeyOutcome), lr.SeverityNumber().String(),
							}, " | "))
						}
					}
				}
			}
			sort.Strings(got)
			assert.Equal(t, []string{
				"hmi-01 | Configuration recipe R12 loaded by operator | configuration | keyword | <absent> | <absent> | Info",
				"plc-07 | Accepted publickey for maint from 10.1.2.4 port 50200 ssh2 | authentication | rule | ot_syslog_ssh_login_success | success | Info",
				"plc-07 | Failed password for root from 10.1.2.3 port 50122 ssh2 | authentication | rule | ot_syslog_ssh_login_failure | failure | Warn",
				"rtu-02 | operator : user NOT in sudoers ; TTY=pts/0 ; USER=root ; COMMAND=/bin/sh | authorization | rule | ot_syslog_sudo_denied | denied | Warn",
			}, got)
		})
	}
}
