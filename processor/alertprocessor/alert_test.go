package alertprocessor

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/internal/secformat"
	"github.com/unified-ot/otelcol-siem/processor/alertprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// The alert record carries every alert key of the schema, in its own ResourceLogs with the
// collector's identity, and the records pass through unchanged in front of it.
func TestAlertRecord(t *testing.T) {
	h := newHarness(t, defaultConfig())
	var evs []event
	for i := 0; i < 5; i++ {
		evs = append(evs, failedLogin(t0.Add(time.Duration(i)*time.Minute), "alice@example.com", "192.168.1.100"))
	}
	in := h.logs(evs...)
	want := plog.NewLogs()
	in.CopyTo(want)
	require.NoError(t, h.p.ConsumeLogs(t.Context(), in))
	out := h.sink.AllLogs()[0]

	require.Equal(t, 2, out.ResourceLogs().Len())
	// The input, unchanged, first.
	got := plog.NewLogs()
	out.ResourceLogs().At(0).CopyTo(got.ResourceLogs().AppendEmpty())
	assert.Equal(t, want, got)

	rl := out.ResourceLogs().At(1)
	svc, _ := rl.Resource().Attributes().Get(secevent.KeyServiceName)
	assert.Equal(t, "otelcol-siem", svc.Str())
	assert.Equal(t, metadata.ScopeName, rl.ScopeLogs().At(0).Scope().Name())
	require.Equal(t, 1, rl.ScopeLogs().At(0).LogRecords().Len())
	a := rl.ScopeLogs().At(0).LogRecords().At(0)

	assert.Equal(t, "security.alert.failed_logins", a.EventName())
	assert.Equal(t, plog.SeverityNumberError3, a.SeverityNumber())
	assert.Equal(t, "ERROR3", a.SeverityText())
	assert.Equal(t, t0.Add(4*time.Minute), a.Timestamp().AsTime(), "the alert's time is its last record's")
	assert.Equal(t, h.clock.Now(), a.ObservedTimestamp().AsTime())
	assert.Contains(t, a.Body().Str(), `Alert failed_logins (high): Multiple failed logins: 5 matching events for user.name="alice@example.com", source.address="192.168.1.100"`)

	assert.Equal(t, "alert", str(a, secevent.KeyCategory))
	assert.Regexp(t, uuidV4, str(a, secevent.KeyEventID))
	assert.Equal(t, "failed_logins", str(a, secevent.KeyAlertRuleID))
	assert.Equal(t, "Multiple failed logins", str(a, secevent.KeyAlertRuleName))
	assert.Equal(t, "high", str(a, secevent.KeyAlertSeverity))
	cnt, _ := a.Attributes().Get(secevent.KeyAlertCount)
	assert.Equal(t, int64(5), cnt.Int())
	assert.Equal(t, "2026-11-26T10:00:00Z", str(a, secevent.KeyAlertFirstSeen))
	assert.Equal(t, "2026-11-26T10:04:00Z", str(a, secevent.KeyAlertLastSeen))
	ids, _ := a.Attributes().Get(secevent.KeyAlertSampleEventIDs)
	assert.Equal(t, []any{"ev-000001", "ev-000002", "ev-000003", "ev-000004", "ev-000005"}, ids.Slice().AsRaw())
	assert.Equal(t, DefaultRules()[0].Description, str(a, secevent.KeyAlertDescription))
	assert.Equal(t, "2026-11-27T10:00:00Z", str(a, secevent.KeyNIS2EarlyWarningDue))
	assert.Equal(t, "2026-11-29T10:00:00Z", str(a, secevent.KeyNIS2NotificationDue))
	assert.Equal(t, "2026-12-29T10:00:00Z", str(a, secevent.KeyNIS2FinalReportDue))
	note := str(a, secevent.KeyNIS2SignificanceNote)
	assert.Contains(t, note, "if this incident is significant (NIS2 Art. 23(3))")
	assert.Contains(t, note, "2026-11-27T10:00:00Z")

	// Every alert key of the schema is present (description included, since the rule has one).
	for _, f := range secevent.Fields {
		if strings.HasPrefix(f.Key, "otsec.alert.") || strings.HasPrefix(f.Key, "otsec.nis2.") {
			_, ok := a.Attributes().Get(f.Key)
			assert.True(t, ok, "alert lacks %s", f.Key)
		}
	}
}

func TestAlertIDsUniqueAndSampleBounded(t *testing.T) {
	cfg := defaultConfig()
	cfg.Rules[0].Threshold = 25
	cfg.Rules[0].Cooldown = 0
	h := newHarness(t, cfg)
	var evs []event
	for i := 0; i < 50; i++ {
		evs = append(evs, failedLogin(t0.Add(time.Duration(i)*time.Second), "alice", "10.0.0.1"))
	}
	alerts := h.send(evs...)
	require.Len(t, alerts, 2)
	assert.NotEqual(t, str(alerts[0], secevent.KeyEventID), str(alerts[1], secevent.KeyEventID))
	ids, _ := alerts[0].Attributes().Get(secevent.KeyAlertSampleEventIDs)
	require.Equal(t, defaultMaxSampleEventIDs, ids.Slice().Len())
	assert.Equal(t, "ev-000001", ids.Slice().At(0).Str(), "the sample starts at the window's first record")
	cnt, _ := alerts[1].Attributes().Get(secevent.KeyAlertCount)
	assert.Equal(t, int64(25), cnt.Int())
	ids, _ = alerts[1].Attributes().Get(secevent.KeyAlertSampleEventIDs)
	assert.Equal(t, "ev-000026", ids.Slice().At(0).Str())
}

