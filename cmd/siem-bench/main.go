// Command siem-bench is the end-to-end benchmark of `make bench-e2e`: it drives the ocb-built
// otelcol-siem and a baseline distribution built with contrib's syslogexporter with the same OTLP
// load into the same loopback sink that counts octet-counted frames, and prints events/s, CPU
// seconds per million events and peak RSS side by side, plus the floor: the same number of
// pre-formatted frames written to the sink by a minimal writer.
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"net/http"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.yaml.in/yaml/v3"

	"github.com/unified-ot/otelcol-siem/internal/procstat"
)

type options struct {
	siemBin, baselineBin, repo string
	events, batch, senders     int
	runs                       int
	scenarios                  []string
	out                        string
	profile                    string
	siemExtensions             []string // with profile: service::extensions of the site config
	profileSeconds             int
	backlog                    int  // events queued while the sink is down (backlog scenarios)
	queueSize                  int  // both distributions' queue capacity in records
	storageFsync               bool // otelcol-siem's queue_storage fsync, set per scenario
	// integrityKey, when set, turns on cef_syslog/siem's integrity stamping with this key file
	// (the -integrity scenarios).
	integrityKey string
}

// The two distributions measured.
const (
	distBaseline = "contrib syslogexporter v0.148.0"
	distSIEM     = "otelcol-siem"
)

// result is one measured run.
type result struct {
	EventsPerSec float64
	CPUPerMEvent float64 // CPU seconds per million events
	PeakRSSMB    float64
	Frames       int64
	Alerts       int64
	// DiskBytesPerEvent is the storage directory's size once the backlog is stored, per queued
	// event (backlog scenarios; 0 otherwise).
	DiskBytesPerEvent float64
}

