package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/unified-ot/otelcol-siem/secevent/seclog"
)

// loadConfig is the load generator's part of the flags.
type loadConfig struct {
	count    int
	rate     float64 // events/s; 0 = as fast as the pipeline takes them
	idPrefix string
	idsFile  string // "" = do not write the ids
	mix      string // warn or all
	// maxInFlight bounds records emitted but not yet exported or failed, so that an unlimited rate
	// waits for the exporter instead of overflowing the batch queue (which would drop).
	maxInFlight uint64
}

// loadEvent sends the n-th load event.
type loadEvent func(ctx context.Context, l *seclog.Logger, n int) string

// warnMix holds only events at WARN or above: the site pipeline's severity floor forwards all of
// them, so every id sent is expected at the SIEM and a missing one is a loss. The circuit breaker
// is left out because every one of them fires a critical alert.
var warnMix = []loadEvent{
	func(ctx context.Context, l *seclog.Logger, n int) string {
		return l.LoginFailed(ctx, "user"+strconv.Itoa(n%1000)+"@example.com", "192.168.1."+strconv.Itoa(n%250+1), seclog.ReasonInvalidCredentials)
	},
	func(ctx context.Context, l *seclog.Logger, n int) string {
		return l.PermissionDenied(ctx, "user"+strconv.Itoa(n%1000)+"@example.com", "192.168.2."+strconv.Itoa(n%250+1), "/api/sources/s"+strconv.Itoa(n%50), "sources:delete", "viewer")
	},
	func(ctx context.Context, l *seclog.Logger, n int) string {
		return l.ConnectionFailed(ctx, "10.20."+strconv.Itoa(n%250)+".17:502", "connection refused")
	},
	func(ctx context.Context, l *seclog.Logger, n int) string {
		return l.CredentialDecryptionFailed(ctx, "opcua/plc"+strconv.Itoa(n%100)+"/password")
	},
	func(ctx context.Context, l *seclog.Logger, n int) string {
		return l.RepeatedConnectionFailures(ctx, "10.21."+strconv.Itoa(n%250)+".9:4840", 3+n%10)
	},
}

// allMix is every event type in turn (INFO and DEBUG ones included: with the default severity
// floor some are dropped on purpose by the pipeline, so use it for throughput, not loss counts).
var allMix = []loadEvent{
	func(ctx context.Context, l *seclog.Logger, n int) string {
		return l.LoginSucceeded(ctx, "user"+strconv.Itoa(n%1000)+"@example.com", "192.168.1."+strconv.Itoa(n%250+1), n%2 == 0)
	},
	warnMix[0],
	func(ctx context.Context, l *seclog.Logger, n int) string {
		return l.LoggedOut(ctx, "user"+strconv.Itoa(n%1000)+"@example.com", "")
	},
	warnMix[1],
	func(ctx context.Context, l *seclog.Logger, n int) string {
		return l.PrivilegedOperation(ctx, "admin@example.com", "192.168.1.10", "/api/zerobus/config", "config:write")
	},
	func(ctx context.Context, l *seclog.Logger, n int) string {
		return l.ConfigModified(ctx, "admin@example.com", "zerobus_config", map[string]int{"batch_size": n % 1000})
	},
	func(ctx context.Context, l *seclog.Logger, n int) string {
		return l.SourceAdded(ctx, "admin@example.com", "plc"+strconv.Itoa(n%100))
	},
	func(ctx context.Context, l *seclog.Logger, n int) string {
		return l.SourceModified(ctx, "admin@example.com", "plc"+strconv.Itoa(n%100))
	},
	func(ctx context.Context, l *seclog.Logger, n int) string {
		return l.SourceDeleted(ctx, "admin@example.com", "plc"+strconv.Itoa(n%100))
	},
	warnMix[2],
	func(ctx context.Context, l *seclog.Logger, n int) string {
		return l.CircuitBreakerOpened(ctx, "workspace.cloud.example.com", 5)
	},
	func(ctx context.Context, l *seclog.Logger, n int) string {
		return l.CredentialAccessed(ctx, "opcua/plc"+strconv.Itoa(n%100)+"/password")
	},
	func(ctx context.Context, l *seclog.Logger, n int) string {
		return l.CredentialUpdated(ctx, "opcua/plc"+strconv.Itoa(n%100)+"/password")
	},
	warnMix[3],
	func(ctx context.Context, l *seclog.Logger, n int) string {
		return l.NetworkScanInitiated(ctx, "10.20.0.0/16")
	},
	warnMix[4],
}

