package testpeers

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// peer is what every daemon-backed peer shares: the process, its ports and its output file.
type peer struct {
	d        *daemon
	out      string // the JSON-per-event output file
	tcpPorts []int
	udpPorts []int
}

// LogFile is the daemon's stdout/stderr (across restarts), for diagnosing a failed test.
func (p *peer) LogFile() string { return p.d.logFile }

// OutputFile is the peer's JSON output, one line per received message.
func (p *peer) OutputFile() string { return p.out }

// Running reports whether the daemon process is alive.
func (p *peer) Running() bool { return p.d.running() }

// Stop stops the daemon (SIGTERM to its process group, SIGKILL after 10 s). Its output stays
// readable and Restart starts it again. Stopping a stopped peer does nothing.
func (p *peer) Stop(t testing.TB) {
	t.Helper()
	if err := p.d.stop(); err != nil {
		t.Errorf("testpeers: %v", err)
	}
}

// Kill ends the daemon abruptly (SIGKILL to its process group), like a crash: messages it had
// accepted but not yet written are lost. Restart starts it again.
func (p *peer) Kill(t testing.TB) {
	t.Helper()
	p.d.kill()
}

// Count returns how many messages the peer has written so far, without decoding them.
func (p *peer) Count(t testing.TB) int {
	t.Helper()
	return countLines(t, p.out)
}

// Restart stops the daemon if it runs and starts it again on the same ports with the same
// configuration; output received before is kept (the peer appends). It fails the test if the
// ports cannot be bound again.
func (p *peer) Restart(t testing.TB) {
	t.Helper()
	p.Stop(t)
	// The peer must come back on its own ports, which the collector is configured with. While it
	// was down one of them can be the ephemeral source port of some other connection (seen once in
	// CI: "port taken by another process"); that lasts as long as the connection, so try again.
	deadline := time.Now().Add(restartTimeout)
	for {
		if err := p.d.start(); err != nil {
			t.Fatalf("testpeers: restart: %v", err)
		}
		err := p.d.waitListening(p.tcpPorts, p.udpPorts)
		if err == nil {
			return
		}
		exited := !p.d.running() // syslog-ng exits when it cannot bind
		_ = p.d.stop()
		if !(errors.Is(err, errPortTaken) || exited) || time.Now().After(deadline) {
			t.Fatalf("testpeers: restart: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// restartTimeout bounds how long Restart waits for its ports to be free again.
const restartTimeout = 10 * time.Second

// startPeer starts a daemon on fresh ports, retrying with new ports when another process took one
// between the choice and the bind. setup picks the ports' roles, writes the configuration and
// returns the daemon to run.
func startPeer(t testing.TB, nTCP, nUDP int, setup func(attempt int, tcp, udp []int) *daemon) *peer {
	t.Helper()
	var lastErr error
	for attempt := 1; attempt <= startTries; attempt++ {
		tcp, udp := freePorts(t, nTCP, nUDP)
		d := setup(attempt, tcp, udp)
		if err := d.start(); err != nil {
			t.Fatalf("testpeers: %v", err)
		}
		// Registered before the wait, so a failing test still stops the daemon.
		t.Cleanup(func() {
			if err := d.stop(); err != nil {
				t.Errorf("testpeers: %v", err)
			}
		})
		err := d.waitListening(tcp, udp)
		if err == nil {
			return &peer{d: d, tcpPorts: tcp, udpPorts: udp}
		}
		exited := !d.running() // syslog-ng exits when it cannot bind
		_ = d.stop()
		lastErr = err
		if !errors.Is(err, errPortTaken) && !exited {
			break // running but not listening in time: not a port race, a retry would hang as long
		}
	}
	t.Fatalf("testpeers: %v", fmt.Errorf("starting the peer failed: %w", lastErr))
	return nil
}
