package testpeers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWorkaround363(t *testing.T) {
	for in, want := range map[string]string{
		`CEF:0|A|B|1|2|N|3|k=v`:                  `CEF:0|A|B|1|2|N|3| k=v`,
		`CEF:0|A|B|1|2|N|3|`:                     `CEF:0|A|B|1|2|N|3| `,
		`CEF:0|A\|x|B|1|2|N|3|k=v`:               `CEF:0|A\|x|B|1|2|N|3| k=v`, // escaped pipe is not a separator
		`CEF:0|A\\|B|1|2|N|3|k=v`:                `CEF:0|A\\|B|1|2|N|3| k=v`,  // escaped backslash, then a separator
		`CEF:0|A|B|1|2|Login \| failed|7|k=v`:    `CEF:0|A|B|1|2|Login \| failed|7| k=v`,
		`CEF:0|A|B|1|2|N|3|cs1=x|y`:              `CEF:0|A|B|1|2|N|3| cs1=x|y`, // only the 7th '|'
		`CEF:0|A|B|1|2|N|3`:                      `CEF:0|A|B|1|2|N|3`,          // incomplete header: unchanged
		`CEF:1|A|B|1|2|N|3|k=v`:                  `CEF:1|A|B|1|2|N|3|k=v`,      // not CEF:0: unchanged
		`not cef`:                                `not cef`,
		`xCEF:0|A|B|1|2|N|3|k=v`:                 `xCEF:0|A|B|1|2|N|3|k=v`,
		`CEF:0|A|B|1|2|N|3| already spaced k=v`:  `CEF:0|A|B|1|2|N|3|  already spaced k=v`,
		`CEF:0|Acme\|Corp|Sec\\Tool|1.0|1|N|7|x`: `CEF:0|Acme\|Corp|Sec\\Tool|1.0|1|N|7| x`,
	} {
		assert.Equal(t, want, workaround363(in), "input %q", in)
	}
}

// rsyslogSample is a line of the "event" template as rsyslog 8.2302 wrote it.
const rsyslogSample = `{"input":"tls","pri":"134","version":"1","timestamp":"2026-11-26T17:10:49.822986Z","hostname":"myhost","app_name":"secagent","procid":"1234","msgid":"ID47","structured_data":"[ex@32473 k=\"v\\\"q\\]\" mode=\"tls\"]","msg":"CEF:0|Acme\\|Corp|Sec\\\\Tool|1.0|100|Login \\| failed|7|src=10.0.0.1 msg=a\\=b\\nline2","raw":"<134>1 2026-11-26T17:10:49.822986Z myhost secagent 1234 ID47 [ex@32473 k=\"v\\\"q\\]\" mode=\"tls\"] CEF:0|Acme\\|Corp|Sec\\\\Tool|1.0|100|Login \\| failed|7|src=10.0.0.1 msg=a\\=b\\nline2","vars":{ "peer": "rsyslog", "rfc5424-sd": { "ex@32473": { "k": "v\"q]", "mode": "tls" } }, "cef": { "DeviceVendor": "Acme|Corp", "DeviceProduct": "Sec\\Tool", "DeviceVersion": "1.0", "SignatureID": "100", "Name": "Login | failed", "Severity": "7", "Extensions": { "src": "10.0.0.1", "msg": "a=b\nline2" } } }}
{"input":"tcp","pri":"134","version":"1","timestamp":"2026-11-26T17:10:50.451950Z","hostname":"myhost","app_name":"secagent","procid":"-","msgid":"-","structured_data":"-","msg":"CEF:0|A|B|1|2|N|3|k=a\\|b","raw":"<134>1 2026-11-26T17:10:50.451950Z myhost secagent - - - CEF:0|A|B|1|2|N|3|k=a\\|b","vars":{ "peer": "rsyslog", "originalmsg": "CEF:0|A|B|1|2|N|3| k=a\\|b", "unparsed-data": "CEF:0|A|B|1|2|N|3| k=a\\|b" }}
{"input":"udp","pri":"13","version":"1","timestamp":"2026-11-26T17:10:50.862356Z","hostname":"h","app_name":"a","procid":"-","msgid":"-","structured_data":"-","msg":"plain","raw":"<13>1 2026-11-26T17:10:50.862356Z h a - - - plain","vars":{ "peer": "rsyslog" }}
{"input":"tcp","pri":"13","version":"1","timestamp":"2026-11-26T17:10:50.862356Z","hostname":"h","app_name":"a","procid":"-","msgid":"-","structured_data":"-","msg":"CEF:0|A|B|1|2|N|3|","raw":"x","vars":{ "peer": "rsyslog", "cef": { "DeviceVendor": "A", "DeviceProduct": "B", "DeviceVersion": "1", "SignatureID": "2", "Name": "N", "Severity": "3", "Extensions": { } } }}
{"input":"tcp","pri":"13"`