// loadResult is what a load run achieved while emitting (delivery is known only after shutdown).
type loadResult struct {
	sent    int
	elapsed time.Duration
}

func (r loadResult) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.sent) / r.elapsed.Seconds()
}

// loadID is the id of the n-th load event (1-based): the prefix and n, so a test that knows the
// prefix and the count knows every id.
func loadID(prefix string, n int) string { return prefix + strconv.Itoa(n) }

// runLoad emits cfg.count events at cfg.rate, with ids idPrefix+1 .. idPrefix+count (the Logger
// must have been built WithEventIDs(sequentialIDs(cfg.idPrefix))), and writes the ids to
// cfg.idsFile, one a line, if set.
func runLoad(ctx context.Context, l *seclog.Logger, cfg loadConfig) (loadResult, error) {
	mix := warnMix
	if cfg.mix == "all" {
		mix = allMix
	}
	var ids *bufio.Writer
	if cfg.idsFile != "" {
		f, err := os.Create(cfg.idsFile)
		if err != nil {
			return loadResult{}, err
		}
		defer f.Close()
		ids = bufio.NewWriterSize(f, 1<<16)
	}
	start := time.Now()
	var interval time.Duration
	if cfg.rate > 0 {
		interval = time.Duration(float64(time.Second) / cfg.rate)
	}
	for n := 1; n <= cfg.count; n++ {
		if err := ctx.Err(); err != nil {
			return loadResult{sent: n - 1, elapsed: time.Since(start)}, err
		}
		if interval > 0 {
			// Pace against the schedule, not the previous event, so the rate holds on average;
			// sleep only when ahead by a millisecond or more (timer granularity).
			if ahead := time.Until(start.Add(time.Duration(n-1) * interval)); ahead >= time.Millisecond {
				time.Sleep(ahead)
			}
		}
		if cfg.maxInFlight > 0 {
			waitForRoom(ctx, l, cfg.maxInFlight)
		}
		id := mix[(n-1)%len(mix)](ctx, l, n)
		if ids != nil {
			ids.WriteString(id)
			ids.WriteByte('\n')
		}
	}
	res := loadResult{sent: cfg.count, elapsed: time.Since(start)}
	if ids != nil {
		if err := ids.Flush(); err != nil {
			return res, fmt.Errorf("ids file: %w", err)
		}
	}
	return res, nil
}

// waitForRoom blocks while the pipeline holds maxInFlight records or more that are neither
// exported nor failed.
func waitForRoom(ctx context.Context, l *seclog.Logger, maxInFlight uint64) {
	for {
		st := l.Stats()
		if st.Emitted < st.Exported+st.Failed+maxInFlight || ctx.Err() != nil {
			return
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// sequentialIDs returns an event.id generator: prefix+1, prefix+2, ... (runLoad emits from one
// goroutine, so a plain counter is enough).
func sequentialIDs(prefix string) func() string {
	n := 0
	return func() string {
		n++
		return loadID(prefix, n)
	}
}

// writeSummary prints the run's figures.
func writeSummary(out io.Writer, cfg loadConfig, r loadResult) {
	fmt.Fprintf(out, "sent %d events (ids %s1 .. %s%d) in %.3fs: %.0f events/s\n",
		r.sent, cfg.idPrefix, cfg.idPrefix, r.sent, r.elapsed.Seconds(), r.rate())
}
