//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"google.golang.org/grpc/status"

	"github.com/unified-ot/otelcol-siem/internal/testcollector"
	"github.com/unified-ot/otelcol-siem/internal/testpeers"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// procStatusKiB reads a "Name:   123 kB" line of /proc/PID/status, in KiB.
func procStatusKiB(t *testing.T, pid int, name string) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("read /proc/%d/status: %v", pid, err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			if err != nil {
				t.Fatalf("%s: %q", name, l)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", name, pid)
	return 0
}

// memoryReport is the collector's memory as the kernel and its own telemetry see it.
func memoryReport(t *testing.T, col *testcollector.Collector) (rssMiB, hwmMiB int, metricMiB float64) {
	t.Helper()
	rss := procStatusKiB(t, col.Pid(), "VmRSS")
	hwm := procStatusKiB(t, col.Pid(), "VmHWM")
	m, err := col.Metric("otelcol_process_memory_rss")
	if err != nil {
		t.Errorf("otelcol_process_memory_rss: %v", err)
	}
	return rss / 1024, hwm / 1024, m / (1 << 20)
}

// syslogSender writes RFC 5424 messages over TCP with octet counting (RFC 6587 3.4.1), the
// framing the site's syslog receiver expects.
type syslogSender struct {
	conn net.Conn
}

func dialSyslog(t *testing.T, addr string) *syslogSender {
	t.Helper()
	var c net.Conn
	var err error
	for i := 0; i < 50; i++ {
		if c, err = net.Dial("tcp", addr); err == nil {
			return &syslogSender{conn: c}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("dial syslog receiver %s: %v", addr, err)
	return nil
}

func (s *syslogSender) send(msg string) error {
	_ = s.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := fmt.Fprintf(s.conn, "%d %s", len(msg), msg)
	return err
}

// syslogFailedLogin is an sshd failed-login line (the site's ot_syslog_ssh_login_failure rule
// makes it an authentication failure at WARN) whose user name carries the hostile part and whose
// text starts with the event's id as [hzid:ID], for counting at the peer.
func syslogFailedLogin(id, user string) string {
	// The id comes first: CEF msg is cut at 1023 bytes.
	return fmt.Sprintf("<38>1 %s plc-01 sshd 4711 - - [hzid:%s] Failed password for invalid user %s from 10.0.0.7 port 50022 ssh2",
		time.Now().UTC().Format("2006-01-02T15:04:05.000000Z07:00"), id, user) // RFC 5424: at most 6 fraction digits
}

var hzidRe = regexp.MustCompile(`\[hzid:([a-z0-9-]+)\]`)

// hostileCase is one group of hostile events sent to the collector.
type hostileCase struct {
	name string
	ids  []string
	// refused: the collector refused the whole request (the client got an error): nothing of it
	// was accepted, so nothing of it is expected at the peer.
	refused bool
	err     string
}

// TestHostileInputs (issue 8, scenario 6): CEF and syslog injection (| \ = CR LF NUL), invalid
// UTF-8, 10 MB bodies, a 100-level nested map and 10 000 attributes, through OTLP (gRPC and HTTP)
// and through the syslog receiver, to rsyslog over TLS. The collector stays up (health check),
// its memory stays bounded, and every record rsyslog received parses as exactly one CEF record
// (liblognorm): one per event accepted, minus what the severity floor drops by design (counted).
func TestHostileInputs(t *testing.T) {
	certs := testpeers.NewCerts(t)
	rs := testpeers.StartRsyslog(t, certs)
	syslogAddr := fmt.Sprintf("127.0.0.1:%d", testcollector.FreePort(t))
	col := testcollector.Start(t, testcollector.Options{Env: map[string]string{
		"OTELCOL_SIEM_RECEIVERS":                "[otlp, syslog]",
		"OTELCOL_SIEM_SYSLOG_RECEIVER_ENDPOINT": syslogAddr,
		"OTELCOL_SIEM_EXPORTERS":                "[cef_syslog/siem]",
		"OTELCOL_SIEM_SYSLOG_TRANSPORT":         "tls",
		"OTELCOL_SIEM_SYSLOG_ENDPOINT":          rs.TLSAddr,
		"OTELCOL_SIEM_SYSLOG_CA_FILE":           certs.CAFile,
	}})
	at := time.Now().Truncate(time.Millisecond)
	var cases []*hostileCase
	send := func(name string, viaHTTP bool, events []testcollector.Event, mutate func(plog.Logs)) {
		t.Helper()
		logs := testcollector.Logs("unified-ot-connector", events...)
		if mutate != nil {
			mutate(logs)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var err error
		if viaHTTP {
			err = col.SendHTTP(ctx, logs)
		} else {
			err = col.SendGRPC(ctx, logs)
		}
		c := &hostileCase{name: name, ids: idsOf(events)}
		if err != nil {
			c.refused, c.err = true, err.Error()
			if s, ok := status.FromError(err); ok {
				c.err = s.Code().String() + ": " + shorten(s.Message(), 120)
			}
		}
		cases = append(cases, c)
	}
	failed := func(prefix string, n int, user, body string) []testcollector.Event {
		evs := zlFailedLogins(prefix, 0, n, user, body)
		for i := range evs {
			evs[i].Time = at
		}
		return evs
	}

	// 1. CEF and syslog injection in body and user name (the cefsyslog test's hostile events,
	// checked field by field below), and NUL bytes.
	injected := map[string]testcollector.Event{}
	for i := 0; i < 50; i++ {
		e := hostileEvent(fmt.Sprintf("hz-inj-%03d", i), i, at)
		injected[e.ID] = e
	}
	injEvents := make([]testcollector.Event, 0, len(injected))
	for _, e := range injected {
		injEvents = append(injEvents, e)
	}
	send("OTLP/gRPC CEF+syslog injection (| \\ = CR LF)", false, injEvents, nil)
	send("OTLP/gRPC NUL bytes", false, failed("hz-nul", 20, "eve\x00admin", "Failed login\x00 act=allow\x00|CEF:0|x"), nil)
	// 2. Invalid UTF-8 in body and user name. Protobuf strings must be UTF-8: a receiver may refuse.
	send("OTLP/gRPC invalid UTF-8", false, failed("hz-utf8g", 20, "eve\xff\xfe", "Failed login \xc3\x28 for \xed\xa0\x80 x"), nil)
	send("OTLP/HTTP invalid UTF-8", true, failed("hz-utf8h", 20, "eve\xff\xfe", "Failed login \xc3\x28 for \xed\xa0\x80 x"), nil)
	// 3. 10 MB bodies: over gRPC's 4 MiB default message limit; under OTLP/HTTP's 20 MiB.
	big := "Failed login " + strings.Repeat("A|\\=\n", 10<<20/5)
	send("OTLP/gRPC 10 MB body", false, failed("hz-bigg", 1, "eve", big), nil)
	send("OTLP/HTTP 10 MB body", true, failed("hz-bigh", 1, "eve", big), nil)
	// 4. A 100-level nested map and 10 000 attributes on one record.
	nested := func(depth int) func(plog.Logs) {
		return func(l plog.Logs) {
			lrs := l.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
			for i := 0; i < lrs.Len(); i++ {
				m := lrs.At(i).Attributes().PutEmptyMap("otsec.nested")
				for d := 0; d < depth; d++ {
					m.PutStr("level", strconv.Itoa(d)+"|=\\")
					m = m.PutEmptyMap("child")
				}
			}
		}
	}
	// gRPC's protobuf decoder stops at 100 message levels (one map level is three: AnyValue,
	// KeyValueList, KeyValue), so 100 levels are refused there and 30 pass; OTLP/HTTP's decoder
	// takes 100.
	send("OTLP/gRPC 100-level nested map", false, failed("hz-nestg", 5, "eve", "Failed login"), nested(100))
	send("OTLP/gRPC 30-level nested map", false, failed("hz-nest30", 5, "eve", "Failed login"), nested(30))
	send("OTLP/HTTP 100-level nested map", true, failed("hz-nesth", 5, "eve", "Failed login"), nested(100))
	send("OTLP/gRPC 10 000 attributes", false, failed("hz-many", 5, "eve", "Failed login"), func(l plog.Logs) {
		lrs := l.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
		for i := 0; i < lrs.Len(); i++ {
			a := lrs.At(i).Attributes()
			a.EnsureCapacity(10010)
			for k := 0; k < 10000; k++ {
				a.PutStr(fmt.Sprintf("x.attr%05d", k), "v=|\\\n"+strconv.Itoa(k))
			}
		}
	})
	// Bytes body with arbitrary octets (the OTLP way to carry non-UTF-8 data).
	send("OTLP/gRPC bytes body with NUL and invalid UTF-8", false, failed("hz-bytes", 5, "eve", ""), func(l plog.Logs) {
		lrs := l.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
		for i := 0; i < lrs.Len(); i++ {
			lrs.At(i).Body().SetEmptyBytes().FromRaw([]byte("Failed login \x00\xff\r\nCEF:0|x|y|1|2|3|4|"))
		}
	})

	// 5. The syslog receiver: octet-counted RFC 5424 frames from a Go sender.
	sl := dialSyslog(t, syslogAddr)
	sysMsg := map[string]string{} // id -> the MSG sent, which CEF msg must decode to
	sysCase := func(name, prefix string, n int, user string) {
		c := &hostileCase{name: name}
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("%s-%03d", prefix, i)
			c.ids = append(c.ids, id)
			frame := syslogFailedLogin(id, user)
			if !strings.ContainsAny(user, "\x00") && utf8.ValidString(user) && len(frame) < 1000 {
				sysMsg[id] = frame[strings.Index(frame, " - - ")+len(" - - "):]
			}
			if err := sl.send(frame); err != nil {
				t.Fatalf("syslog send: %v", err)
			}
		}
		cases = append(cases, c)
	}
	sysCase("syslog CEF injection (| \\ =)", "hz-sinj", 20, `eve|admin\ act=allow cs1=x`)
	sysCase("syslog CR LF and a forged frame", "hz-scrlf", 20, "eve\r\n<13>1 - forged - - - - 12 CEF:0|forged")
	sysCase("syslog NUL", "hz-snul", 20, "eve\x00admin")
	sysCase("syslog invalid UTF-8", "hz-sutf8", 20, "eve\xff\xfe\xc3\x28")
	// Longer than the receiver parser's default max_octets (8192): parsed because the site config
	// raises it (else unparsed, without severity, and dropped by the floor).
	sysCase("syslog 20 KB message", "hz-slong", 3, strings.Repeat("L", 20000))
	// A 10 MB frame exceeds the TCP input's max_log_size (1 MiB): the receiver logs "token too
	// long" and closes that connection. It is sent on its own connection and not expected to arrive.
	bigSys := &hostileCase{name: "syslog 10 MB frame", ids: []string{"hz-sbig-000"}}
	cases = append(cases, bigSys)
	func() {
		s := dialSyslog(t, syslogAddr)
		defer s.conn.Close()
		if err := s.send(syslogFailedLogin("hz-sbig-000", strings.Repeat("B", 10<<20))); err != nil {
			bigSys.err = err.Error()
		}
	}()
	if !waitLog(col, 10*time.Second, "token too long") {
		t.Errorf("the syslog receiver did not log the refused 10 MB frame (\"token too long\")")
	}
	// After the big frame, the receiver still takes normal traffic.
	sysCase("syslog after the 10 MB frame", "hz-safter", 10, "eve")
	time.Sleep(500 * time.Millisecond)
	sl.conn.Close()

	if !healthy(col) {
		t.Fatalf("collector not healthy after the hostile inputs")
	}
	// Everything accepted: wait for it (the floor may drop some by design, counted below).
	var want []string
	for _, c := range cases {
		if !c.refused {
			want = append(want, c.ids...)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		d, _ := col.Metric("otelcol_processor_security_classify_records_dropped")
		if rs.Count(t) >= len(want)-int(d) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // anything beyond what was expected (forged records) arrives too
	events := rs.Events(t)

	// Count by id: OTLP events by externalId, syslog events by the [hzid:] marker in msg.
	got := map[string]int{}
	unparsed := 0
	for _, ev := range events {
		if ev.CEF == nil {
			unparsed++
			t.Errorf("rsyslog record not parsable as CEF (unparsed %q): %q", shorten(ev.CEFUnparsed, 200), shorten(ev.Raw, 300))
			continue
		}
		id := ev.CEF.Extensions["externalId"]
		if m := hzidRe.FindStringSubmatch(ev.CEF.Extensions["msg"]); m != nil {
			id = m[1]
		}
		got[id]++
		if e, ok := injected[id]; ok {
			checkCEF(t, ev, map[string]testcollector.Event{id: e})
		}
		if want, ok := sysMsg[id]; ok && ev.CEF.Extensions["msg"] != want {
			t.Errorf("syslog event %s: CEF msg %q, want %q", id, ev.CEF.Extensions["msg"], want)
		}
		if _, forged := ev.CEF.Extensions["cs1"]; forged && strings.HasPrefix(id, "hz-s") {
			t.Errorf("syslog event %s: a cs1 field was forged from the message: %q", id, ev.Raw)
		}
		if !strings.HasPrefix(id, "hz-") && ev.CEF.Extensions["cat"] != "alert" {
			t.Errorf("record that is neither a sent event nor an alert (forged?): %q", shorten(ev.Raw, 300))
		}
		if strings.HasPrefix(id, "hz-bigh") {
			t.Logf("10 MB body arrived as a %d-byte syslog message (CEF msg %d bytes)", len(ev.Raw), len(ev.CEF.Extensions["msg"]))
		}
	}
	dropped, _ := col.Metric("otelcol_processor_security_classify_records_dropped")
	totalSent, totalRecv, totalLost, totalDup := 0, 0, 0, 0
	var refusedNotes []string
	for _, c := range cases {
		recv, dup := 0, 0
		for _, id := range c.ids {
			if n := got[id]; n > 0 {
				recv++
				dup += n - 1
			}
		}
		lost := 0
		if !c.refused {
			lost = len(c.ids) - recv
		}
		notes := "accepted"
		if c.refused {
			notes = "refused by the receiver: " + c.err
			refusedNotes = append(refusedNotes, c.name+" ("+strings.SplitN(strings.TrimPrefix(c.err, "OTLP/HTTP export: "), ":", 2)[0]+")")
		}
		if c == bigSys {
			notes = "over the syslog receiver's limits: not delivered by design (not counted as lost)"
			lost = 0
		}
		t.Logf("6. hostile: %s | %d | %d | %d | %d | %s", c.name, len(c.ids), recv, lost, dup, notes)
		totalSent += len(c.ids)
		totalRecv += recv
		totalLost += lost
		totalDup += dup
		if dup > 0 {
			t.Errorf("%s: %d duplicated records (a forged or split record?)", c.name, dup)
		}
	}
	// The severity floor drops by design what it cannot classify at WARN or above: counted, and
	// the only allowed difference.
	if float64(totalLost) != dropped {
		t.Errorf("received %d of %d accepted-and-expected events: %d missing, but the severity floor dropped %v",
			totalRecv, totalRecv+totalLost, totalLost, dropped)
	}
	alerts := 0
	for id, n := range got {
		if !strings.HasPrefix(id, "hz-") {
			alerts += n
		}
	}
	if !healthy(col) {
		t.Fatalf("collector not healthy at the end")
	}
	rss, hwm, metricRSS := memoryReport(t, col)
	t.Logf("memory after the hostile inputs: VmRSS %d MiB, VmHWM %d MiB, otelcol_process_memory_rss %.0f MiB", rss, hwm, metricRSS)
	if hwm > 1024 {
		t.Errorf("peak RSS %d MiB: memory not bounded", hwm)
	}
	zlRow(t, "6. hostile inputs via OTLP and syslog receiver (injection, NUL, invalid UTF-8, 10 MB, 100-level map, 10 000 attributes)",
		zlCounts{Sent: totalSent, Received: totalRecv, Lost: totalLost - int(dropped), Dup: totalDup},
		fmt.Sprintf("every rsyslog record parsed as one CEF record (%d records, %d unparsed, %d alerts); severity floor dropped %v by design; refused with an error to the client, not counted as lost: %s; the 10 MB syslog frame is refused by the receiver (connection closed, logged); peak RSS %d MiB",
			len(events), unparsed, alerts, dropped, strings.Join(refusedNotes, ", "), hwm))
}

// TestHostileAlertGroupKeysBounded (issue 8, scenario 6): failed logins with random user names,
// every one a new group of the failed_logins alert rule. The alert processor's LRU keeps at most
// max_groups_per_rule (10 000) groups and counts the evictions; the collector's memory stays
// bounded; every event is delivered (rsyslog over TCP). 200 000 distinct keys by default,
// 1 000 000 with SOAK=1.
func TestHostileAlertGroupKeysBounded(t *testing.T) {
	n := 200_000
	if os.Getenv("SOAK") == "1" {
		n = 1_000_000
	}
	const batch = 5000
	certs := testpeers.NewCerts(t)
	rs := testpeers.StartRsyslog(t, certs)
	col := testcollector.Start(t, testcollector.Options{Env: map[string]string{
		"OTELCOL_SIEM_EXPORTERS":        "[cef_syslog/siem]",
		"OTELCOL_SIEM_SYSLOG_TRANSPORT": "tcp",
		"OTELCOL_SIEM_SYSLOG_ENDPOINT":  rs.TCPAddr,
	}})
	_, hwmStart, _ := memoryReport(t, col)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 8))
	ids := make([]string, 0, n)
	start := time.Now()
	var hwmHalf int
	for b := 0; b < n/batch; b++ {
		logs := plog.NewLogs()
		rl := logs.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr(secevent.KeyServiceName, "unified-ot-connector")
		lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
		lrs.EnsureCapacity(batch)
		now := pcommon.NewTimestampFromTime(time.Now())
		for i := 0; i < batch; i++ {
			id := fmt.Sprintf("hz-keys-%07d", b*batch+i)
			ids = append(ids, id)
			lr := lrs.AppendEmpty()
			lr.SetTimestamp(now)
			lr.SetSeverityNumber(plog.SeverityNumberWarn)
			lr.Body().SetStr("Failed login")
			a := lr.Attributes()
			a.PutStr(secevent.KeyEventID, id)
			a.PutStr(secevent.KeyCategory, "authentication")
			a.PutStr(secevent.KeyAction, "login")
			a.PutStr(secevent.KeyOutcome, "failure")
			a.PutStr(secevent.KeyUserName, fmt.Sprintf("u%016x", rng.Uint64()))
			a.PutStr(secevent.KeySourceAddress, "10.9.8.7")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := col.SendGRPC(ctx, logs)
		cancel()
		if err != nil {
			t.Fatalf("batch %d: %v", b, err)
		}
		if b == n/batch/2 {
			_, hwmHalf, _ = memoryReport(t, col)
		}
	}
	sendTime := time.Since(start)
	c := zlWaitRsyslog(t, rs, ids, 120*time.Second)
	evicted, err := col.WaitMetric(float64(n-10000), 10*time.Second, "otelcol_processor_alert_groups_evicted", `rule="failed_logins"`)
	if err != nil || evicted != float64(n-10000) {
		t.Errorf("otelcol_processor_alert_groups_evicted{rule=failed_logins} = %v (%v), want %d (max_groups_per_rule 10 000)", evicted, err, n-10000)
	}
	fired, _ := col.Metric("otelcol_processor_alert_alerts_fired")
	if !healthy(col) {
		t.Fatalf("collector not healthy")
	}
	rss, hwm, metricRSS := memoryReport(t, col)
	t.Logf("%d distinct group keys in %s (sending): VmHWM at start %d MiB, after half %d MiB, at end %d MiB; VmRSS %d MiB; otelcol_process_memory_rss %.0f MiB; evicted %v; alerts fired %v",
		n, sendTime.Round(time.Millisecond), hwmStart, hwmHalf, hwm, rss, metricRSS, evicted, fired)
	zlRow(t, fmt.Sprintf("6. %d distinct alert group keys (random user names), rsyslog TCP", n), c,
		fmt.Sprintf("LRU evicted %v groups (max 10 000 kept); peak RSS %d MiB (%d MiB after half); %v alerts fired", evicted, hwm, hwmHalf, fired))
	if c.Lost != 0 || c.Dup != 0 || c.Unparsed != 0 {
		t.Errorf("%s; lost e.g. %v", c, c.Missing)
	}
	// Bounded: the second half of the keys must not grow the peak much beyond the first half's
	// (the LRU was already full then), and never beyond an absolute bound.
	if hwm > hwmHalf+128 || hwm > 1024 {
		t.Errorf("peak RSS grew from %d MiB (half) to %d MiB (end): memory not bounded by the LRU", hwmHalf, hwm)
	}
}
