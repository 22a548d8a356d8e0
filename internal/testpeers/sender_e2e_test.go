//go:build e2e

package testpeers

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// A tiny stdlib RFC 5424 sender, independent of the project's exporters, so that the harness is
// checked on its own.

// ioTimeout bounds every dial, write and the wait for a refusal; generous because the CI machine
// is shared.
const ioTimeout = 15 * time.Second

type framing int

const (
	octetCounted framing = iota // RFC 6587 3.4.1 / RFC 5425: "LEN SP MSG"
	lfTerminated                // RFC 6587 3.4.2: "MSG LF"
	datagram                    // RFC 5426: one message per UDP datagram
)

// sampleCEF exercises every CEF escape liblognorm resolves: \| in the header, \\ and \= and \n in
// extension values, a bare '|' in an extension value.
const sampleCEF = `CEF:0|Acme\|Corp|Sec\\Tool|1.0|100|Login \| failed|7|src=10.0.0.1 suser=alice msg=a\=b c\\d\nline2 cs1=x|y cs1Label=Pipe Test`

func sampleCEFFields() *CEFFields {
	return &CEFFields{
		Vendor: "Acme|Corp", Product: `Sec\Tool`, Version: "1.0", SignatureID: "100",
		Name: "Login | failed", Severity: "7",
		Extensions: map[string]string{
			"src": "10.0.0.1", "suser": "alice", "msg": "a=b c\\d\nline2", "cs1": "x|y", "cs1Label": "Pipe Test",
		},
	}
}

const sdText = `[ex@32473 k="v\"q\]" mode="%s"]`

// frameLine builds one RFC 5424 message whose SD param "mode" identifies it.
func frameLine(ts time.Time, mode, msg string) string {
	return fmt.Sprintf(`<134>1 %s myhost secagent 1234 ID47 %s %s`,
		ts.UTC().Format("2006-01-02T15:04:05.000000Z07:00"), fmt.Sprintf(sdText, mode), msg)
}

func frame(f framing, line string) []byte {
	switch f {
	case octetCounted:
		return []byte(fmt.Sprintf("%d %s", len(line), line))
	case lfTerminated:
		return []byte(line + "\n")
	default:
		return []byte(line)
	}
}

// send delivers lines over one connection (one datagram each for UDP). tlsCfg != nil means TLS.
func send(addr string, f framing, tlsCfg *tls.Config, lines ...string) error {
	var c net.Conn
	var err error
	switch {
	case f == datagram:
		c, err = net.Dial("udp", addr)
	case tlsCfg != nil:
		d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: ioTimeout}, Config: tlsCfg}
		c, err = d.Dial("tcp", addr)
	default:
		c, err = net.DialTimeout("tcp", addr, 5*time.Second)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	for _, l := range lines {
		if _, err := c.Write(frame(f, l)); err != nil {
			return err
		}
	}
	return nil
}

func mustSend(t *testing.T, addr string, f framing, tlsCfg *tls.Config, lines ...string) {
	t.Helper()
	if err := send(addr, f, tlsCfg, lines...); err != nil {
		t.Fatalf("send to %s: %v", addr, err)
	}
}

// sendExpectRefusal sends one line and reports how the peer refused it: a failed handshake, or
// (TLS 1.3, where the client finishes its handshake before the server checks the client's
// certificate) the server closing the connection. It fails the test if the connection stays open.
func sendExpectRefusal(t *testing.T, addr string, f framing, tlsCfg *tls.Config, line string) error {
	t.Helper()
	var c net.Conn
	var err error
	if tlsCfg != nil {
		d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: ioTimeout}, Config: tlsCfg}
		c, err = d.Dial("tcp", addr)
	} else {
		c, err = net.DialTimeout("tcp", addr, 5*time.Second)
	}
	if err != nil {
		return err // refused during the handshake
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	if _, err := c.Write(frame(f, line)); err != nil {
		return err
	}
	_, err = c.Read(make([]byte, 1))
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("%s: connection still open %s after the message (read: %v); expected the peer to refuse it", addr, ioTimeout, err)
	}
	return err
}

// byMode indexes events by their SD "mode" param.
func byMode(t *testing.T, evs []Event) map[string]Event {
	t.Helper()
	m := make(map[string]Event)
	for _, e := range evs {
		mode := e.SD["ex@32473"]["mode"]
		if _, dup := m[mode]; dup {
			t.Errorf("message %q arrived twice", mode)
		}
		m[mode] = e
	}
	return m
}

func logContains(t *testing.T, path, s string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(string(b), s)
}

func runCmd(t *testing.T, stdin string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v: %s", name, err, errb.String())
	}
	return out.String()
}