func main() {
	var o options
	var scen string
	flag.StringVar(&o.siemBin, "siem", "_build/otelcol-siem", "otelcol-siem binary")
	flag.StringVar(&o.baselineBin, "baseline", "_build/baseline/otelcol-baseline", "baseline binary (contrib syslogexporter)")
	flag.StringVar(&o.repo, "repo", ".", "repository root (for otelcol-config.yaml)")
	flag.IntVar(&o.events, "events", 200000, "events per run")
	flag.IntVar(&o.batch, "batch", 500, "records per OTLP request")
	flag.IntVar(&o.senders, "senders", 4, "concurrent OTLP clients")
	flag.IntVar(&o.runs, "runs", 3, "runs per scenario and distribution (the table shows medians)")
	flag.StringVar(&scen, "scenarios", "cef-tcp,cef-tcp-queue,cef-tcp-queue-fsync,cef-tls,cef-tls-queue,hec-json-gzip,hec-json-gzip-queue,backlog-cef-tcp",
		"comma-separated scenarios: cef-{tcp,tls}[-queue[-fsync][-integrity]], hec-json-gzip[-queue], backlog-cef-tcp[-fsync]; "+
			"-fsync: otelcol-siem's queue_storage with fsync, contrib's file_storage without (its default); "+
			"-integrity: otelcol-siem stamps every record (integrity: on cef_syslog/siem; compare with the same scenario without it)")
	flag.StringVar(&o.out, "out", "", "also write the markdown table to this file")
	flag.StringVar(&o.profile, "profile", "", "write a CPU profile of otelcol-siem's first run of each scenario to FILE.<scenario>.pprof (pprof extension)")
	flag.IntVar(&o.profileSeconds, "profile-seconds", 5, "length of the CPU profile")
	flag.IntVar(&o.backlog, "backlog-events", 100000, "events queued while the sink is down (backlog scenarios)")
	flag.Parse()
	o.scenarios = strings.Split(scen, ",")
	o.queueSize = queueCapacity(o.backlog)
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "siem-bench:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.profile != "" {
		exts, err := serviceExtensions(filepath.Join(o.repo, "otelcol-config.yaml"))
		if err != nil {
			return err
		}
		o.siemExtensions = exts
	}
	var table strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&table, "Machine: %s, %d cores, %s; %s; %d events of ~%d bytes per run, %d OTLP clients, batches of %d; median of %d runs.\n\n",
		host, runtime.NumCPU(), goVersion(), time.Now().UTC().Format("2006-01-02 15:04 UTC"), o.events, eventBytes(), o.senders, o.batch, o.runs)
	table.WriteString("| scenario | distribution | events/s | ratio vs contrib | CPU s / 1M events | peak RSS MB | disk bytes / event |\n|---|---|---|---|---|---|---|\n")
	for _, sc := range o.scenarios {
		withoutIntegrity, integrity, err := splitIntegrity(sc)
		if err != nil {
			return err
		}
		base, fsync, err := splitFsync(withoutIntegrity)
		if err != nil {
			return err
		}
		useTLS := strings.Contains(base, "tls")
		queue := strings.HasSuffix(base, "-queue")
		o := o // this scenario's options (storageFsync)
		o.storageFsync = fsync
		switch {
		case strings.HasPrefix(sc, "hec-"):
			if err := runHEC(o, sc, queue, &table); err != nil {
				return err
			}
			continue
		case strings.HasPrefix(sc, "backlog-"):
			if err := runBacklog(o, sc, &table); err != nil {
				return err
			}
			continue
		case !strings.HasPrefix(sc, "cef-"):
			return fmt.Errorf("unknown scenario %q", sc)
		}
		var tlsCfg *tls.Config
		var caFile string
		tmp, err := os.MkdirTemp("", "siem-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		if integrity {
			o.integrityKey = filepath.Join(tmp, "integrity.key")
			if err := os.WriteFile(o.integrityKey, []byte(benchIntegrityKey+"\n"), 0o600); err != nil {
				return err
			}
		}
		if useTLS {
			tlsCfg, caFile, err = selfSignedTLS(tmp)
			if err != nil {
				return err
			}
		}
		sink, err := newFrameSink(tlsCfg)
		if err != nil {
			return err
		}
		reqs := buildRequests(o.events, o.batch, sc)
		load, err := encodeRequests(reqs)
		if err != nil {
			return err
		}
		// The two distributions take turns, run by run: this VM's speed drifts over minutes, and
		// a drift must not land on one distribution only.
		runs := map[string][]result{}
		for i := 0; i < o.runs; i++ {
			for _, dist := range []string{distBaseline, distSIEM} {
				sink.Reset()
				profileFile := ""
				if o.profile != "" && dist == distSIEM && i == 0 {
					profileFile = o.profile + "." + sc + ".pprof"
				}
				r, err := measureCollector(o, dist, sink, load, caFile, queue, tmp, profileFile)
				if err != nil {
					sink.Close()
					return fmt.Errorf("%s %s run %d: %w", sc, dist, i+1, err)
				}
				fmt.Fprintf(os.Stderr, "%s %s run %d: %.0f events/s, %.2f CPU s/1M, %.0f MB peak RSS (%d frames, %d alerts)\n",
					sc, dist, i+1, r.EventsPerSec, r.CPUPerMEvent, r.PeakRSSMB, r.Frames, r.Alerts)
				runs[dist] = append(runs[dist], r)
			}
		}
		sink.Reset()
		floor, err := measureFloor(o, sink, reqs, useTLS)
		sink.Close()
		if err != nil {
			return fmt.Errorf("%s floor: %w", sc, err)
		}
		writeRows(&table, scenarioTitle(sc), runs)
		fmt.Fprintf(&table, "| %s | floor: pre-formatted frames, one writer | %.0f | %.2f× | - | - | - |\n", scenarioTitle(sc), floor, floor/median(runs[distBaseline]).EventsPerSec)
	}
	fmt.Print(table.String())
	if o.out != "" {
		return os.WriteFile(o.out, []byte(table.String()), 0o644)
	}
	return nil
}

