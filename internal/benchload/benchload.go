// Package benchload is the one security-event load every performance measurement of the project
// uses: the end-to-end benchmark (cmd/siem-bench) and the processors' BenchmarkE2ELoad. It also
// reads a component's section of the site configuration, so that benchmarks run the rules the
// site ships rather than a copy that could drift.
package benchload // import "github.com/unified-ot/otelcol-siem/internal/benchload"

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"time"

	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.yaml.in/yaml/v3"

	"github.com/unified-ot/otelcol-siem/secevent"
)

const (
	// Batch is the default number of records per OTLP request.
	Batch = 500
	// Users is the number of accounts the load's user names cycle over.
	Users = 1000
)

// FailedLogins builds n full-size security events (a failed login as the Unified OT Connector
// emits it: a ~110-byte message, eight schema attributes, four resource attributes) in requests
// of batch records each. Event times are 1 µs apart from now. User names cycle over Users
// accounts from one source address, so the alert processor holds Users groups and fires at most
// once per group and cooldown, as on a site under a password-spraying attack. Event ids are
// idPrefix-<8-digit index>.
func FailedLogins(n, batch int, idPrefix string, now time.Time) []plog.Logs {
	var out []plog.Logs
	for start := 0; start < n; start += batch {
		logs := plog.NewLogs()
		rl := logs.ResourceLogs().AppendEmpty()
		ra := rl.Resource().Attributes()
		ra.PutStr(secevent.KeyServiceName, "unified-ot-connector")
		ra.PutStr(secevent.KeyServiceVersion, "1.4.2")
		ra.PutStr(secevent.KeyHostName, "edge-gw-01")
		ra.PutStr(secevent.KeySiteName, "plant-a")
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName("github.com/unified-ot/otelcol-siem/secevent/seclog")
		lrs := sl.LogRecords()
		end := min(start+batch, n)
		lrs.EnsureCapacity(end - start)
		for i := start; i < end; i++ {
			lr := lrs.AppendEmpty()
			ts := pcommon.NewTimestampFromTime(now.Add(time.Duration(i) * time.Microsecond))
			lr.SetTimestamp(ts)
			lr.SetObservedTimestamp(ts)
			lr.SetSeverityNumber(plog.SeverityNumberWarn)
			lr.SetSeverityText("WARN")
			lr.SetEventName(secevent.EventName(secevent.CategoryAuthentication, secevent.ActionLogin))
			user := fmt.Sprintf("operator%03d@plant-a.example", i%Users)
			lr.Body().SetStr("Failed login attempt for " + user + " from 192.168.17.42: invalid credentials (web console, OPC UA gateway)")
			a := lr.Attributes()
			a.PutStr(secevent.KeyCategory, string(secevent.CategoryAuthentication))
			a.PutStr(secevent.KeyAction, secevent.ActionLogin)
			a.PutStr(secevent.KeyOutcome, string(secevent.OutcomeFailure))
			a.PutStr(secevent.KeyReason, "invalid_credentials")
			a.PutStr(secevent.KeyUserName, user)
			a.PutStr(secevent.KeySourceAddress, "192.168.17.42")
			a.PutInt(secevent.KeySourcePort, 51544)
			a.PutStr(secevent.KeyEventID, fmt.Sprintf("%s-%08d", idPrefix, i))
		}
		out = append(out, logs)
	}
	return out
}

// Received is FailedLogins as an OTLP receiver hands it on: each request encoded to protobuf and
// decoded again, so that keys and values are the decoder's strings and slices have the decoder's
// capacities, not the builder's constants.
func Received(n, batch int, idPrefix string, now time.Time) ([]plog.Logs, error) {
	built := FailedLogins(n, batch, idPrefix, now)
	out := make([]plog.Logs, len(built))
	for i, ld := range built {
		buf, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
		if err != nil {
			return nil, err
		}
		if out[i], err = (&plog.ProtoUnmarshaler{}).UnmarshalLogs(buf); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// envDefault matches ${env:NAME:-default} in the site configuration.
var envDefault = regexp.MustCompile(`\$\{env:[A-Za-z0-9_]+:-([^}]*)\}`)

// SiteConfig reads the section (e.g. "processors::alert") of the collector configuration at path,
// with every ${env:NAME:-default} at its default: the collector's resolution when the variable is
// unset.
func SiteConfig(path, section string) (*confmap.Conf, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err = yaml.Unmarshal(envDefault.ReplaceAll(raw, []byte("$1")), &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sub, err := confmap.NewFromStringMap(m).Sub(section)
	if err != nil {
		return nil, err
	}
	if len(sub.AllKeys()) == 0 {
		return nil, fmt.Errorf("%s has no %s section", path, section)
	}
	return sub, nil
}

// UnmarshalSite unmarshals the section of the collector configuration at path (SiteConfig) into
// cfg, a component's Config: a benchmark then runs the settings the site ships.
func UnmarshalSite(path, section string, cfg any) error {
	conf, err := SiteConfig(path, section)
	if err != nil {
		return err
	}
	return conf.Unmarshal(cfg)
}

// CountingConsumer is the next consumer of a processor benchmark: it only sets *passed to the
// record count of each call. A sink that kept the batches would allocate per call and weigh on
// what the benchmark measures.
func CountingConsumer(passed *int) consumer.Logs {
	next, err := consumer.NewLogs(func(_ context.Context, ld plog.Logs) error {
		*passed = ld.LogRecordCount()
		return nil
	})
	if err != nil {
		panic(err) // NewLogs fails only for a nil function
	}
	return next
}

// Mallocs is the count of heap allocations so far, as testing's allocs/op counts them. It stops
// the world: read it only while a benchmark's timer is stopped.
func Mallocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}
