package testpeers

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// OracleResult is liblognorm's verdict on one CEF line.
type OracleResult struct {
	// Line is the input line as given (before the #363 workaround).
	Line string
	// CEF is the decoded record; nil when liblognorm rejected the line.
	CEF *CEFFields
	// Unparsed is liblognorm's "unparsed-data" when it rejected the line (it includes the workaround
	// space after the 7th '|' when the header was complete).
	Unparsed string
	// JSON is lognormalizer's output line.
	JSON string
}

// Parsed reports whether liblognorm accepted the line as CEF.
func (r OracleResult) Parsed() bool { return r.CEF != nil }

// cefHeader matches a complete CEF:0 header up to and including its 7th unescaped '|'.
var cefHeader = regexp.MustCompile(`^CEF:0(\|([^|\\]|\\.)*){6}\|`)

// workaround363 inserts a space after the 7th header '|'. liblognorm 2.0.6 (Debian 12) drops the
// first character of the first extension key otherwise (liblognorm issue #363, fixed upstream).
// CEF allows spaces before an extension key, so the meaning of the line is unchanged.
func workaround363(line string) string {
	if h := cefHeader.FindString(line); h != "" {
		return h + " " + line[len(h):]
	}
	return line
}

// cefRulebase makes lognormalizer apply only liblognorm's built-in CEF field parser.
const cefRulebase = "version=2\nrule=:%cef:cef%\n"

// CEFOracle decodes each line with liblognorm's CEF parser (lognormalizer, the library rsyslog's
// mmnormalize uses) and returns one result per line, in order. A line must not contain CR or LF
// (lognormalizer reads one message per line); that is a test bug and fails the test.
func CEFOracle(t testing.TB, lines []string) []OracleResult {
	t.Helper()
	bin := lognormalizerPath(t)
	if len(lines) == 0 {
		return nil
	}
	// A temp file removed at once, not t.TempDir(): SyslogNG.Events calls this on every read.
	f, err := os.CreateTemp("", "testpeers-cef-*.rulebase")
	if err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	rb := f.Name()
	defer os.Remove(rb)
	_, err = f.WriteString(cefRulebase)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	var in strings.Builder
	for i, l := range lines {
		if strings.ContainsAny(l, "\r\n") {
			t.Fatalf("testpeers: CEFOracle line %d contains CR or LF: %q", i, l)
		}
		in.WriteString(workaround363(l))
		in.WriteByte('\n')
	}
	cmd := exec.Command(bin, "-r", rb, "-e", "json")
	cmd.Stdin = strings.NewReader(in.String())
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("testpeers: lognormalizer: %v: %s", err, errb.String())
	}
	outLines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	if len(outLines) != len(lines) {
		t.Fatalf("testpeers: lognormalizer gave %d lines for %d inputs:\n%s\nstderr: %s", len(outLines), len(lines), out.String(), errb.String())
	}
	res := make([]OracleResult, len(lines))
	for i, o := range outLines {
		res[i] = decodeOracle(t, lines[i], o)
	}
	return res
}

// lognormOutput is liblognorm's JSON for a CEF rule: {"cef":{...}} on success,
// {"originalmsg":..., "unparsed-data":...} on failure.
type lognormOutput struct {
	CEF      *CEFFields `json:"cef"`
	Unparsed *string    `json:"unparsed-data"`
}

func decodeOracle(t testing.TB, line, out string) OracleResult {
	t.Helper()
	var v lognormOutput
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("testpeers: lognormalizer output is not JSON (%v): %q", err, out)
	}
	r := OracleResult{Line: line, JSON: out}
	switch {
	case v.CEF != nil && v.Unparsed == nil:
		if v.CEF.Extensions == nil {
			v.CEF.Extensions = map[string]string{}
		}
		r.CEF = v.CEF
	case v.Unparsed != nil:
		r.Unparsed = *v.Unparsed
	default:
		t.Fatalf("testpeers: unexpected lognormalizer output: %q", out)
	}
	return r
}