func TestSeverityMapping(t *testing.T) {
	for s, want := range map[secevent.AlertSeverity]plog.SeverityNumber{
		secevent.AlertSeverityLow:      plog.SeverityNumberWarn,
		secevent.AlertSeverityMedium:   plog.SeverityNumberWarn3,
		secevent.AlertSeverityHigh:     plog.SeverityNumberError3,
		secevent.AlertSeverityCritical: plog.SeverityNumberFatal2,
	} {
		got, text := severityNumber(s)
		assert.Equal(t, want, got, s)
		assert.Equal(t, strings.ToUpper(want.String()), text, s)
		assert.GreaterOrEqual(t, got, plog.SeverityNumberWarn, "an alert must pass a WARN+ filter")
	}
}

// One month after the notification counts as EU law counts months: same day, or the month's last.
func TestNIS2Dues(t *testing.T) {
	cases := []struct{ first, notification, final string }{
		{"2026-11-26T10:00:00Z", "2026-11-29T10:00:00Z", "2026-12-29T10:00:00Z"},
		{"2027-01-28T23:30:00Z", "2027-01-31T23:30:00Z", "2027-02-28T23:30:00Z"},
		{"2028-01-28T08:00:00Z", "2028-01-31T08:00:00Z", "2028-02-29T08:00:00Z"}, // leap year
		{"2026-12-29T12:00:00Z", "2027-01-01T12:00:00Z", "2027-02-01T12:00:00Z"},
		{"2026-10-28T00:00:00Z", "2026-10-31T00:00:00Z", "2026-11-30T00:00:00Z"},
		{"2026-12-28T06:00:00Z", "2026-12-31T06:00:00Z", "2027-01-31T06:00:00Z"},
	}
	for _, c := range cases {
		first, err := time.Parse(time.RFC3339, c.first)
		require.NoError(t, err)
		early, notification, final := nis2Dues(first)
		assert.Equal(t, first.Add(24*time.Hour), early)
		assert.Equal(t, c.notification, notification.Format(time.RFC3339), c.first)
		assert.Equal(t, c.final, final.Format(time.RFC3339), c.first)
	}
}

func TestBoundValue(t *testing.T) {
	short := "alice"
	assert.Equal(t, short, boundValue(short))
	a := strings.Repeat("é", 1000) + "a"
	b := strings.Repeat("é", 1000) + "b"
	ba, bb := boundValue(a), boundValue(b)
	assert.LessOrEqual(t, len(ba), maxValueLen)
	assert.NotEqual(t, ba, bb, "long values stay distinct")
	assert.True(t, strings.HasPrefix(ba, "éé"))
	assert.True(t, isValidUTF8(ba), ba)
}

func isValidUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// A condition that fails on a record counts as not matching and is counted per rule.
func TestConditionErrorsCounted(t *testing.T) {
	cfg := defaultConfig()
	cfg.Rules = []RuleConfig{{
		ID: "arith", Name: "arith", Threshold: 1, Window: time.Minute, Severity: secevent.AlertSeverityLow,
		Condition: `attributes["event.failure_count"] + 1 > 3`,
	}}
	h := newHarness(t, cfg)
	assert.Empty(t, h.send(event{t0, map[string]any{secevent.KeyFailureCount: "not a number"}}))
	assert.Len(t, h.send(event{t0, map[string]any{secevent.KeyFailureCount: 5}}), 1)
	assert.Equal(t, int64(1), h.counter(metadata.MetricConditionErrors, "arith"), fmt.Sprint(h.counter(metadata.MetricAlertsFired, "arith")))
}

// What the CEF formatter makes of the alert record, as the runbook and the README describe it: msg
// is the Body (the alert sentence), and otsec.alert.description, which shares msg with the Body in
// the schema and comes second, travels in the overflow JSON (cs6, labelled otsecExtra).
func TestAlertRecordCEFMessage(t *testing.T) {
	h := newHarness(t, defaultConfig())
	var evs []event
	for i := 0; i < 5; i++ {
		evs = append(evs, failedLogin(t0.Add(time.Duration(i)*time.Minute), "alice@example.com", "192.168.1.100"))
	}
	alerts := h.send(evs...)
	require.Len(t, alerts, 1)
	a := alerts[0]

	f, err := secformat.NewCEF(secformat.DefaultCEFConfig())
	require.NoError(t, err)
	line := string(f.Append(nil, pcommon.NewResource(), a))

	// CEF extension values escape \ and =; the Body has no other character CEF escapes.
	esc := strings.NewReplacer(`\`, `\\`, `=`, `\=`)
	assert.Contains(t, line, "|msg="+esc.Replace(a.Body().Str())+" cat=alert ", "msg is the Body: %s", line)

	start := strings.Index(line, " cs6=")
	end := strings.Index(line, " cs6Label=otsecExtra")
	require.True(t, start >= 0 && end > start, "no overflow JSON in %s", line)
	raw := strings.NewReplacer(`\\`, `\`, `\=`, `=`).Replace(line[start+len(" cs6=") : end])
	var over map[string]any
	require.NoError(t, json.Unmarshal([]byte(raw), &over), "cs6: %s", raw)
	assert.Equal(t, DefaultRules()[0].Description, over[secevent.KeyAlertDescription])
	assert.NotContains(t, line[:start], DefaultRules()[0].Description, "the description is only in cs6")
}
