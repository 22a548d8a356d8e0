package testpeers

import (
	"github.com/unified-ot/otelcol-siem/internal/testports"

	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	startTimeout = 60 * time.Second // time for a daemon to bind all its ports; rsyslog took 9 s on 2 cores at load 16
	stopTimeout  = 10 * time.Second // time for a daemon to exit on SIGTERM before SIGKILL
	startTries   = 3                // attempts with fresh ports when another process took one
)

// daemon is one peer process in its own process group. It is started with a parent-death signal,
// so a crashed or killed test binary does not leave it behind, and stopped through its group.
type daemon struct {
	name    string
	argv    []string
	logFile string // the daemon's stdout+stderr, appended to across restarts
	cmd     *exec.Cmd
	done    chan struct{}
	waitErr error
}

func (d *daemon) start() error {
	log, err := os.OpenFile(d.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close() // the child holds its own copy
	fmt.Fprintf(log, "=== testpeers: starting %s at %s: %s\n", d.name, time.Now().Format(time.RFC3339Nano), strings.Join(d.argv, " "))
	cmd := exec.Command(d.argv[0], d.argv[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", d.name, err)
	}
	d.cmd, d.done = cmd, make(chan struct{})
	go func() {
		d.waitErr = cmd.Wait()
		close(d.done)
	}()
	return nil
}

// kill ends the process group at once (SIGKILL): whatever the daemon had queued is lost, as in
// a crash of the SIEM's collector.
func (d *daemon) kill() {
	if d.cmd == nil {
		return
	}
	_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	<-d.done
	d.cmd = nil
}

func (d *daemon) running() bool {
	if d.cmd == nil {
		return false
	}
	select {
	case <-d.done:
		return false
	default:
		return true
	}
}

// stop terminates the whole process group: SIGTERM (peers flush their output files), then SIGKILL.
func (d *daemon) stop() error {
	if d.cmd == nil {
		return nil
	}
	defer func() { d.cmd = nil }()
	pgid := d.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-d.done:
		return nil
	case <-time.After(stopTimeout):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-d.done
	return fmt.Errorf("%s did not exit within %s of SIGTERM; killed", d.name, stopTimeout)
}

// waitListening waits until the daemon itself (not some other process) holds listening sockets
// on every given 127.0.0.1 port, judged from /proc: no probe connection is made, because a probe
// would show up in the peer's logs and, on syslog-ng's strict port, as a framing error.
func (d *daemon) waitListening(tcpPorts, udpPorts []int) error {
	deadline := time.Now().Add(startTimeout)
	for {
		if !d.running() {
			return fmt.Errorf("%s exited (%v) before listening; log %s:\n%s", d.name, d.waitErr, d.logFile, tail(d.logFile, 20))
		}
		ok, err := ownsPorts(d.cmd.Process.Pid, tcpPorts, udpPorts)
		if err != nil {
			return fmt.Errorf("%s: %w; log %s:\n%s", d.name, err, d.logFile, tail(d.logFile, 20))
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening on tcp %v / udp %v after %s; log %s:\n%s",
				d.name, tcpPorts, udpPorts, startTimeout, d.logFile, tail(d.logFile, 20))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// errPortTaken means another process holds one of the ports: start again on fresh ports at once
// (rsyslog keeps running when a listener fails to bind, so waiting would only run into the timeout).
var errPortTaken = errors.New("port taken by another process")

func ownsPorts(pid int, tcpPorts, udpPorts []int) (bool, error) {
	// The tables are read before the process's descriptors: a socket listed in a table by then is
	// already among the descriptors, so a socket bound in between cannot look like a stranger's.
	tcp, err := boundInodes("/proc/net/tcp", "0A") // TCP_LISTEN
	if err != nil {
		return false, err
	}
	udp, err := boundInodes("/proc/net/udp", "07") // TCP_CLOSE is how a bound UDP socket shows
	if err != nil {
		return false, err
	}
	inodes, err := socketInodes(pid)
	if err != nil || inodes == nil {
		return false, err
	}
	ok := true
	for _, c := range []struct {
		ports []int
		bound map[int]string
		proto string
	}{{tcpPorts, tcp, "tcp"}, {udpPorts, udp, "udp"}} {
		for _, p := range c.ports {
			ino, bound := c.bound[p]
			switch {
			case !bound:
				ok = false
			case !inodes[ino]:
				return false, fmt.Errorf("%s port %d: %w", c.proto, p, errPortTaken)
			}
		}
	}
	return ok, nil
}

// socketInodes returns the inodes of the sockets process pid has open.
func socketInodes(pid int) (map[string]bool, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil // exited meanwhile; the caller sees it on the next round
		}
		return nil, err
	}
	out := make(map[string]bool)
	for _, e := range ents {
		l, err := os.Readlink(filepath.Join(dir, e.Name()))
		if err == nil && strings.HasPrefix(l, "socket:[") {
			out[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	return out, nil
}

// boundInodes maps 127.0.0.1 ports in state st to socket inodes, from a /proc/net/{tcp,udp} table.
func boundInodes(table, st string) (map[int]string, error) {
	f, err := os.Open(table)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := make(map[int]string)
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 10 || fs[3] != st {
			continue
		}
		host, port, ok := strings.Cut(fs[1], ":")
		if !ok || host != "0100007F" { // 127.0.0.1 in the kernel's byte order
			continue
		}
		p, err := strconv.ParseUint(port, 16, 16)
		if err != nil {
			continue
		}
		out[int(p)] = fs[9]
	}
	return out, sc.Err()
}

// freePorts returns n distinct TCP ports and m distinct UDP ports that were free on 127.0.0.1 a
// moment ago. The listener is closed before the peer binds, so another process can take a port in
// between; the Start functions then retry with fresh ports.
func freePorts(t testing.TB, n, m int) (tcp, udp []int) {
	t.Helper()
	return testports.TCP(t, n), testports.UDP(t, m)
}

func addr(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// tail returns the last n lines of a file, for failure messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