// splitFsync takes an -fsync scenario apart: the scenario it varies, and whether otelcol-siem's
// queue_storage syncs to disk. It exists where both distributions use a persistent queue.
func splitFsync(sc string) (base string, fsync bool, err error) {
	base, fsync = strings.CutSuffix(sc, "-fsync")
	if fsync && !(strings.HasPrefix(base, "cef-") && strings.HasSuffix(base, "-queue")) && !strings.HasPrefix(base, "backlog-") {
		return "", false, fmt.Errorf("scenario %q: -fsync is for cef-*-queue and backlog-* (both distributions on a persistent queue)", sc)
	}
	return base, fsync, nil
}

// benchIntegrityKey is the -integrity scenarios' HMAC key (any 32+ bytes: its value does not change
// the cost).
const benchIntegrityKey = "6a09e667f3bcc908b2fb1366ea957d3e3adec17512775099da2f590b0667322a"

// splitIntegrity takes an -integrity scenario apart. Integrity keeps its sequence state in the
// persistent queue's storage, so it exists on cef-*-queue scenarios only.
func splitIntegrity(sc string) (base string, integrity bool, err error) {
	base, integrity = strings.CutSuffix(sc, "-integrity")
	if integrity && !(strings.HasPrefix(base, "cef-") && (strings.HasSuffix(base, "-queue") || strings.HasSuffix(base, "-queue-fsync"))) {
		return "", false, fmt.Errorf("scenario %q: -integrity is for cef-*-queue[-fsync] (integrity needs the persistent queue's storage)", sc)
	}
	return base, integrity, nil
}

// scenarioTitle is a scenario's name as the table shows it: an -fsync scenario says that only
// otelcol-siem syncs its queue to disk.
func scenarioTitle(sc string) string {
	if strings.HasSuffix(sc, "-fsync") {
		return sc + " (otelcol-siem fsync: true, contrib fsync: false)"
	}
	return sc
}

// writeRows writes one scenario's rows: each distribution's medians, and as its ratio the median
// over rounds of otelcol-siem's events/s divided by the baseline's in the same round.
func writeRows(table *strings.Builder, sc string, runs map[string][]result) {
	var ratios []float64
	for i := range runs[distSIEM] {
		ratios = append(ratios, runs[distSIEM][i].EventsPerSec/runs[distBaseline][i].EventsPerSec)
	}
	sort.Float64s(ratios)
	for _, dist := range []string{distBaseline, distSIEM} {
		m := median(runs[dist])
		ratio := "1.00×"
		if dist == distSIEM {
			ratio = fmt.Sprintf("%.2f× (%.2f–%.2f)", ratios[len(ratios)/2], ratios[0], ratios[len(ratios)-1])
		}
		disk := "-"
		if m.DiskBytesPerEvent > 0 {
			disk = fmt.Sprintf("%.0f", m.DiskBytesPerEvent)
		}
		fmt.Fprintf(table, "| %s | %s | %.0f | %s | %.2f | %.0f | %s |\n", sc, dist, m.EventsPerSec, ratio, m.CPUPerMEvent, m.PeakRSSMB, disk)
	}
}

// running is one started distribution.
type running struct {
	cmd       *exec.Cmd
	grpcAddr  string
	pprofAddr string // "" without the pprof extension
	storage   string // the persistent queue's directory
	logFile   *os.File
}

func (r *running) stop() {
	_ = syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
	_ = r.cmd.Wait()
	r.logFile.Close()
}

// dest says where a distribution sends: the frame sink (cef scenarios) or the HEC emulator.
type dest struct {
	syslogAddr, caFile string
	hecURL             string
}

