package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestQueueCapacityHoldsTheBacklogAndItsAlerts(t *testing.T) {
	for _, tc := range []struct{ backlog, want int }{
		{20000, minQueueSize},
		{100000, minQueueSize},
		{1000000, 1101100}, // 1 000 000 events + 1000 alerts, a tenth to spare
	} {
		got := queueCapacity(tc.backlog)
		if got != tc.want {
			t.Errorf("queueCapacity(%d) = %d, want %d", tc.backlog, got, tc.want)
		}
		if got < tc.backlog+expectedAlerts(tc.backlog) {
			t.Errorf("queueCapacity(%d) = %d holds fewer than the backlog and its alerts", tc.backlog, got)
		}
	}
}

func TestSplitFsyncAndTitle(t *testing.T) {
	for _, tc := range []struct {
		sc, base string
		fsync    bool
	}{
		{"cef-tcp-queue", "cef-tcp-queue", false},
		{"cef-tcp-queue-fsync", "cef-tcp-queue", true},
		{"cef-tls-queue-fsync", "cef-tls-queue", true},
		{"backlog-cef-tcp-fsync", "backlog-cef-tcp", true},
		{"hec-json-gzip", "hec-json-gzip", false},
	} {
		base, fsync, err := splitFsync(tc.sc)
		if err != nil || base != tc.base || fsync != tc.fsync {
			t.Errorf("splitFsync(%q) = %q, %t, %v; want %q, %t", tc.sc, base, fsync, err, tc.base, tc.fsync)
		}
	}
	for _, sc := range []string{"cef-tcp-fsync", "hec-json-gzip-queue-fsync"} {
		if _, _, err := splitFsync(sc); err == nil {
			t.Errorf("splitFsync(%q): no error for a scenario without a persistent queue on both sides", sc)
		}
	}
	if got, want := scenarioTitle("cef-tcp-queue-fsync"), "cef-tcp-queue-fsync (otelcol-siem fsync: true, contrib fsync: false)"; got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	if got := scenarioTitle("cef-tcp-queue"); got != "cef-tcp-queue" {
		t.Errorf("title = %q", got)
	}
}

func TestSplitIntegrity(t *testing.T) {
	for _, tc := range []struct {
		sc, base  string
		integrity bool
	}{
		{"cef-tcp-queue-integrity", "cef-tcp-queue", true},
		{"cef-tls-queue-fsync-integrity", "cef-tls-queue-fsync", true},
		{"cef-tcp-queue", "cef-tcp-queue", false},
	} {
		base, integrity, err := splitIntegrity(tc.sc)
		if err != nil || base != tc.base || integrity != tc.integrity {
			t.Errorf("splitIntegrity(%q) = %q, %t, %v; want %q, %t", tc.sc, base, integrity, err, tc.base, tc.integrity)
		}
	}
	for _, sc := range []string{"cef-tcp-integrity", "hec-json-gzip-queue-integrity", "backlog-cef-tcp-integrity"} {
		if _, _, err := splitIntegrity(sc); err == nil {
			t.Errorf("splitIntegrity(%q): no error for a scenario without otelcol-siem's persistent queue", sc)
		}
	}
}

// The chunked load is the load of one FailedLogins call, byte for byte: same requests, times,
// user names and event ids.
func TestDirBytesAndGroupDigits(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, size := range map[string]int{"a": 100, "sub/b": 23} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Repeat("x", size)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := dirBytes(dir); err != nil || got != 123 {
		t.Errorf("dirBytes = %d, %v; want 123", got, err)
	}
	if _, err := dirBytes(filepath.Join(dir, "missing")); err == nil {
		t.Error("dirBytes of a missing directory: no error")
	}
	for n, want := range map[int]string{0: "0", 999: "999", 20000: "20 000", 100000: "100 000", 1000000: "1 000 000"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}
