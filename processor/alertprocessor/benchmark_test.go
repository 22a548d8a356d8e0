package alertprocessor

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/unified-ot/otelcol-siem/processor/alertprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

const benchBatch = 1000

// benchRules returns the 4 default rules, plus generated ones up to n: each generated rule is a
// seed-shorthand condition on category and action, grouped by account, like the defaults.
func benchRules(n int) []RuleConfig {
	rules := DefaultRules()
	for i := len(rules); i < n; i++ {
		rules = append(rules, RuleConfig{
			ID:        fmt.Sprintf("generated_%03d", i),
			Name:      fmt.Sprintf("Generated rule %d", i),
			Condition: fmt.Sprintf("event_type=network AND action=probe_%03d", i),
			Threshold: 5, Window: 5 * time.Minute, Severity: secevent.AlertSeverityLow,
			GroupBy: []string{secevent.KeyUserName, secevent.KeySourceAddress},
		})
	}
	return rules
}

func newBenchProcessor(b *testing.B, rules []RuleConfig) *alertProcessor {
	cfg := defaultConfig()
	cfg.Rules = rules
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	p, err := newAlertProcessor(cfg, consumertest.NewNop(), processortest.NewNopSettings(metadata.Type), compileCondition)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// benchLogs is one batch of benchBatch schema records from 10 000 accounts. matching chooses
// failed logins (every one counts for failed_logins) or successful logins (no rule matches).
func benchLogs(outcome string, offset int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(secevent.KeyServiceName, "unified-ot-connector")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	for i := 0; i < benchBatch; i++ {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommonTS(t0.Add(time.Duration(offset+i) * time.Millisecond)))
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.SetEventName("security.authentication.login")
		lr.Body().SetStr("login attempt")
		a := lr.Attributes()
		a.PutStr(secevent.KeyCategory, "authentication")
		a.PutStr(secevent.KeyAction, "login")
		a.PutStr(secevent.KeyOutcome, outcome)
		a.PutStr(secevent.KeyUserName, fmt.Sprintf("user-%05d@example.com", (offset+i)%10000))
		a.PutStr(secevent.KeySourceAddress, "192.168.1.100")
	}
	return ld
}

func BenchmarkNonMatching(b *testing.B) {
	for _, n := range []int{4, 100} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			p := newBenchProcessor(b, benchRules(n))
			ld := benchLogs("success", 0)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := p.ConsumeLogs(ctx, ld); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkCounting: every record is a failed login counted by failed_logins, spread over 10 000
// (account, source) groups, with event times advancing so that a group's records are 110 s apart:
// windows fill, slide and are pruned, but never reach 5 in 300 s (the steady state of counting).
func BenchmarkCounting(b *testing.B) {
	for _, n := range []int{4, 100} {
		b.Run(fmt.Sprintf("rules=%d/groups=10000", n), func(b *testing.B) {
			p := newBenchProcessor(b, benchRules(n))
			ld := benchLogs("failure", 0)
			lrs := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords()
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			seq := 0
			// Event times start 30 days back (room for 235 M records at 11 ms): a record dated in
			// the future would be counted at the processor's clock (see max_lateness), and then
			// every group would fire.
			start := time.Now().Add(-30 * 24 * time.Hour)
			for b.Loop() {
				for i := 0; i < lrs.Len(); i++ {
					lr := lrs.At(i)
					lr.SetTimestamp(pcommonTS(start.Add(time.Duration(seq) * 11 * time.Millisecond)))
					v, _ := lr.Attributes().Get(secevent.KeyUserName)
					v.SetStr(benchUsers[seq%len(benchUsers)])
					seq++
				}
				if err := p.ConsumeLogs(ctx, ld); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(len(thresholdOf(p, 0).groups)), "groups")
			if fired := len(thresholdOf(p, 0).groups) > 0 && ld.ResourceLogs().Len() > 1; fired {
				b.Fatal("the counting benchmark must not fire")
			}
		})
	}
}

var benchUsers = func() []string {
	u := make([]string, 10000)
	for i := range u {
		u[i] = fmt.Sprintf("user-%05d@example.com", i)
	}
	return u
}()

// BenchmarkFiring: every record is a failed login counted by failed_logins, spread over 10 000
// (account, source) groups; cooldown 0 and repeated event times, so one record in five completes
// a window and fires an alert (the alert-building path, far above any real alert rate).
func BenchmarkFiring(b *testing.B) {
	for _, n := range []int{4, 100} {
		b.Run(fmt.Sprintf("rules=%d/groups=10000", n), func(b *testing.B) {
			rules := benchRules(n)
			rules[0].Cooldown = 0
			p := newBenchProcessor(b, rules)
			// 10 distinct batches so every group sees advancing event times.
			batches := make([]plog.Logs, 10)
			for i := range batches {
				batches[i] = benchLogs("failure", i*benchBatch)
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				ld := batches[i%len(batches)]
				i++
				if err := p.ConsumeLogs(ctx, ld); err != nil {
					b.Fatal(err)
				}
				// Drop the alert ResourceLogs appended to the reused batch.
				ld.ResourceLogs().RemoveIf(func(rl plog.ResourceLogs) bool {
					return rl.ScopeLogs().Len() > 0 && rl.ScopeLogs().At(0).Scope().Name() == metadata.ScopeName
				})
			}
			b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(len(thresholdOf(p, 0).groups)), "groups")
		})
	}
}

// BenchmarkCheckpointEncode: serialising the state of 10 000 groups holding 4 failed logins each
// (the worst case of failed_logins at the defaults without firing), as every checkpoint does.
func BenchmarkCheckpointEncode(b *testing.B) {
	p := newBenchProcessor(b, benchRules(4))
	rs := thresholdOf(p, 0)
	var key []byte
	for u := 0; u < 10000; u++ {
		vals := []string{benchUsers[u], "192.168.1.100"}
		key = appendGroupKey(key[:0], vals)
		for i := 0; i < 4; i++ {
			rs.observe(key, vals, int64(i)*int64(time.Second), fmt.Sprintf("%08d-0000-4000-8000-%012d", u, i), 0)
		}
	}
	var size int
	b.ReportAllocs()
	for b.Loop() {
		data, err := encodeState(p.rules)
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.ReportMetric(float64(size), "bytes")
}

// BenchmarkCheckpointSnapshot: the part of a checkpoint that holds the processor's lock.
func BenchmarkCheckpointSnapshot(b *testing.B) {
	p := newBenchProcessor(b, benchRules(4))
	rs := thresholdOf(p, 0)
	var key []byte
	for u := 0; u < 10000; u++ {
		vals := []string{benchUsers[u], "192.168.1.100"}
		key = appendGroupKey(key[:0], vals)
		for i := 0; i < 4; i++ {
			rs.observe(key, vals, int64(i)*int64(time.Second), fmt.Sprintf("%08d-0000-4000-8000-%012d", u, i), 0)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = takeSnapshot(p.rules)
	}
}
