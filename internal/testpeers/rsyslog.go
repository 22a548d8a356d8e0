package testpeers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"
)

// Rsyslog is a running rsyslogd (8.2302, unpacked into /opt/rsyslog by the install script).
//
//   - TCPAddr: plain TCP; rsyslog's imtcp detects octet-counted (RFC 6587) and LF framing per frame.
//   - TLSAddr: TLS with the GnuTLS driver (gtls), server authentication only.
//   - MTLSAddr: TLS with the OpenSSL driver (ossl), authMode x509/certvalid: the client must present
//     a certificate that chains to Certs.CAFile; a client without one is refused.
//   - UDPAddr: UDP, one message per datagram (RFC 5426).
//
// Every message is RFC 5424-parsed, its SD parsed by mmpstrucdata and, if it starts with "CEF:",
// its MSG decoded by mmnormalize (liblognorm) into Event.CEF.
type Rsyslog struct {
	TCPAddr, TLSAddr, MTLSAddr, UDPAddr string
	// Dir holds rsyslog.conf, the rulebase, work files, output and log.
	Dir string
	*peer
}

type rsyslogConf struct {
	Dir, Rulebase, Out                  string
	CAFile, ServerCert, ServerKey       string
	TCPPort, TLSPort, MTLSPort, UDPPort int
}

// The #363 workaround is applied before mmnormalize: see workaround363.
var rsyslogTemplate = template.Must(template.New("rsyslog.conf").Parse(`# written by internal/testpeers for one test; loopback only
global(workDirectory="{{.Dir}}/work" maxMessageSize="64k" net.enableDNS="off"
       # else control characters (a raw LF) are stored as "#012" and the exporter's output is hidden
       parser.escapeControlCharactersOnReceive="off"
       defaultNetstreamDriverCAFile="{{.CAFile}}"
       defaultNetstreamDriverCertFile="{{.ServerCert}}"
       defaultNetstreamDriverKeyFile="{{.ServerKey}}")

# On SIGTERM, write out what is queued (up to 10 s) instead of dropping it after the default
# 1.5 s: a graceful Stop must not make the peer lose what it had accepted.
main_queue(queue.timeoutShutdown="10000")

module(load="imtcp" maxSessions="200")
module(load="imudp")
module(load="mmpstrucdata")
module(load="mmnormalize")

input(type="imtcp" name="tcp"  address="127.0.0.1" port="{{.TCPPort}}"  ruleset="in")
input(type="imtcp" name="tls"  address="127.0.0.1" port="{{.TLSPort}}"  ruleset="in"
      streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imtcp" name="mtls" address="127.0.0.1" port="{{.MTLSPort}}" ruleset="in"
      streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="x509/certvalid")
input(type="imudp" name="udp"  address="127.0.0.1" port="{{.UDPPort}}"  ruleset="in")

template(name="event" type="list") {
  constant(value="{")
  property(outname="input" name="inputname" format="jsonf") constant(value=",")
  property(outname="pri" name="pri" format="jsonf") constant(value=",")
  property(outname="version" name="protocol-version" format="jsonf") constant(value=",")
  property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf") constant(value=",")
  property(outname="hostname" name="hostname" format="jsonf") constant(value=",")
  property(outname="app_name" name="app-name" format="jsonf") constant(value=",")
  property(outname="procid" name="procid" format="jsonf") constant(value=",")
  property(outname="msgid" name="msgid" format="jsonf") constant(value=",")
  property(outname="structured_data" name="structured-data" format="jsonf") constant(value=",")
  property(outname="msg" name="msg" format="jsonf") constant(value=",")
  property(outname="raw" name="rawmsg" format="jsonf") constant(value=",")
  constant(value="\"vars\":") property(name="$!")
  constant(value="}\n")
}

ruleset(name="in") {
  # $! must not be empty: the template embeds it as a JSON object
  set $!peer = "rsyslog";
  action(type="mmpstrucdata" sd_name.lowercase="off")
  if $msg startswith "CEF:" then {
    # liblognorm 2.0.6 drops the 1st char of the 1st extension key unless a space follows the 7th
    # header '|' (liblognorm issue #363): give mmnormalize a copy with that space.
    set $.hdr = re_extract($msg, "^CEF:0(\\|([^|\\\\]|\\\\.)*){6}\\|", 0, 0, "");
    if $.hdr != "" then {
      set $.cefin = $.hdr & " " & substring($msg, strlen($.hdr), 1000000);
    } else {
      set $.cefin = $msg;
    }
    action(type="mmnormalize" rulebase="{{.Rulebase}}" variable="$.cefin")
  }
  action(type="omfile" file="{{.Out}}" template="event")
}
`))