// startDistribution starts one distribution towards d and waits until it takes OTLP; withPprof
// enables the pprof extension (otelcol-siem only). A port freePort handed out can become another
// connection's ephemeral port before the distribution binds it: a start that fails with "address
// already in use" is tried again on other ports, startAttempts times in all.
func startDistribution(o options, dist string, d dest, queue bool, tmp string, withPprof bool) (*running, error) {
	for attempt := 1; ; attempt++ {
		r, err := startDistributionOnce(o, dist, d, queue, tmp, withPprof)
		if err == nil || attempt == startAttempts || !strings.Contains(err.Error(), "address already in use") {
			return r, err
		}
		fmt.Fprintf(os.Stderr, "%s: start %d: a port was taken before it bound it; starting again on other ports\n", dist, attempt)
	}
}

const startAttempts = 3

func startDistributionOnce(o options, dist string, d dest, queue bool, tmp string, withPprof bool) (*running, error) {
	grpcPort, healthPort := freePort(), freePort()
	pprofAddr := ""
	if withPprof && dist == distSIEM {
		pprofAddr = fmt.Sprintf("127.0.0.1:%d", freePort())
	}
	storage, err := os.MkdirTemp(tmp, "storage")
	if err != nil {
		return nil, err
	}
	var cmd *exec.Cmd
	if dist == distSIEM {
		cmd = siemCommand(o, d, queue, grpcPort, healthPort, storage, pprofAddr)
	} else {
		cfg := filepath.Join(tmp, "baseline.yaml")
		if err := os.WriteFile(cfg, []byte(baselineConfig(d.syslogAddr, d.caFile, queue, o.queueSize, grpcPort, healthPort, storage)), 0o644); err != nil {
			return nil, err
		}
		cmd = exec.Command(o.baselineBin, "--config", cfg)
	}
	logFile, err := os.CreateTemp(tmp, strings.ReplaceAll(dist, " ", "_")+"-*.log")
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	r := &running{cmd: cmd, grpcAddr: fmt.Sprintf("127.0.0.1:%d", grpcPort), pprofAddr: pprofAddr, storage: storage, logFile: logFile}
	if dist == distSIEM {
		err = waitHealthy(fmt.Sprintf("127.0.0.1:%d", healthPort), 60*time.Second)
	} else {
		err = waitListening(r.grpcAddr, 60*time.Second)
	}
	if err != nil {
		r.stop()
		// The temporary directory, log included, is removed on exit: keep the log's end.
		tail, _ := os.ReadFile(logFile.Name())
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return nil, fmt.Errorf("%w; end of its log:\n%s", err, tail)
	}
	return r, nil
}

