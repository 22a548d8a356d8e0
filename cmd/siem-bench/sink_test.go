package main

import (
	"net"
	"strings"
	"testing"
	"time"
)

func TestFrameSinkCountsOctetCountedFrames(t *testing.T) {
	s, err := newFrameSink(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	var wire []byte
	for _, m := range []string{
		"<132>1 2026-11-26T10:00:00Z h app - authentication CEF:0|a|b|1|x|y|5|msg=1",
		"<132>1 2026-11-26T10:00:00Z h app - alert CEF:0|a|b|1|x|y|8|msg=alert",
		"<132>1 2026-11-26T10:00:00Z h app - network msg with\nnewline 12 34",
	} {
		wire = appendOctetCounted(wire, []byte(m))
	}
	if _, err := c.Write(wire); err != nil {
		t.Fatal(err)
	}
	if got := s.WaitFrames(2, 5*time.Second); got != 2 {
		t.Fatalf("frames = %d, want 2 (alert frames are counted apart)", got)
	}
	if s.alerts.Load() != 1 {
		t.Fatalf("alerts = %d, want 1", s.alerts.Load())
	}
	// A frame without a valid length header breaks the connection and is counted as bad.
	if _, err := c.Write([]byte("012 bad")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.badConn.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if s.badConn.Load() != 1 {
		t.Fatalf("bad connections = %d, want 1", s.badConn.Load())
	}
	c.Close()
}

func TestBaselineConfigCarriesQueueAndTLS(t *testing.T) {
	cfg := baselineConfig("127.0.0.1:6514", "/tmp/ca.pem", true, 1234567, 4317, 13133, "/tmp/q")
	for _, want := range []string{"enable_octet_counting: true", "ca_file: /tmp/ca.pem", "storage: file_storage", "port: 6514", "extensions: [file_storage]", "queue_size: 1234567"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("baseline config lacks %q:\n%s", want, cfg)
		}
	}
	cfg = baselineConfig("127.0.0.1:514", "", false, minQueueSize, 4317, 13133, "/tmp/q")
	for _, unwanted := range []string{"file_storage", "ca_file"} {
		if strings.Contains(cfg, unwanted) {
			t.Errorf("baseline config without queue/TLS has %q:\n%s", unwanted, cfg)
		}
	}
}
