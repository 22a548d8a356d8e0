package securityclassifyprocessor

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

const benchBatch = 1000

// benchRules returns n rules, none of which matches the benchmark records (the worst case: every
// rule is evaluated on every record without a producer category), in three common shapes.
func benchRules(n int) []RuleConfig {
	rules := make([]RuleConfig, 0, n)
	for i := range n {
		var cond string
		switch i % 3 {
		case 0:
			cond = fmt.Sprintf("appname=app%d AND msg_id=M%d", i, i)
		case 1:
			cond = fmt.Sprintf(`attributes["appname"] == "app%d" && body contains "token%d"`, i, i)
		default:
			cond = fmt.Sprintf(`attributes["appname"] in ["app%d", "dev%d"] && body matches "(?i)^fault %d"`, i, i, i)
		}
		rules = append(rules, RuleConfig{ID: fmt.Sprintf("r%d", i), Condition: cond, Category: "availability"})
	}
	return rules
}

// producerBatch is what secevent emits: canonical keys, a valid category (step 1 decides).
func producerBatch() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(secevent.KeyServiceName, "unified-ot-connector")
	rl.Resource().Attributes().PutStr(secevent.KeyHostName, "edge-01")
	sl := rl.ScopeLogs().AppendEmpty()
	for i := range benchBatch {
		lr := sl.LogRecords().AppendEmpty()
		lr.Body().SetStr("Failed login attempt for alice@example.com")
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.SetEventName("security.authentication.login")
		a := lr.Attributes()
		a.PutStr(secevent.KeyCategory, "authentication")
		a.PutStr(secevent.KeyAction, "login")
		a.PutStr(secevent.KeyOutcome, "failure")
		a.PutStr(secevent.KeyReason, "invalid_credentials")
		a.PutStr(secevent.KeyUserName, "alice@example.com")
		a.PutStr(secevent.KeySourceAddress, "192.168.1.100")
		a.PutStr(secevent.KeyEventID, fmt.Sprintf("6f1c0000-0000-0000-0000-%012d", i))
	}
	return ld
}

// seedBatch is the seed's dict, as a non-secevent producer sends it: aliases, target, result words.
func seedBatch() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(secevent.KeyServiceName, "unified-ot-connector")
	sl := rl.ScopeLogs().AppendEmpty()
	for range benchBatch {
		lr := sl.LogRecords().AppendEmpty()
		lr.Body().SetStr("Permission denied: bob@example.com lacks config:write")
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		_ = lr.Attributes().FromRaw(map[string]any{
			"user": "bob@example.com", "action": "access", "result": "denied", "target": "/api/config",
			"required_permission": "config:write", "event_type": "authorization",
		})
	}
	return ld
}

// syslogBatch is OT-device syslog (as the syslog receiver emits it) from 4 devices, no category:
// every rule is evaluated, then the keyword fallback.
func syslogBatch() plog.Logs {
	var recs []syslogRecord
	for i := range benchBatch {
		host := fmt.Sprintf("plc-%02d", i%4)
		msg := "Link up on port eth0 after maintenance window"
		recs = append(recs, syslogRecord{raw: "<132>1 2026-11-26T10:00:00Z " + host + " modbusd - - - " + msg,
			host: host, app: "modbusd", msg: msg, pri: 132, rfc5424: true})
	}
	return syslogLogs(recs...)
}

func benchProcess(b *testing.B, batch func() plog.Logs, rules int) {
	cfg := defaultConfig()
	cfg.Rules = benchRules(rules)
	c, err := newClassifier(cfg, processortest.NewNopSettings(metadata.Type))
	if err != nil {
		b.Fatal(err)
	}
	src := batch()
	work := plog.NewLogs()
	b.ReportAllocs()
	b.ResetTimer()
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		src.CopyTo(work)
		b.StartTimer()
		c0 := processCPU()
		out, err := c.processLogs(b.Context(), work)
		cpu += processCPU() - c0
		if err != nil || out.LogRecordCount() != benchBatch {
			b.Fatalf("%v: %d records out", err, out.LogRecordCount())
		}
	}
	b.ReportMetric(float64(b.N)*benchBatch/b.Elapsed().Seconds(), "records/s")
	// The machine the benchmarks run on may be shared: CPU time (user+system of the process, GC
	// included) gives records per second of one core, which wall time under contention does not.
	b.ReportMetric(float64(b.N)*benchBatch/cpu.Seconds(), "records/cpu-s")
}

func BenchmarkProcessLogs(b *testing.B) {
	for _, kind := range []struct {
		name  string
		batch func() plog.Logs
	}{{"producer", producerBatch}, {"seed_aliases", seedBatch}, {"ot_syslog", syslogBatch}} {
		for _, n := range []int{1, 20, 200} {
			b.Run(fmt.Sprintf("%s/rules=%d", kind.name, n), func(b *testing.B) { benchProcess(b, kind.batch, n) })
		}
	}
}

// processCPU is the CPU time the process has used (all threads: the GC's work counts).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
