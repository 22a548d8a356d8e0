// Package testcollector runs the ocb-built otelcol-siem binary for end-to-end tests: it finds the
// binary, gives it free loopback ports and a private storage directory through the environment
// variables otelcol-config.yaml reads, waits until its health check answers, sends OTLP logs to it,
// and stops it (gracefully or with SIGKILL). Every end-to-end test runs the real binary through it.
package testcollector

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/unified-ot/otelcol-siem/internal/testports"
)

// RepoRoot is the repository root, found from this source file's location.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Binary returns the path of the ocb-built collector: $OTELCOL_SIEM_BIN, else _build/otelcol-siem.
// It fails the test when the binary is missing, saying how to build it.
func Binary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("OTELCOL_SIEM_BIN")
	if bin == "" {
		bin = filepath.Join(RepoRoot(), "_build", "otelcol-siem")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("collector binary %s not found (%v): run `make build` first, or set OTELCOL_SIEM_BIN", bin, err)
	}
	return bin
}

// FreePort returns a loopback TCP port that was free a moment ago and that no test helper of this
// process has handed out before (a stopped peer's port stays its own).
func FreePort(t testing.TB) int {
	t.Helper()
	return testports.TCP(t, 1)[0]
}

// collectorPort picks each port the collector listens on (a variable so that a test can hand
// out a taken one).
var collectorPort = FreePort

// Options say how to start the collector.
type Options struct {
	// Configs are --config arguments; empty means the repository's otelcol-config.yaml.
	Configs []string
	// Env adds or overrides environment variables (OTELCOL_SIEM_* and the exporters' own).
	Env map[string]string
	// StorageDir is the persistent queue's directory; empty means a fresh t.TempDir(). Pass the
	// same directory to a second Start to restart the collector on the same queue.
	StorageDir string
	// Audit keeps the collector's own audit records (siem_audit: started, stopping, heartbeats) on
	// the SIEM exporters. Off, they go to the debug exporter instead, so that a test counting the
	// records at its SIEM or in a queue sees only what it sent (see AuditOffConfig).
	Audit bool
}

// AuditOffConfig is the --config Start adds to the repository's otelcol-config.yaml unless
// Options.Audit: the audit pipeline's records go to the debug exporter, not the SIEM's.
const AuditOffConfig = "yaml:service::pipelines::logs/audit::exporters: [debug]"

// Collector is one running collector process.
type Collector struct {
	GRPCEndpoint, HTTPEndpoint, HealthEndpoint string
	MetricsPort                                int
	StorageDir                                 string

	t      testing.TB
	cmd    *exec.Cmd
	out    *SyncBuffer
	done   chan struct{}
	waitMu sync.Mutex
	err    error
}

// Start starts the collector and waits until its health check reports ready. The process is
// stopped at the end of the test if the test did not stop it.
//
// A port FreePort handed out can be taken before the collector binds it: any outgoing connection
// on the machine may get it as its ephemeral port. A collector that exits because an address is
// in use is therefore started again on other ports, up to startAttempts times in all.
func Start(t testing.TB, opts Options) *Collector {
	t.Helper()
	for attempt := 1; ; attempt++ {
		c, err := StartNoWait(t, opts)
		if err != nil {
			t.Fatal(err)
		}
		err = c.WaitHealthy(60 * time.Second)
		if err == nil {
			return c
		}
		if c.exited() && attempt < startAttempts && strings.Contains(c.Output(), "address already in use") {
			t.Logf("collector start %d: a port was taken before the collector bound it; starting again on other ports", attempt)
			continue
		}
		t.Fatalf("%v\ncollector output (last 8 KiB):\n%s", err, tail(c.Output(), 8<<10))
	}
}

// startAttempts bounds Start's attempts at a collector whose port was taken.
const startAttempts = 3

