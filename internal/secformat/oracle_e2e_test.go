//go:build e2e

package secformat

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// oracleCase is one CEF line for liblognorm, with fields whose decoded value is known from the input.
type oracleCase struct {
	name   string
	line   []byte
	header map[string]string // lognormalizer's header names -> expected
	ext    map[string]string // extension key -> expected
}

// lognormRB is the rulebase of the project's CEF oracle: liblognorm's built-in cef parser.
const lognormRB = "version=2\nrule=:%cef:cef%\n"

// work363 inserts one space after the 7th unescaped '|': liblognorm 2.0.6 (Debian 12) drops the first
// character of the first extension key otherwise (upstream issue #363, fixed upstream). The space is
// not part of any field.
func work363(line []byte) []byte {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			n++
			if n == 7 {
				out := append([]byte{}, line[:i+1]...)
				out = append(out, ' ')
				return append(out, line[i+1:]...)
			}
		}
	}
	return line
}

func oracleCorpus(t *testing.T) []oracleCase {
	var cases []oracleCase
	def := defaultCEF(t)
	for i, e := range seedEvents() {
		res, lr := e.build(i)
		cases = append(cases, oracleCase{name: "seed/" + e.name, line: def.Append(nil, res, lr),
			ext: map[string]string{"msg": e.body, "cat": string(e.cat)}})
	}

	hostileInputs := []string{
		hostile,
		"line1\nline2\r\nline3",
		`C:\path\to\file=1 | pipe`,
		"nul\x00tab\tdel\x7fesc\x1b",
		"bad\xff\xfeutf8\xc3",
		"nel\u0085ls\u2028ps\u2029",
		" leading and trailing  ",
		"ends with backslash\\",
		"k=v k2=v2",
		"CEF:0|forged|header|1|2|3|4|x=y",
		strings.Repeat("long=value\\", 200),
	}
	cfg := DefaultCEFConfig()
	cfg.DeviceVendor = `Acme|Corp\=`
	cfg.DeviceProduct = "Sec Tool"
	f := mustCEF(t, cfg)
	for n, in := range hostileInputs {
		var attrs []kv
		for _, k := range []string{secevent.KeyCategory, secevent.KeyAction, secevent.KeyOutcome, secevent.KeyReason,
			secevent.KeyUserName, secevent.KeySourceAddress, secevent.KeyServerAddress, secevent.KeyURLPath,
			secevent.KeyConfigKey, secevent.KeyCredentialName, secevent.KeyPermission, "producer.extra"} {
			attrs = append(attrs, kv{k, in})
		}
		res, lr := record(t, attrs, []kv{{secevent.KeyServiceName, in}, {secevent.KeySiteName, in}})
		lr.Body().SetStr(in)
		sig := in + "." + in
		cases = append(cases, oracleCase{
			name: "hostile/" + string(rune('a'+n)),
			line: f.Append(nil, res, lr),
			header: map[string]string{"DeviceVendor": `Acme|Corp\=`, "DeviceProduct": "Sec Tool",
				"SignatureID": expectText(sig, modeCEFHeader, 1023)},
			ext: map[string]string{
				"msg": expectText(in, modeCEFExt, 1023), "cat": expectText(in, modeCEFExt, 1023),
				"act": expectText(in, modeCEFExt, 63), "outcome": expectText(in, modeCEFExt, 63),
				"reason": expectText(in, modeCEFExt, 1023), "suser": expectText(in, modeCEFExt, 1023),
				"shost": expectText(in, modeCEFExt, 1023), "dhost": expectText(in, modeCEFExt, 1023),
				"request": expectText(in, modeCEFExt, 1023), "cs1": expectText(in, modeCEFExt, 4000),
				"cs2": expectText(in, modeCEFExt, 4000), "cs3": expectText(in, modeCEFExt, 4000),
				"deviceProcessName": expectText(in, modeCEFExt, 1023), "deviceExternalId": expectText(in, modeCEFExt, 255),
			},
		})
	}

	// An alert with hostile rule fields; a 1 MB body; a record with no fields at all.
	res, lr := record(t, []kv{{secevent.KeyCategory, "alert"}, {secevent.KeyAlertRuleID, "r|1\\"}, {secevent.KeyAlertRuleName, "Rule\nname=|"}, {secevent.KeyAlertSeverity, "critical"}}, nil)
	cases = append(cases, oracleCase{name: "alert", line: def.Append(nil, res, lr),
		header: map[string]string{"SignatureID": `r|1\`, "Name": "Rule name=|", "Severity": "10"}})
	res, lr = record(t, nil, nil)
	big := strings.Repeat("0123456789=\\|\n", 1<<20/14)
	lr.Body().SetStr(big)
	cases = append(cases, oracleCase{name: "1MB", line: def.Append(nil, res, lr), ext: map[string]string{"msg": expectText(big, modeCEFExt, 1023)}})
	empty := plog.NewLogRecord()
	cases = append(cases, oracleCase{name: "empty", line: def.Append(nil, pcommon.NewResource(), empty),
		header: map[string]string{"SignatureID": "unknown", "Name": "security event", "Severity": "5"}})
	return cases
}

// TestCEFOracleLognormalizer pipes hostile CEF lines through liblognorm's lognormalizer (the CEF
// parser rsyslog's mmnormalize uses) and checks that it decodes every field to what went in. It
// fails when lognormalizer is not installed (Debian: apt-get install liblognorm-utils).
func TestCEFOracleLognormalizer(t *testing.T) {
	bin, err := exec.LookPath("lognormalizer")
	require.NoError(t, err, "lognormalizer not found: apt-get install liblognorm-utils")
	rb := filepath.Join(t.TempDir(), "cef.rb")
	require.NoError(t, os.WriteFile(rb, []byte(lognormRB), 0o600))

	cases := oracleCorpus(t)
	var in bytes.Buffer
	for _, c := range cases {
		require.False(t, bytes.ContainsAny(c.line, "\r\n"), c.name)
		in.Write(work363(c.line))
		in.WriteByte('\n')
	}
	cmd := exec.Command(bin, "-r", rb, "-e", "json")
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "lognormalizer: %s", stderr.String())

	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	n := 0
	for sc.Scan() {
		require.Less(t, n, len(cases), "more output lines than input lines")
		c := cases[n]
		n++
		var got struct {
			CEF *struct {
				DeviceVendor, DeviceProduct, DeviceVersion, SignatureID, Name, Severity string
				Extensions                                                              map[string]string
			} `json:"cef"`
			Unparsed string `json:"unparsed-data"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &got), "%s: %s", c.name, sc.Text())
		if !assert.NotNil(t, got.CEF, "%s: liblognorm could not parse %q", c.name, c.line) {
			continue
		}
		// Everything liblognorm decoded equals what the test's independent parser decoded ...
		want, err := parseCEF(string(c.line))
		require.NoError(t, err, c.name)
		assert.Equal(t, want.Vendor, got.CEF.DeviceVendor, c.name)
		assert.Equal(t, want.Product, got.CEF.DeviceProduct, c.name)
		assert.Equal(t, want.DevVersion, got.CEF.DeviceVersion, c.name)
		assert.Equal(t, want.SignatureID, got.CEF.SignatureID, c.name)
		assert.Equal(t, want.Name, got.CEF.Name, c.name)
		assert.Equal(t, want.Severity, got.CEF.Severity, c.name)
		assert.Equal(t, want.Ext, got.CEF.Extensions, c.name)
		// ... and the fields known from the input are what went in (after the documented repairs).
		hdr := map[string]string{"DeviceVendor": got.CEF.DeviceVendor, "DeviceProduct": got.CEF.DeviceProduct,
			"SignatureID": got.CEF.SignatureID, "Name": got.CEF.Name, "Severity": got.CEF.Severity}
		for k, v := range c.header {
			assert.Equal(t, v, hdr[k], "%s: header %s", c.name, k)
		}
		for k, v := range c.ext {
			assert.Equal(t, v, got.CEF.Extensions[k], "%s: extension %s", c.name, k)
		}
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, len(cases), n, "lognormalizer output lines")
}