func TestRsyslogEventsDecoding(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "events.json")
	r := &Rsyslog{peer: &peer{out: out}}
	assert.Empty(t, r.Events(t), "no output file yet: no events")

	require.NoError(t, os.WriteFile(out, []byte(rsyslogSample), 0o644))
	evs := r.Events(t)
	require.Len(t, evs, 4, "the unterminated last line is still being written and must be left out")

	e := evs[0]
	assert.Equal(t, "tls", e.Input)
	assert.Equal(t, "134", e.PRI)
	assert.Equal(t, "1", e.Version)
	assert.Equal(t, "2026-11-26T17:10:49.822986Z", e.Timestamp)
	assert.Equal(t, "myhost", e.Hostname)
	assert.Equal(t, "secagent", e.AppName)
	assert.Equal(t, "1234", e.ProcID)
	assert.Equal(t, "ID47", e.MsgID)
	assert.Equal(t, `[ex@32473 k="v\"q\]" mode="tls"]`, e.StructuredData)
	assert.Equal(t, map[string]map[string]string{"ex@32473": {"k": `v"q]`, "mode": "tls"}}, e.SD)
	assert.Equal(t, `CEF:0|Acme\|Corp|Sec\\Tool|1.0|100|Login \| failed|7|src=10.0.0.1 msg=a\=b\nline2`, e.Msg)
	assert.True(t, strings.HasPrefix(e.Raw, "<134>1 2026-11-26T17:10:49.822986Z "))
	assert.Equal(t, &CEFFields{Vendor: "Acme|Corp", Product: `Sec\Tool`, Version: "1.0", SignatureID: "100",
		Name: "Login | failed", Severity: "7", Extensions: map[string]string{"src": "10.0.0.1", "msg": "a=b\nline2"}}, e.CEF)
	assert.Empty(t, e.CEFUnparsed)
	assert.Equal(t, strings.Split(rsyslogSample, "\n")[0], e.Line)

	assert.Nil(t, evs[1].CEF)
	assert.Equal(t, `CEF:0|A|B|1|2|N|3| k=a\|b`, evs[1].CEFUnparsed)
	assert.Equal(t, "-", evs[1].ProcID)
	assert.Nil(t, evs[1].SD)

	assert.Nil(t, evs[2].CEF)
	assert.Empty(t, evs[2].CEFUnparsed)
	assert.Equal(t, "udp", evs[2].Input)

	require.NotNil(t, evs[3].CEF)
	assert.NotNil(t, evs[3].CEF.Extensions, "an empty extension is an empty map, not nil")
	assert.Empty(t, evs[3].CEF.Extensions)
}

func TestRsyslogEventsBadJSONFails(t *testing.T) {
	out := filepath.Join(t.TempDir(), "events.json")
	require.NoError(t, os.WriteFile(out, []byte("{not json\n"), 0o644))
	r := &Rsyslog{peer: &peer{out: out}}
	ft := &fatalRecorder{TB: t}
	ft.run(func() { r.Events(ft) })
	assert.True(t, ft.failed)
	assert.Contains(t, ft.msg, "not JSON")
}

// Without the peers installed, every entry point fails the test and names the install script.
func TestMissingPeersFailNamingInstallScript(t *testing.T) {
	t.Setenv(EnvRsyslogDir, filepath.Join(t.TempDir(), "no-rsyslog"))
	t.Setenv(EnvSyslogNG, filepath.Join(t.TempDir(), "no-syslog-ng"))
	t.Setenv(EnvLognormalizer, filepath.Join(t.TempDir(), "no-lognormalizer"))
	certs := NewCerts(t)
	for name, fn := range map[string]func(tb *fatalRecorder){
		"StartRsyslog":  func(tb *fatalRecorder) { StartRsyslog(tb, certs) },
		"StartSyslogNG": func(tb *fatalRecorder) { StartSyslogNG(tb, certs) },
		"CEFOracle":     func(tb *fatalRecorder) { CEFOracle(tb, []string{"CEF:0|A|B|1|2|N|3|k=v"}) },
	} {
		ft := &fatalRecorder{TB: t}
		ft.run(func() { fn(ft) })
		assert.True(t, ft.failed, "%s must fail the test", name)
		assert.Contains(t, ft.msg, InstallScript, name)
		assert.Contains(t, ft.msg, "not found", name)
	}
}

func TestFreePortsDistinct(t *testing.T) {
	tcp, udp := freePorts(t, 5, 2)
	require.Len(t, tcp, 5)
	require.Len(t, udp, 2)
	seen := map[int]bool{}
	for _, p := range tcp {
		assert.False(t, seen[p], "duplicate tcp port %d", p)
		seen[p] = true
		assert.Positive(t, p)
	}
	assert.NotEqual(t, udp[0], udp[1])
}

func TestLineCounter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.json")
	var c lineCounter
	assert.Equal(t, 0, c.count(t, path), "missing file")
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	write := func(s string) {
		_, err := f.WriteString(s)
		require.NoError(t, err)
	}
	write("{}\n{\"a\":")
	assert.Equal(t, 1, c.count(t, path), "a partly written line is not counted")
	write("1}\n")
	assert.Equal(t, 2, c.count(t, path))
	long := strings.Repeat("x", 600<<10) // longer than the initial buffer
	write(long + "\n" + long)
	assert.Equal(t, 3, c.count(t, path))
	write("\n\n")
	assert.Equal(t, 5, c.count(t, path))
	assert.Equal(t, 5, countLines(t, path), "a fresh count agrees")
	assert.Equal(t, 5, len(outputLines(t, path)))
}
