// Command secevent-demo sends security events through the secevent/seclog package to an OTLP
// endpoint (the otelcol-siem collector), as the Unified OT Connector would. It is both the demo
// emitter and a load generator:
//
//	secevent-demo                               # the seed scenario, one line per event sent
//	secevent-demo -count 100000 -rate 5000      # load: 100 000 events at 5 000/s
//	secevent-demo -count 100000 -ids-file ids   # as fast as the pipeline takes them; ids to a file
//
// Load events carry the ids <id-prefix>1 .. <id-prefix><count>, so a test can count what arrived.
// The exit status is 0 only when every event was delivered to the endpoint (shutdown flushed them
// all), 1 when some were not, 2 on bad flags.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/unified-ot/otelcol-siem/secevent/seclog"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it parses args, sends, and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("secevent-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		o        seclog.Options
		protocol string
		scenario string
		lc       loadConfig
		queue    int
		timeout  time.Duration
	)
	fs.StringVar(&o.Endpoint, "endpoint", "", "collector OTLP endpoint host:port (default 127.0.0.1:4317 for grpc, 127.0.0.1:4318 for http)")
	fs.StringVar(&protocol, "protocol", "grpc", "OTLP transport: grpc or http")
	fs.BoolVar(&o.Insecure, "insecure", true, "plaintext (the default collector listens on loopback in plaintext); set -ca/-cert to use TLS")
	fs.StringVar(&o.CAFile, "ca", "", "PEM CA bundle for the collector's certificate (implies TLS)")
	fs.StringVar(&o.CertFile, "cert", "", "PEM client certificate for mutual TLS (implies TLS)")
	fs.StringVar(&o.KeyFile, "key", "", "PEM client key for mutual TLS")
	fs.StringVar(&o.TokenFile, "token-file", "", "file whose first line is the collector's intake token, sent as Authorization: Bearer")
	fs.StringVar(&o.ServerName, "server-name", "", "name to check the collector's certificate against (implies TLS)")
	fs.StringVar(&o.ServiceName, "service-name", "unified-ot-connector", "service.name of the events")
	fs.StringVar(&o.HostName, "host-name", "", "host.name of the events (default: this host)")
	fs.StringVar(&o.Site, "site", "plant-a", "otsec.site.name of the events")
	fs.StringVar(&scenario, "scenario", "seed", "what to send without -count: seed (the seed's story)")
	fs.IntVar(&lc.count, "count", 0, "load mode: send this many events (0: run -scenario instead)")
	fs.Float64Var(&lc.rate, "rate", 0, "load mode: events per second (0: as fast as the pipeline takes them, without dropping)")
	fs.StringVar(&lc.idPrefix, "id-prefix", "", "load mode: event.id prefix; ids are <prefix>1 .. <prefix><count> (default: load-<random>-)")
	fs.StringVar(&lc.idsFile, "ids-file", "", "load mode: write every event.id sent to this file, one a line")
	fs.StringVar(&lc.mix, "mix", "warn", "load mode: warn (only WARN+ events: every one must reach the SIEM) or all (every event type)")
	fs.IntVar(&queue, "queue-size", 65536, "records the exporter may queue before the generator waits")
	fs.IntVar(&o.ExportMaxBatchSize, "batch-size", 512, "records per OTLP export request")
	fs.DurationVar(&o.BatchTimeout, "batch-timeout", 200*time.Millisecond, "longest a record waits before export")
	fs.DurationVar(&o.RetryMaxElapsed, "retry", 30*time.Second, "how long a failed export is retried (negative: no retry)")
	fs.DurationVar(&timeout, "shutdown-timeout", time.Minute, "how long shutdown may take to flush what is queued")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "secevent-demo: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	tlsAsked := o.CAFile != "" || o.CertFile != "" || o.ServerName != ""
	insecureSet := false
	fs.Visit(func(f *flag.Flag) { insecureSet = insecureSet || f.Name == "insecure" })
	if tlsAsked && !insecureSet {
		o.Insecure = false
	}
	o.Protocol = seclog.Protocol(protocol)
	if o.Endpoint == "" {
		o.Endpoint = "127.0.0.1:4317"
		if o.Protocol == seclog.ProtocolHTTP {
			o.Endpoint = "127.0.0.1:4318"
		}
	}
	o.MaxQueueSize = queue
	switch {
	case lc.count < 0 || lc.rate < 0:
		fmt.Fprintln(stderr, "secevent-demo: -count and -rate must not be negative")
		return 2
	case lc.count == 0 && scenario != "seed":
		fmt.Fprintf(stderr, "secevent-demo: unknown -scenario %q (known: seed)\n", scenario)
		return 2
	case lc.mix != "warn" && lc.mix != "all":
		fmt.Fprintf(stderr, "secevent-demo: -mix must be warn or all, got %q\n", lc.mix)
		return 2
	}
	if lc.count > 0 && lc.idPrefix == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		lc.idPrefix = "load-" + hex.EncodeToString(b[:]) + "-"
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var opts []seclog.Option
	if lc.count > 0 {
		opts = append(opts, seclog.WithEventIDs(sequentialIDs(lc.idPrefix)))
	}
	l, shutdown, err := seclog.Setup(ctx, o, opts...)
	if err != nil {
		fmt.Fprintf(stderr, "secevent-demo: %v\n", err)
		return 2
	}

	var sendErr error
	var res loadResult
	if lc.count > 0 {
		// Leave a batch of room so that the batch processor's queue never overflows.
		lc.maxInFlight = uint64(max(queue-o.ExportMaxBatchSize, 1))
		res, sendErr = runLoad(ctx, l, lc)
		writeSummary(stdout, lc, res)
	} else {
		runScenario(ctx, l, stdout)
	}

	// Shutdown runs on a fresh context: an interrupt stops sending, not the flush of what was sent.
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	flushStart := time.Now()
	err = errors.Join(sendErr, shutdown(sctx))
	st := l.Stats()
	fmt.Fprintf(stdout, "delivered %d of %d events to %s (%s): %d failed, %d dropped; flush took %.3fs",
		st.Exported, st.Emitted, o.Endpoint, o.Protocol, st.Failed, st.Dropped, time.Since(flushStart).Seconds())
	if lc.count > 0 && res.elapsed > 0 {
		fmt.Fprintf(stdout, "; end to end %.0f events/s", float64(st.Exported)/(res.elapsed+time.Since(flushStart)).Seconds())
	}
	fmt.Fprintln(stdout)
	if err != nil {
		fmt.Fprintf(stderr, "secevent-demo: %v\n", err)
		return 1
	}
	return 0
}