// StartNoWait starts the collector process and returns at once.
func StartNoWait(t testing.TB, opts Options) (*Collector, error) {
	t.Helper()
	bin := Binary(t)
	c := &Collector{
		GRPCEndpoint:   fmt.Sprintf("127.0.0.1:%d", collectorPort(t)),
		HTTPEndpoint:   fmt.Sprintf("127.0.0.1:%d", collectorPort(t)),
		HealthEndpoint: fmt.Sprintf("127.0.0.1:%d", collectorPort(t)),
		MetricsPort:    collectorPort(t),
		StorageDir:     opts.StorageDir,
		t:              t,
		out:            &SyncBuffer{},
		done:           make(chan struct{}),
	}
	if c.StorageDir == "" {
		c.StorageDir = t.TempDir()
	}
	configs := opts.Configs
	if len(configs) == 0 {
		configs = []string{filepath.Join(RepoRoot(), "otelcol-config.yaml")}
	}
	var args []string
	repoConfig := filepath.Join(RepoRoot(), "otelcol-config.yaml")
	auditOff := false
	for _, cfg := range configs {
		args = append(args, "--config", cfg)
		auditOff = auditOff || (!opts.Audit && filepath.Clean(cfg) == repoConfig)
	}
	if auditOff {
		args = append(args, "--config", AuditOffConfig)
	}
	c.cmd = exec.Command(bin, args...)
	c.cmd.Dir = t.TempDir()
	env := map[string]string{
		"OTELCOL_SIEM_OTLP_GRPC_ENDPOINT": c.GRPCEndpoint,
		"OTELCOL_SIEM_OTLP_HTTP_ENDPOINT": c.HTTPEndpoint,
		"OTELCOL_SIEM_HEALTH_ENDPOINT":    c.HealthEndpoint,
		"OTELCOL_SIEM_METRICS_PORT":       fmt.Sprint(c.MetricsPort),
		"OTELCOL_SIEM_STORAGE_DIR":        c.StorageDir,
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	c.cmd.Env = os.Environ()
	for k, v := range env {
		c.cmd.Env = append(c.cmd.Env, k+"="+v)
	}
	c.cmd.Stdout = c.out
	c.cmd.Stderr = c.out
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		err := c.cmd.Wait()
		c.waitMu.Lock()
		c.err = err
		c.waitMu.Unlock()
		close(c.done)
	}()
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
			<-c.done
		}
		if t.Failed() {
			t.Logf("collector output (last 8 KiB):\n%s", tail(c.Output(), 8<<10))
		}
	})
	return c, nil
}

// WaitHealthy polls the health check until it answers 200, the process exits, or timeout passes.
func (c *Collector) WaitHealthy(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-c.done:
			return fmt.Errorf("collector exited before it was healthy: %v", c.ExitErr())
		default:
		}
		resp, err := client.Get("http://" + c.HealthEndpoint + "/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("collector not healthy after %s", timeout)
}

// Wait waits up to timeout for the process to exit by itself and returns its exit error.
func (c *Collector) Wait(timeout time.Duration) (exited bool, err error) {
	select {
	case <-c.done:
		return true, c.ExitErr()
	case <-time.After(timeout):
		return false, nil
	}
}

// exited reports whether the process has exited.
func (c *Collector) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// ExitErr is the process's exit error once it has exited.
func (c *Collector) ExitErr() error {
	c.waitMu.Lock()
	defer c.waitMu.Unlock()
	return c.err
}

// Stop sends SIGTERM and waits for a graceful shutdown; it fails the test if the collector does
// not exit within timeout or exits with an error.
func (c *Collector) Stop(timeout time.Duration) {
	c.t.Helper()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	exited, err := c.Wait(timeout)
	if !exited {
		c.t.Fatalf("collector did not stop within %s after SIGTERM", timeout)
	}
	if err != nil {
		c.t.Fatalf("collector exited with %v", err)
	}
}

// Kill sends SIGKILL to the collector and waits for it to die.
func (c *Collector) Kill() {
	_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	<-c.done
}

// Pid is the collector's process id.
func (c *Collector) Pid() int { return c.cmd.Process.Pid }

// Output is everything the collector printed so far.
func (c *Collector) Output() string { return c.out.String() }

