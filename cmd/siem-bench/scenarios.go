package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/unified-ot/otelcol-siem/internal/hectest"
	"github.com/unified-ot/otelcol-siem/internal/procstat"
)

const hecToken = "siem-bench-token"

// minQueueSize is both distributions' queue capacity in records unless the backlog needs more.
const minQueueSize = 200000

// queueCapacity is both distributions' queue capacity for a backlog of that many events: room for
// the events and the alerts they raise, with a tenth to spare, and never below minQueueSize.
func queueCapacity(backlog int) int {
	return max(minQueueSize, (backlog+expectedAlerts(backlog))*11/10)
}

// expectedAlerts is how many alert records the site pipeline adds to n benchmark events: users cycle
// over 1000 accounts from one source, so every account with 5 failed logins in the run fires
// failed_logins once (then cooldown).
func expectedAlerts(n int) int {
	alerts := 0
	for user := 0; user < 1000 && user < n; user++ {
		if (n-user+999)/1000 >= 5 {
			alerts++
		}
	}
	return alerts
}

// runHEC measures otelcol-siem's splunk_hec_sec (JSON events, gzip) against the project's HEC
// protocol emulator. Contrib's splunkhecexporter is not served by this machine's Go proxy, so there
// is no baseline row.
func runHEC(o options, sc string, queue bool, table *strings.Builder) error {
	tmp, err := os.MkdirTemp("", "siem-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	load, err := encodeRequests(buildRequests(o.events, o.batch, sc))
	if err != nil {
		return err
	}
	want := o.events + expectedAlerts(o.events)
	var runs []result
	for i := 0; i < o.runs; i++ {
		emu, err := hectest.New(hectest.Config{Token: hecToken, CountOnly: true})
		if err != nil {
			return err
		}
		r, err := startDistribution(o, distSIEM, dest{hecURL: emu.URL()}, queue, tmp, false)
		if err != nil {
			emu.Close()
			return err
		}
		cpu0, err := procstat.CPUSeconds(r.cmd.Process.Pid)
		if err == nil {
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			err = sendAll(ctx, r.grpcAddr, load, o.senders)
			cancel()
			var got int
			var doneAt time.Time
			if err == nil {
				got, doneAt = waitCount(emu.EventCount, want, 30*time.Second)
				if got < want {
					err = fmt.Errorf("HEC emulator received %d of %d events (log: %s)", got, want, r.logFile.Name())
				}
			}
			var res result
			if err == nil {
				// The emulator counts events, alerts included, without telling them apart: no
				// alert count is reported for HEC runs.
				res, err = finish(r, o.events, doneAt.Sub(start), int64(got), 0, cpu0)
			}
			if err == nil {
				fmt.Fprintf(os.Stderr, "%s %s run %d: %.0f events/s, %.2f CPU s/1M, %.0f MB peak RSS\n", sc, distSIEM, i+1, res.EventsPerSec, res.CPUPerMEvent, res.PeakRSSMB)
				runs = append(runs, res)
			}
		}
		r.stop()
		emu.Close()
		if err != nil {
			return fmt.Errorf("%s run %d: %w", sc, i+1, err)
		}
	}
	m := median(runs)
	fmt.Fprintf(table, "| %s | %s | n/a | - | - | - | - |\n", sc, "contrib splunkhecexporter (not served by this Go proxy)")
	fmt.Fprintf(table, "| %s | %s | %.0f | - | %.2f | %.0f | - |\n", sc, distSIEM, m.EventsPerSec, m.CPUPerMEvent, m.PeakRSSMB)
	return nil
}

// runBacklog measures how fast each distribution drains a backlog: o.backlog events are sent while
// the SIEM (the sink) is down and held in the persistent queue; the sink then comes up and the
// drain rate is events / (last frame - first frame). Each run also reports the bytes the queue
// takes on disk per event once the backlog is stored.
func runBacklog(o options, sc string, table *strings.Builder) error {
	tmp, err := os.MkdirTemp("", "siem-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	n := o.backlog
	load, err := encodeRequests(buildRequests(n, o.batch, sc))
	if err != nil {
		return err
	}
	runs := map[string][]result{}
	for i := 0; i < o.runs; i++ {
		for _, dist := range []string{distBaseline, distSIEM} {
			addr := fmt.Sprintf("127.0.0.1:%d", freePort())
			r, err := startDistribution(o, dist, dest{syslogAddr: addr}, true, tmp, false)
			if err != nil {
				return err
			}
			res, err := drain(o, r, load, n, addr)
			r.stop()
			os.RemoveAll(r.storage) // a million-event backlog leaves ~0.5 GB per distribution and run
			if err != nil {
				return fmt.Errorf("%s %s run %d: %w", sc, dist, i+1, err)
			}
			fmt.Fprintf(os.Stderr, "%s %s run %d: drained %.0f events/s, %.2f CPU s/1M, %.0f MB peak RSS, %.0f disk bytes/event (%d frames, %d alerts)\n",
				sc, dist, i+1, res.EventsPerSec, res.CPUPerMEvent, res.PeakRSSMB, res.DiskBytesPerEvent, res.Frames, res.Alerts)
			runs[dist] = append(runs[dist], res)
		}
	}
	writeRows(table, fmt.Sprintf("%s (%s queued, drain rate)", scenarioTitle(sc), groupDigits(n)), runs)
	return nil
}

func drain(o options, r *running, load [][]byte, n int, addr string) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := sendAll(ctx, r.grpcAddr, load, o.senders); err != nil {
		return result{}, err
	}
	time.Sleep(2 * time.Second) // every batch has reached the persistent queue and failed once
	// The backlog as stored: queue files, and whatever else the distribution keeps there (otelcol-siem's
	// alert state). bbolt's file size is what it has grown to, free pages included.
	disk, err := dirBytes(r.storage)
	if err != nil {
		return result{}, err
	}
	cpu0, err := procstat.CPUSeconds(r.cmd.Process.Pid)
	if err != nil {
		return result{}, err
	}
	sink, err := newFrameSinkAt(addr, nil)
	if err != nil {
		return result{}, err
	}
	defer sink.Close()
	start := time.Now()
	// Exporters retry with backoff (at most 30 s apart in the site config; contrib's default is
	// similar): allow for one full backoff before the drain starts.
	got := sink.WaitFrames(int64(n), 45*time.Second)
	if got < int64(n) {
		return result{}, fmt.Errorf("sink received %d of %d queued events (log: %s)", got, n, r.logFile.Name())
	}
	// The drain rate runs from the first frame to the last: the wait for the exporter's next retry
	// after the sink came up (backoff) is reported apart, not counted as draining.
	fmt.Fprintf(os.Stderr, "  first frame %.1f s after the sink came up\n", time.Duration(sink.first.Load()-start.UnixNano()).Seconds())
	// Peak RSS (VmHWM) is the process's whole life: the fill and the drain.
	res, err := finish(r, n, time.Duration(sink.last.Load()-sink.first.Load()), got, sink.alerts.Load(), cpu0)
	res.DiskBytesPerEvent = float64(disk) / float64(n)
	return res, err
}

// waitCount polls count until it reaches want or stays unchanged for idle; it returns the count and
// when it was reached.
func waitCount(count func() int, want int, idle time.Duration) (int, time.Time) {
	last, lastChange := -1, time.Now()
	for {
		got := count()
		if got >= want {
			return got, time.Now()
		}
		if got != last {
			last, lastChange = got, time.Now()
		} else if time.Since(lastChange) > idle {
			return got, time.Now()
		}
		time.Sleep(2 * time.Millisecond)
	}
}
