//go:build e2e

package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unified-ot/otelcol-siem/internal/testcollector"
	"github.com/unified-ot/otelcol-siem/internal/testpeers"
)

// verifyBinary is the SOC's verifier: $OTELCOL_SIEM_VERIFY_BIN, else _build/otelcol-siem-verify.
func verifyBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("OTELCOL_SIEM_VERIFY_BIN")
	if bin == "" {
		bin = filepath.Join(testcollector.RepoRoot(), "_build", "otelcol-siem-verify")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s missing (%v): run `make build`, or set OTELCOL_SIEM_VERIFY_BIN", bin, err)
	}
	return bin
}

// runVerify runs the verifier on file with key and returns its exit status and output.
func runVerify(t *testing.T, key, file string) (int, string) {
	t.Helper()
	out, err := exec.Command(verifyBinary(t), "-key", key, file).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &exit):
		return exit.ExitCode(), string(out)
	}
	t.Fatalf("otelcol-siem-verify: %v\n%s", err, out)
	return -1, ""
}

// TestIntegrityRsyslogFileVerified: hostile events go through the built binary with integrity on
// (OTELCOL_SIEM_INTEGRITY_KEY_FILE) over TCP to rsyslog; the verifier, given what rsyslog wrote
// (its JSON template: the raw message and the parsed MSG), finds every record, checks every chain
// value and passes. The same file with one line removed fails with that number reported as a gap.
func TestIntegrityRsyslogFileVerified(t *testing.T) {
	certs := testpeers.NewCerts(t)
	rs := testpeers.StartRsyslog(t, certs)
	key := filepath.Join(t.TempDir(), "integrity.key")
	if err := os.WriteFile(key, []byte("3c1f0e7a9b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	col := testcollector.Start(t, testcollector.Options{Env: map[string]string{
		"OTELCOL_SIEM_EXPORTERS":          "[cef_syslog/siem]",
		"OTELCOL_SIEM_SYSLOG_TRANSPORT":   "tcp",
		"OTELCOL_SIEM_SYSLOG_ENDPOINT":    rs.TCPAddr,
		"OTELCOL_SIEM_INTEGRITY_KEY_FILE": key,
	}})
	const n = 120
	sent := sendHostile(t, col, "integrity", n, time.Now().Truncate(time.Millisecond))
	// The events and the stream's start checkpoint.
	rs.WaitForEvents(t, n+1, 30*time.Second)
	col.Stop(30 * time.Second)
	events := rs.Events(t)
	checkpoints := 0
	seen := map[string]int{}
	for _, ev := range events {
		if ev.CEF != nil && ev.CEF.Extensions["act"] == "integrity_checkpoint" {
			checkpoints++
			if ev.CEF.Extensions["cat"] != "audit" {
				t.Errorf("checkpoint record with cat %q, want audit", ev.CEF.Extensions["cat"])
			}
			continue
		}
		// liblognorm reads the integrity fields as labelled CEF custom fields, and the event's
		// own fields are unchanged by them.
		if id := checkCEF(t, ev, sent); id != "" {
			seen[id]++
		}
		x := ev.CEF.Extensions
		if x["flexString1Label"] != "otsecIntegrityStream" || x["flexNumber1Label"] != "otsecIntegritySeq" ||
			x["flexString2Label"] != "otsecIntegrity" || !strings.HasPrefix(x["flexString2"], "key:") {
			t.Errorf("integrity fields as liblognorm decoded them: %v", x)
		}
	}
	for id := range sent {
		if seen[id] != 1 {
			t.Errorf("event %s reached rsyslog %d times, want once", id, seen[id])
		}
	}
	// The start checkpoint, and the final one if the queue sent it before the exporter stopped
	// (queued at the exporter's shutdown, a persistent queue may keep it for the next start).
	if checkpoints != 1 && checkpoints != 2 {
		t.Errorf("%d checkpoint records, want the start checkpoint and at most the final one", checkpoints)
	}

	file := filepath.Join(rs.Dir, "out", "events.json")
	code, out := runVerify(t, key, file)
	t.Logf("verifier on the rsyslog file:\n%s", out)
	want := fmt.Sprintf("records checked: %d (verified %d)", len(events), len(events))
	if code != 0 || !strings.Contains(out, "result: PASS") || !strings.Contains(out, want) {
		t.Fatalf("verifier exit %d on the intact file, want 0 and %q", code, want)
	}

	// One line (the 51st record) removed from what the SIEM stored.
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(data, []byte("\n"))
	cut := filepath.Join(t.TempDir(), "events-cut.json")
	if err := os.WriteFile(cut, bytes.Join(append(lines[:50:50], lines[51:]...), nil), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out = runVerify(t, key, cut)
	t.Logf("verifier on the file with a line removed:\n%s", out)
	if code != 1 || !strings.Contains(out, "FAIL gaps (missing sequence numbers): 51 (1)") {
		t.Errorf("verifier exit %d, want 1 reporting the gap at 51", code)
	}
}