// measureCollector starts one distribution, sends every request, waits for every frame, stops it.
// A non-empty profileFile takes a CPU profile of the run through the pprof extension.
func measureCollector(o options, dist string, sink *frameSink, load [][]byte, caFile string, queue bool, tmp, profileFile string) (result, error) {
	r, err := startDistribution(o, dist, dest{syslogAddr: sink.Addr(), caFile: caFile}, queue, tmp, profileFile != "")
	if err != nil {
		return result{}, err
	}
	defer r.stop()
	cpu0, err := procstat.CPUSeconds(r.cmd.Process.Pid)
	if err != nil {
		return result{}, err
	}
	profDone := make(chan error, 1)
	if r.pprofAddr != "" {
		go func() { profDone <- fetchProfile(r.pprofAddr, o.profileSeconds, profileFile) }()
	} else {
		profDone <- nil
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := sendAll(ctx, r.grpcAddr, load, o.senders); err != nil {
		return result{}, err
	}
	got := sink.WaitFrames(int64(o.events), 20*time.Second)
	if got < int64(o.events) {
		return result{}, fmt.Errorf("sink received %d of %d frames (log: %s)", got, o.events, r.logFile.Name())
	}
	elapsed := time.Duration(sink.last.Load() - start.UnixNano())
	if err := <-profDone; err != nil {
		return result{}, fmt.Errorf("profile: %w", err)
	}
	return finish(r, o.events, elapsed, got, sink.alerts.Load(), cpu0)
}

// finish reads the process's CPU and peak RSS once the run is over.
func finish(r *running, events int, elapsed time.Duration, got, alerts int64, cpu0 float64) (result, error) {
	cpu1, err := procstat.CPUSeconds(r.cmd.Process.Pid)
	if err != nil {
		return result{}, err
	}
	rss, err := procstat.PeakRSSMB(r.cmd.Process.Pid)
	if err != nil {
		return result{}, err
	}
	return result{
		EventsPerSec: float64(events) / elapsed.Seconds(),
		CPUPerMEvent: (cpu1 - cpu0) / float64(events) * 1e6,
		PeakRSSMB:    rss,
		Frames:       got,
		Alerts:       alerts,
	}, nil
}

func siemCommand(o options, d dest, queue bool, grpcPort, healthPort int, storage, pprofAddr string) *exec.Cmd {
	exporter := "cef_syslog/siem"
	env := []string{"OTELCOL_SIEM_EXPORTERS=[cef_syslog/siem]"}
	switch {
	case d.hecURL != "":
		exporter = "splunk_hec_sec"
		env = []string{"OTELCOL_SIEM_EXPORTERS=[splunk_hec_sec]", "OTELCOL_SIEM_HEC_ENDPOINT=" + d.hecURL, "OTELCOL_SIEM_HEC_TOKEN=" + hecToken}
	case d.caFile != "":
		env = append(env, "OTELCOL_SIEM_SYSLOG_TRANSPORT=tls", "OTELCOL_SIEM_SYSLOG_ENDPOINT="+d.syslogAddr, "OTELCOL_SIEM_SYSLOG_CA_FILE="+d.caFile)
	default:
		env = append(env, "OTELCOL_SIEM_SYSLOG_TRANSPORT=tcp", "OTELCOL_SIEM_SYSLOG_ENDPOINT="+d.syslogAddr)
	}
	args := []string{"--config", filepath.Join(o.repo, "otelcol-config.yaml")}
	if !queue {
		// The in-memory queue instead of queue_storage.
		args = append(args, "--config", "yaml:exporters::"+exporter+"::sending_queue::storage: null")
	}
	if pprofAddr != "" {
		args = append(args, "--config", "yaml:extensions::pprof::endpoint: "+pprofAddr,
			"--config", "yaml:service::extensions: ["+strings.Join(append(o.siemExtensions[:len(o.siemExtensions):len(o.siemExtensions)], "pprof"), ", ")+"]")
	}
	cmd := exec.Command(o.siemBin, args...)
	cmd.Env = append(append(os.Environ(), env...),
		fmt.Sprintf("OTELCOL_SIEM_OTLP_GRPC_ENDPOINT=127.0.0.1:%d", grpcPort),
		fmt.Sprintf("OTELCOL_SIEM_OTLP_HTTP_ENDPOINT=127.0.0.1:%d", freePort()),
		fmt.Sprintf("OTELCOL_SIEM_HEALTH_ENDPOINT=127.0.0.1:%d", healthPort),
		fmt.Sprintf("OTELCOL_SIEM_METRICS_PORT=%d", freePort()),
		"OTELCOL_SIEM_STORAGE_DIR="+storage,
		fmt.Sprintf("OTELCOL_SIEM_STORAGE_FSYNC=%t", o.storageFsync),
		"OTELCOL_SIEM_LOG_LEVEL=warn",
		"OTELCOL_SIEM_INTEGRITY_KEY_FILE="+o.integrityKey,
		// Room for the backlog plus the alerts it raises; the baseline gets the same.
		fmt.Sprintf("OTELCOL_SIEM_QUEUE_SIZE=%d", o.queueSize),
	)
	return cmd
}

// baselineConfig is the contrib distribution's pipeline: otlp -> batch -> syslog exporter, RFC 5424
// with octet counting (the framing the sink and otelcol-siem use), the same batch settings and
// queue as otelcol-siem's site config.
func baselineConfig(sinkAddr, caFile string, queue bool, queueSize, grpcPort, healthPort int, storage string) string {
	host, port, _ := net.SplitHostPort(sinkAddr)
	tlsBlock := "      insecure: true\n"
	if caFile != "" {
		tlsBlock = fmt.Sprintf("      ca_file: %s\n      server_name_override: localhost\n", caFile)
	}
	queueBlock := "    sending_queue:\n      enabled: true\n      queue_size: " + fmt.Sprint(queueSize) + "\n      sizer: items\n      num_consumers: 2\n      block_on_overflow: true\n"
	ext := ""
	svcExt := ""
	if queue {
		queueBlock += "      storage: file_storage\n"
		ext = fmt.Sprintf("extensions:\n  file_storage:\n    directory: %s\n    create_directory: true\n", storage)
		svcExt = "  extensions: [file_storage]\n"
	}
	return fmt.Sprintf(`%sreceivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:%d
processors:
  batch:
    timeout: 200ms
    send_batch_size: 1024
    send_batch_max_size: 4096
exporters:
  syslog:
    endpoint: %s
    port: %s
    network: tcp
    protocol: rfc5424
    enable_octet_counting: true
    tls:
%s%s    retry_on_failure:
      enabled: true
      max_elapsed_time: 0
service:
%s  telemetry:
    logs:
      level: warn
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [syslog]
`, ext, grpcPort, host, port, tlsBlock, queueBlock, svcExt)
}

// measureFloor pre-formats one frame per event (as otelcol-siem would send it) and writes them all
// to the sink over one connection: the cost of the wire and the sink alone.
func measureFloor(o options, sink *frameSink, reqs []plogotlp.ExportRequest, useTLS bool) (float64, error) {
	frames, err := preformat(reqs)
	if err != nil {
		return 0, err
	}
	var conn net.Conn
	if useTLS {
		conn, err = tls.Dial("tcp", sink.Addr(), &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // loopback benchmark sink with a throw-away certificate
	} else {
		conn, err = net.Dial("tcp", sink.Addr())
	}
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	// A minimal writer still buffers: one write(2) per 256 KiB, as any sender worth measuring does.
	w := bufio.NewWriterSize(conn, 256<<10)
	start := time.Now()
	for _, f := range frames {
		if _, err := w.Write(f); err != nil {
			return 0, err
		}
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	if got := sink.WaitFrames(int64(o.events), 20*time.Second); got < int64(o.events) {
		return 0, fmt.Errorf("sink received %d of %d floor frames", got, o.events)
	}
	return float64(o.events) / time.Duration(sink.last.Load()-start.UnixNano()).Seconds(), nil
}

func median(rs []result) result {
	pick := func(f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	return result{
		EventsPerSec: pick(func(r result) float64 { return r.EventsPerSec }),
		CPUPerMEvent: pick(func(r result) float64 { return r.CPUPerMEvent }),
		PeakRSSMB:    pick(func(r result) float64 { return r.PeakRSSMB }),

		DiskBytesPerEvent: pick(func(r result) float64 { return r.DiskBytesPerEvent }),
	}
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitHealthy(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not healthy on %s after %s", addr, timeout)
}

func waitListening(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("nothing listens on %s after %s", addr, timeout)
}

func goVersion() string { return runtime.Version() }

// fetchProfile takes a CPU profile from the collector's pprof extension while the load runs.
func fetchProfile(addr string, seconds int, file string) error {
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, seconds))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof: %s", resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

// serviceExtensions reads service::extensions of the site config, so that a profiled run keeps
// every extension the receivers and exporters refer to (intake_guard, queue_storage) and adds pprof.
func serviceExtensions(configFile string) ([]string, error) {
	raw, err := os.ReadFile(configFile)
	if err != nil {
		return nil, err
	}
	var cfg struct {
		Service struct {
			Extensions []string `yaml:"extensions"`
		} `yaml:"service"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", configFile, err)
	}
	return cfg.Service.Extensions, nil
}
