//go:build e2e && kafkabench

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/internal/procstat"
	"github.com/unified-ot/otelcol-siem/internal/testcollector"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// TestKafkaCentralThroughput measures the central tier of docs/scale-out.md: events per second one
// central collector, and then two in one consumer group, take from a preloaded topic (4 partitions)
// to the SIEM exporter. Not part of `make test` (build tag kafkabench); run it with
//
//	OTELCOL_SIEM_BIN=$PWD/_build/otelcol-siem go test -tags 'e2e kafkabench' -count=1 -v \
//	  -run TestKafkaCentralThroughput ./test/e2e/
//
// KAFKA_BENCH_EVENTS sets the number of events (default 200000). The broker is kfake (franz-go's
// in-process Kafka-protocol broker) in the test process, so it shares the machine's cores with the
// collectors. The exporter is cef_syslog/siem with transport file (one file per collector): the
// central tier's own work (fetch, OTLP decode, persistent queue, CEF formatting, write) without a
// SIEM peer that would be the bottleneck. The rate is taken between 10 % and 90 % of the events
// delivered, so group join and the last partial batches are not in it.
func TestKafkaCentralThroughput(t *testing.T) {
	n := 200000
	if v := os.Getenv("KAFKA_BENCH_EVENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	}
	broker := startKfakeBroker(t)
	brokers := "[" + broker.Addr + "]"

	// Preload: one site collector publishes n events from 128 resources (spread over the partitions).
	site := testcollector.Start(t, testcollector.Options{Configs: kafkaConfigs("site"),
		Env: map[string]string{"OTELCOL_SIEM_KAFKA_BROKERS": brokers}})
	start := time.Now()
	const batch = 1000
	for first := 0; first < n; first += batch {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := site.SendGRPC(ctx, benchLogs(first, min(batch, n-first)))
		cancel()
		if err != nil {
			t.Fatalf("preload at %d: %v", first, err)
		}
	}
	pollUntil(t, 5*time.Minute, "the site to publish every event", func() bool {
		v, err := site.Metric("otelcol_exporter_sent_log_records", `exporter="kafka"`)
		return err == nil && v >= float64(n)
	})
	t.Logf("preloaded %d events in %s", n, time.Since(start).Round(time.Millisecond))
	// What one event costs on the broker (OTLP protobuf, one Kafka record per resource and batch).
	wire, _ := site.Metric("otelcol_kafka_exporter_bytes")
	raw, _ := site.Metric("otelcol_kafka_exporter_bytes_uncompressed")
	t.Logf("RESULT topic bytes per event: %.0f compressed (zstd), %.0f uncompressed", wire/float64(n), raw/float64(n))
	site.Stop(30 * time.Second)

	for _, consumers := range []int{1, 2} {
		group := fmt.Sprintf("bench-%d", consumers) // a new group reads the topic from the start
		var cols []*testcollector.Collector
		for i := range consumers {
			cols = append(cols, testcollector.Start(t, testcollector.Options{Configs: kafkaConfigs("central"), Env: map[string]string{
				"OTELCOL_SIEM_KAFKA_BROKERS":    brokers,
				"OTELCOL_SIEM_KAFKA_GROUP_ID":   group,
				"OTELCOL_SIEM_KAFKA_CLIENT_ID":  fmt.Sprintf("%s-%d", group, i),
				"OTELCOL_SIEM_EXPORTERS":        "[cef_syslog/siem]",
				"OTELCOL_SIEM_SYSLOG_TRANSPORT": "file",
				"OTELCOL_SIEM_SYSLOG_FILE":      filepath.Join(t.TempDir(), "siem.log"),
			}}))
		}
		begun := time.Now()
		delivered := func() float64 {
			var sum float64
			for _, c := range cols {
				v, _ := c.Metric("otelcol_exporter_sent_log_records", cefSiem)
				sum += v
			}
			return sum
		}
		// CPU seconds of the central collectors and of this process (the kfake broker, and the
		// metric polling) between the 10 % and 90 % marks: per event, less sensitive than the rate
		// to what else runs on the machine.
		cpu := func() (collectors, broker float64) {
			for _, c := range cols {
				v, err := procstat.CPUSeconds(c.Pid())
				if err != nil {
					t.Fatal(err)
				}
				collectors += v
			}
			var ru syscall.Rusage
			if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
				t.Fatal(err)
			}
			broker = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
			return collectors, broker
		}
		var t10, t90 time.Time
		var cpu10, cpu90, brk10, brk90 float64
		for {
			d := delivered()
			now := time.Now()
			if t10.IsZero() && d >= 0.1*float64(n) {
				t10 = now
				cpu10, brk10 = cpu()
			}
			if t90.IsZero() && d >= 0.9*float64(n) {
				t90 = now
				cpu90, brk90 = cpu()
			}
			if d >= float64(n) {
				break
			}
			if time.Since(begun) > 5*time.Minute {
				t.Fatalf("%d consumer(s): %v of %d delivered after 5 min", consumers, d, n)
			}
			time.Sleep(50 * time.Millisecond)
		}
		total := time.Since(begun)
		rate := 0.8 * float64(n) / t90.Sub(t10).Seconds()
		per := make([]float64, len(cols))
		for i, c := range cols {
			per[i], _ = c.Metric("otelcol_exporter_sent_log_records", cefSiem)
		}
		perMillion := 1e6 / (0.8 * float64(n))
		t.Logf("RESULT consumers=%d partitions=%d events=%d rate_10_90=%.0f events/s cpu_s_per_1M: collectors %.2f, broker+test %.2f; all_delivered_after=%s (incl. start and group join) per_collector=%v",
			consumers, kafkaPartitions, n, rate, (cpu90-cpu10)*perMillion, (brk90-brk10)*perMillion, total.Round(100*time.Millisecond), per)
		for _, c := range cols {
			c.Stop(30 * time.Second)
		}
	}
}

// benchResources is how many resources (emitting services) the preload spreads the events over.
const benchResources = 128

// benchLogs builds count failed logins numbered from first, spread over benchResources resources.
func benchLogs(first, count int) plog.Logs {
	logs := plog.NewLogs()
	var recs [benchResources]plog.LogRecordSlice
	for r := range benchResources {
		rl := logs.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr(secevent.KeyServiceName, "unified-ot-connector")
		rl.Resource().Attributes().PutStr("service.instance.id", fmt.Sprintf("bench-connector-%d", r))
		recs[r] = rl.ScopeLogs().AppendEmpty().LogRecords()
	}
	now := pcommon.NewTimestampFromTime(time.Now())
	for i := first; i < first+count; i++ {
		lr := recs[i%benchResources].AppendEmpty()
		lr.SetTimestamp(now)
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.SetSeverityText("WARN")
		lr.Body().SetStr("Failed login attempt for bob")
		a := lr.Attributes()
		a.PutStr(secevent.KeyCategory, "authentication")
		a.PutStr(secevent.KeyAction, "login")
		a.PutStr(secevent.KeyOutcome, "failure")
		a.PutStr(secevent.KeyUserName, "bob")
		a.PutStr(secevent.KeySourceAddress, "10.1.2.3")
		a.PutStr(secevent.KeyEventID, fmt.Sprintf("bench-%07d", i))
	}
	return logs
}
