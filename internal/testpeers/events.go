package testpeers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// Event is one message as a peer received and parsed it. The header fields are the peer's own
// parse, rendered by the peer; they differ slightly between peers where noted.
type Event struct {
	// Input names the listener: rsyslog "tcp" (octet-counted and LF), "tls", "mtls", "udp";
	// syslog-ng "tcp" (strict octet-counted), "lf", "tls", "mtls", "udp".
	Input string
	// PRI is the decimal priority value, e.g. "134".
	PRI string
	// Version is the RFC 5424 version ("1"); always "" from syslog-ng, which does not expose it.
	Version string
	// Timestamp is the message's own timestamp as the peer renders it (RFC 3339, microseconds):
	// rsyslog keeps "Z", syslog-ng writes "+00:00". Compare parsed times, not strings.
	Timestamp string
	Hostname  string
	AppName   string
	// ProcID and MsgID: rsyslog renders the nil value as "-", syslog-ng as "".
	ProcID string
	MsgID  string
	// StructuredData is the SD as the peer renders it ("-" from rsyslog and "" from syslog-ng when absent).
	StructuredData string
	// SD is the structured data as the peer parsed it: SD-ID -> param name -> unescaped value
	// (rsyslog mmpstrucdata, case kept; syslog-ng .SDATA.*). Nil when there is none.
	SD map[string]map[string]string
	// Msg is the MSG part. rsyslog runs with escapeControlCharactersOnReceive off, so control
	// characters (a raw LF) arrive unchanged instead of as "#012".
	Msg string
	// CEF is Msg decoded by liblognorm's CEF parser (rsyslog: mmnormalize inside the peer;
	// syslog-ng, which has no CEF parser: lognormalizer run by Events). Nil when Msg does not start
	// with "CEF:" or liblognorm rejected it (then CEFUnparsed is set).
	CEF *CEFFields
	// CEFUnparsed is liblognorm's "unparsed-data" for a rejected CEF message (after the #363
	// workaround space, see README). For syslog-ng, a CEF message with a raw CR or LF is not given to
	// lognormalizer (it reads one message per line) and comes back whole here.
	CEFUnparsed string
	// Raw is the message as received, without transport framing (rsyslog %rawmsg%, syslog-ng $RAWMSG).
	Raw string
	// Line is the peer's JSON output line this Event was decoded from.
	Line string
}

// CEFFields is a CEF record as decoded by liblognorm: escapes (\| \\ \= \n \r) are resolved.
type CEFFields struct {
	Vendor      string            `json:"DeviceVendor"`
	Product     string            `json:"DeviceProduct"`
	Version     string            `json:"DeviceVersion"`
	SignatureID string            `json:"SignatureID"`
	Name        string            `json:"Name"`
	Severity    string            `json:"Severity"`
	Extensions  map[string]string `json:"Extensions"`
}

// header is the part of the JSON output both peers' templates share.
type header struct {
	Input          string `json:"input"`
	PRI            string `json:"pri"`
	Version        string `json:"version"`
	Timestamp      string `json:"timestamp"`
	Hostname       string `json:"hostname"`
	AppName        string `json:"app_name"`
	ProcID         string `json:"procid"`
	MsgID          string `json:"msgid"`
	StructuredData string `json:"structured_data"`
	Msg            string `json:"msg"`
	Raw            string `json:"raw"`
}

func (h header) event(line string) Event {
	return Event{Input: h.Input, PRI: h.PRI, Version: h.Version, Timestamp: h.Timestamp, Hostname: h.Hostname,
		AppName: h.AppName, ProcID: h.ProcID, MsgID: h.MsgID, StructuredData: h.StructuredData, Msg: h.Msg,
		Raw: h.Raw, Line: line}
}

// outputLines returns the complete lines of a peer's output file. A last line without its newline
// is being written right now and is left for the next read.
func outputLines(t testing.TB, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // the peer creates the file with its first message
	}
	if err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	s := string(b)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	} else {
		return nil
	}
	if s == "" {
		return []string{""}
	}
	return strings.Split(s, "\n")
}

// countLines counts the complete lines of a peer's output file (0 if it does not exist yet).
func countLines(t testing.TB, path string) int {
	t.Helper()
	var c lineCounter
	return c.count(t, path)
}

// lineCounter counts complete lines incrementally, so that waiting for many messages does not
// re-read a large output file on every poll. The peers only ever append.
type lineCounter struct {
	off int64
	n   int
	buf []byte
}

func (c *lineCounter) count(t testing.TB, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return c.n
	}
	if err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	defer f.Close()
	if c.buf == nil {
		c.buf = make([]byte, 256<<10)
	}
	for {
		k, err := f.ReadAt(c.buf, c.off)
		if i := bytes.LastIndexByte(c.buf[:k], '\n'); i >= 0 {
			// Only complete lines move the offset: a partly written line is counted next time.
			c.n += bytes.Count(c.buf[:i+1], []byte{'\n'})
			c.off += int64(i + 1)
		} else if k == len(c.buf) {
			c.buf = make([]byte, 2*len(c.buf)) // one line longer than the buffer
			continue
		}
		if err == io.EOF {
			return c.n
		}
		if err != nil {
			t.Fatalf("testpeers: %v", err)
		}
	}
}

// waitLines polls path until it holds at least n complete lines or timeout passes; it reports
// whether it got there.
func waitLines(t testing.TB, path string, n int, timeout time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var c lineCounter
	for {
		if c.count(t, path) >= n {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func decodeJSON(t testing.TB, what, line string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(line), v); err != nil {
		t.Fatalf("testpeers: %s output line is not JSON (%v): %q", what, err, line)
	}
}
