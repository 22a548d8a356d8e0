//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/unified-ot/otelcol-siem/internal/testcollector"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// TestOTDeviceSyslogClassified: OT devices that only speak syslog send RFC 5424 (octet-counted, TCP)
// to the binary's syslog receiver; security_classify's default rules classify them, say which rule
// decided, and its severity floor drops the operational INFO chatter.
func TestOTDeviceSyslogClassified(t *testing.T) {
	sink := testcollector.NewOTLPSink(t)
	syslogAddr := fmt.Sprintf("127.0.0.1:%d", testcollector.FreePort(t))
	col := testcollector.Start(t, testcollector.Options{Env: map[string]string{
		"OTELCOL_SIEM_RECEIVERS":                "[otlp, syslog]",
		"OTELCOL_SIEM_SYSLOG_RECEIVER_ENDPOINT": syslogAddr,
		"OTELCOL_SIEM_EXPORTERS":                "[otlp_http/siem]",
		"OTELCOL_SIEM_OTLP_EXPORT_ENDPOINT":     sink.URL,
	}})
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000000Z07:00") // RFC 5424: at most 6 fractional digits
	messages := []string{
		"<38>1 " + now + " plc-07 sshd 4242 - - Failed password for root from 10.1.2.3 port 50122 ssh2",
		"<85>1 " + now + " rtu-02 sudo - - - operator : user NOT in sudoers ; TTY=pts/0 ; USER=root ; COMMAND=/bin/sh",
		"<38>1 " + now + " plc-07 sshd 4250 - - Accepted publickey for maint from 10.1.2.4 port 50200 ssh2",
		"<134>1 " + now + " plc-07 modbusd - - - Link up on port eth0",
	}
	conn, err := net.Dial("tcp", syslogAddr)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range messages {
		if _, err := fmt.Fprintf(conn, "%d %s", len(m), m); err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()

	want := map[string][2]string{ // body prefix -> category, rule
		"Failed password for root":       {"authentication", "ot_syslog_ssh_login_failure"},
		"operator : user NOT in sudoers": {"authorization", "ot_syslog_sudo_denied"},
		"Accepted publickey for maint":   {"authentication", "ot_syslog_ssh_login_success"},
	}
	deadline := time.Now().Add(20 * time.Second)
	for sink.Total() < len(want) && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // the dropped INFO record would have arrived by now
	got := sink.All()
	if len(got) != len(want) {
		var bodies []string
		for _, lr := range got {
			bodies = append(bodies, lr.Body().AsString())
		}
		t.Fatalf("sink received %d records, want %d (the modbusd INFO record is below the floor): %q", len(got), len(want), bodies)
	}
	for _, lr := range got {
		body := lr.Body().AsString()
		var w [2]string
		for prefix, v := range want {
			if strings.HasPrefix(body, prefix) {
				w = v
			}
		}
		attr := func(k string) string { v, _ := lr.Attributes().Get(k); return v.AsString() }
		if attr(secevent.KeyCategory) != w[0] || attr(secevent.KeyClassificationSource) != "rule" || attr(secevent.KeyClassificationRule) != w[1] {
			t.Errorf("%q: category %q by %q/%q, want %q by rule %q", body, attr(secevent.KeyCategory),
				attr(secevent.KeyClassificationSource), attr(secevent.KeyClassificationRule), w[0], w[1])
		}
	}
	col.Stop(30 * time.Second)
}
