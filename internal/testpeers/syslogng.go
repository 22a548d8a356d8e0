package testpeers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"
)

// SyslogNG is a running syslog-ng (3.38, Debian's syslog-ng-core).
//
//   - TCPAddr: syslog() over TCP, which accepts ONLY octet-counted framing (RFC 6587 3.4.1): an
//     LF-framed message is rejected ("Invalid frame header") and the connection closed.
//   - LFAddr: network() with flags(syslog-protocol): RFC 5424 with LF framing.
//   - TLSAddr: syslog() over TLS (RFC 5425), server authentication only.
//   - MTLSAddr: TLS with peer-verify(required-trusted): the client must present a certificate
//     that chains to Certs.CAFile.
//   - UDPAddr: syslog() over UDP, one message per datagram.
//
// syslog-ng OSE 3.38 has no CEF parser; Events decodes CEF messages with liblognorm (CEFOracle).
type SyslogNG struct {
	TCPAddr, LFAddr, TLSAddr, MTLSAddr, UDPAddr string
	// Dir holds syslog-ng.conf, the pid/persist/control files, output and log.
	Dir string
	*peer
}

type syslogNGConf struct {
	Out                                         string
	CAFile, ServerCert, ServerKey               string
	TCPPort, LFPort, TLSPort, MTLSPort, UDPPort int
}

var syslogNGTemplate = template.Must(template.New("syslog-ng.conf").Parse(`@version: 3.38
# written by internal/testpeers for one test; loopback only
options { use-dns(no); dns-cache(no); keep-hostname(yes); chain-hostnames(no); stats-freq(0);
          frac-digits(6); keep-timestamp(yes); log-msg-size(65536); log-fifo-size(100000); };

# max-connections: the default 10 would refuse an exporter's 11th connection; log-iw-size is
# shared by the connections of a source.
source tcp  { syslog(ip(127.0.0.1) port({{.TCPPort}}) transport(tcp) flags(store-raw-message)
              max-connections(64) log-iw-size(64000)); };
source lf   { network(ip(127.0.0.1) port({{.LFPort}}) transport(tcp) flags(syslog-protocol, store-raw-message)
              max-connections(64) log-iw-size(64000)); };
source tls  { syslog(ip(127.0.0.1) port({{.TLSPort}}) transport(tls) flags(store-raw-message)
              max-connections(64) log-iw-size(64000)
              tls(key-file("{{.ServerKey}}") cert-file("{{.ServerCert}}") peer-verify(optional-untrusted))); };
source mtls { syslog(ip(127.0.0.1) port({{.MTLSPort}}) transport(tls) flags(store-raw-message)
              max-connections(64) log-iw-size(64000)
              tls(key-file("{{.ServerKey}}") cert-file("{{.ServerCert}}") ca-file("{{.CAFile}}")
                  peer-verify(required-trusted))); };
source udp  { syslog(ip(127.0.0.1) port({{.UDPPort}}) transport(udp) flags(store-raw-message)); };

destination events { file("{{.Out}}" template("$(format-json input=${SOURCE} pri=${PRI} timestamp=${S_ISODATE} hostname=${HOST} app_name=${PROGRAM} procid=${PID} msgid=${MSGID} structured_data=${SDATA} msg=${MESSAGE} raw=${RAWMSG} --key .SDATA.*)\n")); };

# flow-control: when the output falls behind, stop reading the TCP sources (back-pressure to the
# sender) instead of dropping messages, as syslog-ng does by default.
log { source(tcp); source(lf); source(tls); source(mtls); source(udp); destination(events); flags(flow-control); };
`))

// StartSyslogNG starts syslog-ng in t.TempDir() on free loopback ports, waits until it listens on
// all of them, and stops it in t.Cleanup. It fails the test if syslog-ng is not installed.
func StartSyslogNG(t testing.TB, certs *Certs) *SyslogNG {
	t.Helper()
	bin := syslogNGPath(t)
	dir := t.TempDir()
	for _, sub := range []string{"run", "out"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatalf("testpeers: %v", err)
		}
	}
	conf := filepath.Join(dir, "syslog-ng.conf")
	out := filepath.Join(dir, "out", "events.json")
	s := &SyslogNG{Dir: dir}
	s.peer = startPeer(t, 4, 1, func(_ int, tcp, udp []int) *daemon {
		var b strings.Builder
		if err := syslogNGTemplate.Execute(&b, syslogNGConf{
			Out: out, CAFile: certs.CAFile, ServerCert: certs.ServerCert, ServerKey: certs.ServerKey,
			TCPPort: tcp[0], LFPort: tcp[1], TLSPort: tcp[2], MTLSPort: tcp[3], UDPPort: udp[0],
		}); err != nil {
			t.Fatalf("testpeers: %v", err)
		}
		writeFile(t, conf, b.String())
		s.TCPAddr, s.LFAddr, s.TLSAddr, s.MTLSAddr, s.UDPAddr = addr(tcp[0]), addr(tcp[1]), addr(tcp[2]), addr(tcp[3]), addr(udp[0])
		return syslogNGDaemon("syslog-ng", bin, conf, dir)
	})
	s.peer.out = out
	return s
}

// syslogNGDaemon runs syslog-ng in the foreground on conf, with its run files and log in dir.
func syslogNGDaemon(name, bin, conf, dir string) *daemon {
	run := filepath.Join(dir, "run")
	return &daemon{
		name: name,
		// -R/-c: without them it writes its persist file and control socket under /var/lib;
		// --no-caps: as root with capabilities dropped it cannot write into a foreign-owned dir.
		argv: []string{bin, "-F", "-e", "--no-caps", "-f", conf,
			"-p", filepath.Join(run, "syslog-ng.pid"), "-R", filepath.Join(run, "syslog-ng.persist"),
			"-c", filepath.Join(run, "syslog-ng.ctl")},
		logFile: filepath.Join(dir, "syslog-ng.log"),
	}
}

type syslogNGLine struct {
	header
	SD map[string]map[string]string `json:"_SDATA"` // format-json renames the leading '.' of .SDATA
}

// Events returns every message received so far, in the order syslog-ng wrote them; CEF messages
// are decoded by liblognorm (one lognormalizer run per call).
func (s *SyslogNG) Events(t testing.TB) []Event {
	t.Helper()
	lines := outputLines(t, s.out)
	evs := make([]Event, 0, len(lines))
	var cefLines []string
	var cefIdx []int
	for i, l := range lines {
		var v syslogNGLine
		decodeJSON(t, "syslog-ng", l, &v)
		e := v.event(l)
		e.SD = v.SD
		if strings.HasPrefix(e.Msg, "CEF:") {
			if strings.ContainsAny(e.Msg, "\r\n") {
				e.CEFUnparsed = e.Msg
			} else {
				cefLines = append(cefLines, e.Msg)
				cefIdx = append(cefIdx, i)
			}
		}
		evs = append(evs, e)
	}
	for j, r := range CEFOracle(t, cefLines) {
		evs[cefIdx[j]].CEF, evs[cefIdx[j]].CEFUnparsed = r.CEF, r.Unparsed
	}
	return evs
}

// WaitForEvents waits until at least n messages have arrived and returns all of them. It fails the
// test, listing what did arrive, when timeout passes first.
func (s *SyslogNG) WaitForEvents(t testing.TB, n int, timeout time.Duration) []Event {
	t.Helper()
	if !waitLines(t, s.out, n, timeout) {
		failWait(t, "syslog-ng", n, timeout, s.Events(t), s.LogFile())
	}
	return s.Events(t)
}