// StartRsyslog starts rsyslogd in t.TempDir() on free loopback ports, waits until it listens on all
// of them, and stops it in t.Cleanup. It fails the test if rsyslog is not installed.
func StartRsyslog(t testing.TB, certs *Certs) *Rsyslog {
	t.Helper()
	bin, modDir := rsyslogPaths(t)
	dir := t.TempDir()
	for _, sub := range []string{"work", "out"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatalf("testpeers: %v", err)
		}
	}
	rb := filepath.Join(dir, "cef.rulebase")
	writeFile(t, rb, cefRulebase)
	conf := filepath.Join(dir, "rsyslog.conf")
	r := &Rsyslog{Dir: dir}
	r.peer = startPeer(t, 3, 1, func(_ int, tcp, udp []int) *daemon {
		var b strings.Builder
		if err := rsyslogTemplate.Execute(&b, rsyslogConf{
			Dir: dir, Rulebase: rb, Out: filepath.Join(dir, "out", "events.json"),
			CAFile: certs.CAFile, ServerCert: certs.ServerCert, ServerKey: certs.ServerKey,
			TCPPort: tcp[0], TLSPort: tcp[1], MTLSPort: tcp[2], UDPPort: udp[0],
		}); err != nil {
			t.Fatalf("testpeers: %v", err)
		}
		writeFile(t, conf, b.String())
		r.TCPAddr, r.TLSAddr, r.MTLSAddr, r.UDPAddr = addr(tcp[0]), addr(tcp[1]), addr(tcp[2]), addr(udp[0])
		return &daemon{
			name:    "rsyslogd",
			argv:    []string{bin, "-n", "-f", conf, "-i", filepath.Join(dir, "work", "rsyslogd.pid"), "-M", modDir},
			logFile: filepath.Join(dir, "rsyslogd.log"),
		}
	})
	r.peer.out = filepath.Join(dir, "out", "events.json")
	return r
}

// rsyslogLine is one line of the "event" template.
type rsyslogLine struct {
	header
	Vars struct {
		SD       map[string]map[string]string `json:"rfc5424-sd"`
		CEF      *CEFFields                   `json:"cef"`
		Unparsed *string                      `json:"unparsed-data"`
	} `json:"vars"`
}

// Events returns every message received so far, in the order rsyslog wrote them.
func (r *Rsyslog) Events(t testing.TB) []Event {
	t.Helper()
	lines := outputLines(t, r.out)
	evs := make([]Event, 0, len(lines))
	for _, l := range lines {
		var v rsyslogLine
		decodeJSON(t, "rsyslog", l, &v)
		e := v.event(l)
		e.SD = v.Vars.SD
		if v.Vars.Unparsed != nil {
			e.CEFUnparsed = *v.Vars.Unparsed
		} else if v.Vars.CEF != nil {
			if v.Vars.CEF.Extensions == nil {
				v.Vars.CEF.Extensions = map[string]string{}
			}
			e.CEF = v.Vars.CEF
		}
		evs = append(evs, e)
	}
	return evs
}

// WaitForEvents waits until at least n messages have arrived and returns all of them. It fails the
// test, listing what did arrive, when timeout passes first.
func (r *Rsyslog) WaitForEvents(t testing.TB, n int, timeout time.Duration) []Event {
	t.Helper()
	if !waitLines(t, r.out, n, timeout) {
		failWait(t, "rsyslog", n, timeout, r.Events(t), r.LogFile())
	}
	return r.Events(t)
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatalf("testpeers: %v", err)
	}
}

func failWait(t testing.TB, name string, n int, timeout time.Duration, got []Event, logFile string) {
	t.Helper()
	var b strings.Builder
	for _, e := range got {
		b.WriteString("  " + e.Line + "\n")
	}
	t.Fatalf("testpeers: %s: %d of %d messages arrived within %s:\n%s%s log:\n%s",
		name, len(got), n, timeout, b.String(), name, tail(logFile, 20))
}