// SendGRPC sends logs to the collector's OTLP/gRPC endpoint.
func (c *Collector) SendGRPC(ctx context.Context, logs plog.Logs) error {
	return OTLPClient{}.SendGRPC(ctx, c.GRPCEndpoint, logs)
}

// SendHTTP sends logs to the collector's OTLP/HTTP endpoint as protobuf.
func (c *Collector) SendHTTP(ctx context.Context, logs plog.Logs) error {
	return OTLPClient{}.SendHTTP(ctx, c.HTTPEndpoint, logs)
}

// OTLPClient is how an OTLP client presents itself: TLS (nil: plain text) and an Authorization
// header ("" for none).
type OTLPClient struct {
	TLS           *tls.Config
	Authorization string
}

// SendGRPC exports logs to the OTLP/gRPC endpoint.
func (c OTLPClient) SendGRPC(ctx context.Context, endpoint string, logs plog.Logs) error {
	creds := insecure.NewCredentials()
	if c.TLS != nil {
		creds = credentials.NewTLS(c.TLS)
	}
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(creds))
	if err != nil {
		return err
	}
	defer conn.Close()
	if c.Authorization != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", c.Authorization)
	}
	_, err = plogotlp.NewGRPCClient(conn).Export(ctx, plogotlp.NewExportRequestFromLogs(logs))
	return err
}

// SendHTTP exports logs to the OTLP/HTTP endpoint as protobuf.
func (c OTLPClient) SendHTTP(ctx context.Context, endpoint string, logs plog.Logs) error {
	body, err := plogotlp.NewExportRequestFromLogs(logs).MarshalProto()
	if err != nil {
		return err
	}
	scheme := "http://"
	if c.TLS != nil {
		scheme = "https://"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, scheme+endpoint+"/v1/logs", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if c.Authorization != "" {
		req.Header.Set("Authorization", c.Authorization)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: c.TLS}} // bounded by ctx
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("OTLP/HTTP export: %s", resp.Status)
	}
	return nil
}

// Metric returns the sum of every sample of the named Prometheus metric whose label set contains
// all of the given label="value" pairs, read from the collector's own telemetry endpoint.
func (c *Collector) Metric(name string, labels ...string) (float64, error) {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", c.MetricsPort))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return 0, err
	}
	return SumMetric(buf.String(), name, labels...)
}

// WaitMetric polls Metric until it equals want or timeout passes, and returns the last value read.
// Exporters count a batch only after the peer answered, so a test that has seen the data arrive
// still waits a moment for the counter.
func (c *Collector) WaitMetric(want float64, timeout time.Duration, name string, labels ...string) (float64, error) {
	deadline := time.Now().Add(timeout)
	for {
		v, err := c.Metric(name, labels...)
		if (err == nil && v == want) || time.Now().After(deadline) {
			return v, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// SumMetric sums the samples of metric name in a Prometheus text exposition whose labels contain
// every one of labels (each written as key="value").
func SumMetric(exposition, name string, labels ...string) (float64, error) {
	var sum float64
	found := false
	for _, line := range strings.Split(exposition, "\n") {
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != '{' && rest[0] != ' ') {
			continue
		}
		ok := true
		for _, l := range labels {
			if !strings.Contains(rest, l) {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		fields := strings.Fields(rest[strings.LastIndexByte(rest, '}')+1:])
		if len(fields) == 0 {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(fields[0], &v); err != nil {
			return 0, fmt.Errorf("metric %s: %v", name, err)
		}
		sum += v
		found = true
	}
	if !found {
		return 0, fmt.Errorf("metric %s%v not found; exposition has:\n%s", name, labels, metricNames(exposition))
	}
	return sum, nil
}

// metricNames lists the distinct metric names of an exposition, for error messages.
func metricNames(exposition string) string {
	seen := map[string]bool{}
	var names []string
	for _, line := range strings.Split(exposition, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		n := line
		if i := strings.IndexAny(n, "{ "); i >= 0 {
			n = n[:i]
		}
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	return strings.Join(names, "\n")
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// SyncBuffer is a bytes.Buffer that a process's output and a test's reads may use at once.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
