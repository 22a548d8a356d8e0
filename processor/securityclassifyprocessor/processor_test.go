package securityclassifyprocessor

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

func classifyOne(t *testing.T, h *harness, r rec) plog.LogRecord {
	t.Helper()
	outs := h.consume(t, logsOf(r))
	require.Len(t, outs, 1)
	return outs[0].lr
}

func TestConflictingSignals(t *testing.T) {
	h := newHarness(t, keepAll())

	// The message says login, the producer says configuration: the producer wins (seed defect 8).
	lr := classifyOne(t, h, rec{body: "admin login settings changed", sev: warn, attrs: map[string]any{"event_type": "configuration", "action": "modify"}})
	assert.Equal(t, "configuration", attrStr(lr, secevent.KeyCategory))
	assert.Equal(t, "producer", attrStr(lr, secevent.KeyClassificationSource))

	// Canonical key and alias disagree: the canonical key wins, the alias is kept as sent.
	lr = classifyOne(t, h, rec{body: "x", sev: warn, attrs: map[string]any{"event.category": "network", "event_type": "authentication"}})
	assert.Equal(t, "network", attrStr(lr, secevent.KeyCategory))
	assert.Equal(t, "authentication", attrStr(lr, "event_type"))

	// 'token' and 'login': the first keyword rule in the documented order (authentication before
	// credential_access) decides.
	lr = classifyOne(t, h, rec{body: "token refreshed after login", sev: warn})
	assert.Equal(t, "authentication", attrStr(lr, secevent.KeyCategory))
	assert.Equal(t, "keyword", attrStr(lr, secevent.KeyClassificationSource))
	lr = classifyOne(t, h, rec{body: "token refreshed", sev: warn})
	assert.Equal(t, "credential_access", attrStr(lr, secevent.KeyCategory))

	// A rule beats a keyword: the action says network, the message says login.
	lr = classifyOne(t, h, rec{body: "login server unreachable", sev: warn, attrs: map[string]any{"action": "connect"}})
	assert.Equal(t, "network", attrStr(lr, secevent.KeyCategory))
	assert.Equal(t, "rule", attrStr(lr, secevent.KeyClassificationSource))
	assert.Equal(t, "seed_network_actions", attrStr(lr, secevent.KeyClassificationRule))

	// An invalid producer category does not win; it is replaced (the alias keeps the word).
	lr = classifyOne(t, h, rec{body: "Failed login for bob", sev: warn, attrs: map[string]any{"event_type": "auth"}})
	assert.Equal(t, "authentication", attrStr(lr, secevent.KeyCategory))
	assert.Equal(t, "keyword", attrStr(lr, secevent.KeyClassificationSource))
	assert.Equal(t, "auth", attrStr(lr, "event_type"))

	// Word boundaries: "blogin" and "configured" are not "login" and "config"... but config* is a prefix.
	lr = classifyOne(t, h, rec{body: "weblogin portal started", sev: warn})
	assert.Equal(t, "operational", attrStr(lr, secevent.KeyCategory))
	assert.Equal(t, "default", attrStr(lr, secevent.KeyClassificationSource))
	lr = classifyOne(t, h, rec{body: "Circuit-Breaker tripped", sev: warn})
	assert.Equal(t, "availability", attrStr(lr, secevent.KeyCategory))
	lr = classifyOne(t, h, rec{body: "LOGIN_FAILED user=x", sev: warn})
	assert.Equal(t, "authentication", attrStr(lr, secevent.KeyCategory))

	// A record classified by an upstream security_classify keeps its audit trail.
	lr = classifyOne(t, h, rec{body: "x", sev: warn, attrs: map[string]any{
		secevent.KeyCategory: "authentication", secevent.KeyClassificationSource: "rule", secevent.KeyClassificationRule: "ot_syslog_ssh_login_failure",
	}})
	assert.Equal(t, "rule", attrStr(lr, secevent.KeyClassificationSource))
	assert.Equal(t, "ot_syslog_ssh_login_failure", attrStr(lr, secevent.KeyClassificationRule))
	assert.EqualValues(t, 1, h.counter(t, metadata.MetricRecordsClassified, categoryAttr(secevent.CategoryAuthentication), sourceAttr(secevent.ClassifiedByRule)))
	// A forged or unknown source on a record is replaced.
	lr = classifyOne(t, h, rec{body: "x", sev: warn, attrs: map[string]any{secevent.KeyCategory: "network", secevent.KeyClassificationSource: "magic"}})
	assert.Equal(t, "producer", attrStr(lr, secevent.KeyClassificationSource))

	// A record classified before keeps a stale rule id only if a rule matches again.
	lr = classifyOne(t, h, rec{body: "plain", sev: warn, attrs: map[string]any{secevent.KeyClassificationRule: "stale"}})
	assert.Equal(t, "<absent>", attrStr(lr, secevent.KeyClassificationRule))
}

func TestAliasesDropOriginals(t *testing.T) {
	cfg := keepAll()
	cfg.KeepOriginalKeys = false
	h := newHarness(t, cfg)
	lr := classifyOne(t, h, rec{body: "Permission denied", sev: warn, attrs: map[string]any{
		"user": "bob", "action": "access", "result": "forbidden", "target": "/api/x", "event_type": "authorization", "client_ip": "10.0.0.9",
	}})
	assert.Equal(t, map[string]any{
		secevent.KeyUserName: "bob", secevent.KeyAction: "access", secevent.KeyOutcome: "denied", secevent.KeyURLPath: "/api/x",
		secevent.KeyCategory: "authorization", secevent.KeySourceAddress: "10.0.0.9",
		secevent.KeyClassificationSource: "producer",
	}, lr.Attributes().AsRaw())

	// Values are converted to the schema's type where they can be.
	lr = classifyOne(t, h, rec{body: "x", sev: warn, attrs: map[string]any{
		"event_type": "network", "failure_count": " 7", "mfa_completed": "true", "user_role": "admin", "source_port": "not-a-port",
	}})
	assert.Equal(t, map[string]any{
		secevent.KeyCategory: "network", secevent.KeyFailureCount: int64(7), secevent.KeyMFACompleted: true,
		secevent.KeyUserRoles: []any{"admin"}, secevent.KeySourcePort: "not-a-port", secevent.KeyClassificationSource: "producer",
	}, lr.Attributes().AsRaw())

	// An unknown result word becomes "unknown"; the producer's word stays under its key.
	lr = classifyOne(t, h, rec{body: "x", sev: warn, attrs: map[string]any{"result": "half-done", "event_type": "operational"}})
	assert.Equal(t, "unknown", attrStr(lr, secevent.KeyOutcome))
	assert.Equal(t, "half-done", attrStr(lr, "result"))
	// The same for a canonical event.outcome the schema does not know.
	lr = classifyOne(t, h, rec{body: "x", sev: warn, attrs: map[string]any{"event.outcome": "meh", "event_type": "operational"}})
	assert.Equal(t, "unknown", attrStr(lr, secevent.KeyOutcome))
	assert.Equal(t, "meh", attrStr(lr, "result"))
	lr = classifyOne(t, h, rec{body: "x", sev: warn, attrs: map[string]any{"event.outcome": "failed", "event_type": "operational"}})
	assert.Equal(t, "failure", attrStr(lr, secevent.KeyOutcome))
	assert.Equal(t, "<absent>", attrStr(lr, "result"))
}

func TestConfiguredAliasesAndRecordFields(t *testing.T) {
	cfg := keepAll()
	cfg.Aliases["actor"] = secevent.KeyUserName
	cfg.Aliases["user"] = "" // removed: `user` stays as sent
	h := newHarness(t, cfg)
	lr := classifyOne(t, h, rec{attrs: map[string]any{"actor": "carol", "user": "dave", "levelname": "WARNING", "msg": "Failed login for carol"}})
	assert.Equal(t, "carol", attrStr(lr, secevent.KeyUserName))
	assert.Equal(t, "dave", attrStr(lr, "user"))
	assert.Equal(t, plog.SeverityNumberWarn, lr.SeverityNumber(), "levelname sets an unset severity")
	assert.Equal(t, "WARN", lr.SeverityText())
	assert.Equal(t, "Failed login for carol", lr.Body().Str(), "msg becomes an empty body")
	assert.Equal(t, "authentication", attrStr(lr, secevent.KeyCategory))

	// A body the producer wrote is not replaced by a message attribute that is not its tail.
	lr = classifyOne(t, h, rec{body: "the real body", sev: warn, attrs: map[string]any{"message": "other"}})
	assert.Equal(t, "the real body", lr.Body().Str())
	// A severity already set is not changed by a level name.
	lr = classifyOne(t, h, rec{body: "x", sev: plog.SeverityNumberError, attrs: map[string]any{"severity": "INFO"}})
	assert.Equal(t, plog.SeverityNumberError, lr.SeverityNumber())

	// Resource aliases are mapped on the resource too.
	ld := logsOf(rec{body: "x", sev: warn})
	ld.ResourceLogs().At(0).Resource().Attributes().PutStr("site", "plant-a")
	outs := h.consume(t, ld)
	require.Len(t, outs, 1)
	v, ok := outs[0].res.Attributes().Get(secevent.KeySiteName)
	require.True(t, ok)
	assert.Equal(t, "plant-a", v.Str())
}

func TestSeverityFloorOverrides(t *testing.T) {
	cfg := defaultConfig()
	cfg.SeverityFloor = SeverityFloorConfig{
		MinSeverity: "ERROR",
		Overrides: []SeverityOverride{
			{Category: "authentication", Outcomes: []string{"failure"}, MinSeverity: "WARN"},
			{Category: "authentication", MinSeverity: "FATAL"},
			{Category: "network", MinSeverity: "0"},
		},
	}
	h := newHarness(t, cfg)
	outs := h.consume(t, logsOf(
		rec{body: "a", sev: warn, attrs: map[string]any{"event_type": "authentication", "result": "failure"}},                     // kept: override WARN
		rec{body: "b", sev: plog.SeverityNumberError, attrs: map[string]any{"event_type": "authentication", "result": "success"}}, // dropped: FATAL
		rec{body: "c", sev: debug, attrs: map[string]any{"event_type": "network"}},                                                // kept: 0
		rec{body: "d", sev: warn, attrs: map[string]any{"event_type": "configuration"}},                                           // dropped: ERROR
		rec{body: "e", sev: 0, attrs: map[string]any{"event_type": "configuration"}},                                              // dropped: unset < ERROR
		rec{body: "f", sev: plog.SeverityNumberError, attrs: map[string]any{"event_type": "configuration"}},                       // kept
	))
	var bodies []string
	for _, o := range outs {
		bodies = append(bodies, o.lr.Body().Str())
	}
	assert.Equal(t, []string{"a", "c", "f"}, bodies)
	assert.EqualValues(t, 1, h.counter(t, metadata.MetricRecordsDropped, categoryAttr(secevent.CategoryAuthentication)))
	assert.EqualValues(t, 2, h.counter(t, metadata.MetricRecordsDropped, categoryAttr(secevent.CategoryConfiguration)))

	// A batch dropped entirely does not reach the next consumer.
	h.sink.Reset()
	require.NoError(t, h.p.ConsumeLogs(t.Context(), logsOf(rec{body: "d", sev: warn, attrs: map[string]any{"event_type": "configuration"}})))
	assert.Empty(t, h.sink.AllLogs())
	assert.EqualValues(t, 3, h.counter(t, metadata.MetricRecordsDropped, categoryAttr(secevent.CategoryConfiguration)))
}

// The collector's own audit records (heartbeats, checkpoints) are INFO and must reach the SIEM
// under the default floor, like alerts.
func TestDefaultFloorKeepsAuditAndAlert(t *testing.T) {
	h := newHarness(t, defaultConfig())
	outs := h.consume(t, logsOf(
		rec{body: "heartbeat", sev: info, attrs: map[string]any{"event.category": "audit", "event.action": "heartbeat"}},
		rec{body: "alert", sev: info, attrs: map[string]any{"event.category": "alert"}},
		rec{body: "dropped", sev: info, attrs: map[string]any{"event.category": "network"}},
	))
	var bodies []string
	for _, o := range outs {
		bodies = append(bodies, o.lr.Body().Str())
	}
	assert.Equal(t, []string{"heartbeat", "alert"}, bodies)
	assert.Equal(t, "security.audit.heartbeat", outs[0].lr.EventName())
}

func TestRuleSetAndConditionErrors(t *testing.T) {
	cfg := keepAll()
	cfg.Rules = []RuleConfig{
		{ID: "bad_type", Condition: `attributes["n"] + 1 > 2`, Category: "network"},
		{ID: "plc_stop", Condition: `resource["service.name"] == "unified-ot-connector" && body contains "PLC stopped"`, Category: "availability",
			Set: map[string]string{secevent.KeyAction: "plc_stop", secevent.KeyOutcome: "degraded"}, Severity: "ERROR"},
		{ID: "shorthand", Condition: "appname=historian AND msg_id=AUDIT", Category: "configuration"},
	}
	h := newHarness(t, cfg)
	lr := classifyOne(t, h, rec{body: "PLC stopped by operator", sev: info, attrs: map[string]any{"n": "text", "event.action": "operator_stop"}})
	assert.Equal(t, "availability", attrStr(lr, secevent.KeyCategory))
	assert.Equal(t, "plc_stop", attrStr(lr, secevent.KeyClassificationRule))
	assert.Equal(t, "operator_stop", attrStr(lr, secevent.KeyAction), "set does not overwrite")
	assert.Equal(t, "degraded", attrStr(lr, secevent.KeyOutcome))
	assert.Equal(t, plog.SeverityNumberError, lr.SeverityNumber())
	assert.Equal(t, "security.availability.operator_stop", lr.EventName())
	assert.EqualValues(t, 1, h.counter(t, metadata.MetricConditionErrors, ruleAttr("bad_type")))

	lr = classifyOne(t, h, rec{body: "recipe changed", sev: info, attrs: map[string]any{"appname": "historian", "msg_id": "AUDIT"}})
	assert.Equal(t, "configuration", attrStr(lr, secevent.KeyCategory))
	assert.Equal(t, "shorthand", attrStr(lr, secevent.KeyClassificationRule))

	// The producer's EventName is never replaced.
	l := logsOf(rec{body: "x", sev: warn, attrs: map[string]any{"event_type": "network"}})
	l.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).SetEventName("custom.name")
	outs := h.consume(t, l)
	assert.Equal(t, "custom.name", outs[0].lr.EventName())
}

type ctxKey struct{}

type ctxCapture struct {
	got []context.Context
}

func (c *ctxCapture) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }
func (c *ctxCapture) ConsumeLogs(ctx context.Context, _ plog.Logs) error {
	c.got = append(c.got, ctx)
	return nil
}

func TestLifecycle(t *testing.T) {
	t.Run("same context to the next consumer", func(t *testing.T) {
		next := &ctxCapture{}
		p, err := NewFactory().CreateLogs(t.Context(), processortest.NewNopSettings(metadata.Type), defaultConfig(), next)
		require.NoError(t, err)
		require.NoError(t, p.Start(t.Context(), componenttest.NewNopHost()))
		ctx := context.WithValue(t.Context(), ctxKey{}, "marker")
		require.NoError(t, p.ConsumeLogs(ctx, logsOf(rec{body: "x", sev: warn, attrs: map[string]any{"event_type": "network"}})))
		require.Len(t, next.got, 1)
		assert.Equal(t, "marker", next.got[0].Value(ctxKey{}))
		require.NoError(t, p.Shutdown(t.Context()))
	})
	t.Run("shutdown without start", func(t *testing.T) {
		p, err := NewFactory().CreateLogs(t.Context(), processortest.NewNopSettings(metadata.Type), defaultConfig(), &ctxCapture{})
		require.NoError(t, err)
		require.NoError(t, p.Shutdown(t.Context()))
	})
	t.Run("mutates data", func(t *testing.T) {
		p, err := NewFactory().CreateLogs(t.Context(), processortest.NewNopSettings(metadata.Type), defaultConfig(), &ctxCapture{})
		require.NoError(t, err)
		assert.True(t, p.Capabilities().MutatesData)
	})
	t.Run("bad rule fails creation naming the rule", func(t *testing.T) {
		cfg := defaultConfig()
		cfg.Rules = append(cfg.Rules, RuleConfig{ID: "broken", Condition: "event_type=", Category: "network"})
		_, err := NewFactory().CreateLogs(t.Context(), processortest.NewNopSettings(metadata.Type), cfg, &ctxCapture{})
		require.Error(t, err)
		assert.Contains(t, err.Error(), `id "broken"`)
		assert.Contains(t, err.Error(), "column 12: empty value")
	})
	t.Run("empty logs", func(t *testing.T) {
		next := &ctxCapture{}
		p, err := NewFactory().CreateLogs(t.Context(), processortest.NewNopSettings(metadata.Type), defaultConfig(), next)
		require.NoError(t, err)
		require.NoError(t, p.ConsumeLogs(t.Context(), plog.NewLogs()))
		assert.Empty(t, next.got)
	})
}

// The rule index must pick exactly the rule a linear scan in configuration order picks.
func TestRuleIndexKeepsFirstMatchOrder(t *testing.T) {
	cfgs := []RuleConfig{
		{ID: "a", Condition: `appname=sshd AND message=x`, Category: "network"},
		{ID: "b", Condition: `body contains "boot"`, Category: "availability"},
		{ID: "c", Condition: `attributes["appname"] in ["sshd", "sudo"] && body contains "fail"`, Category: "authentication"},
		{ID: "d", Condition: `resource["service.name"] == "unified-ot-connector" && body contains "fail"`, Category: "authorization"},
		{ID: "e", Condition: `appname=sudo`, Category: "authorization"},
		{ID: "f", Condition: `lower(body) contains "fail"`, Category: "configuration"},
		{ID: "g", Condition: `attr("msg_id") == "X" || attr("msg_id") == "Y"`, Category: "network"},
		{ID: "h", Condition: `attr("appname") == "sshd"`, Category: "operational"},
	}
	var rules []rule
	for i, rc := range cfgs {
		r, err := compileRule(i, rc)
		require.NoError(t, err)
		rules = append(rules, r)
	}
	ix := newRuleIndex(rules)
	linear := func(res pcommon.Resource, lr plog.LogRecord) string {
		for _, r := range rules {
			if ok, _ := r.cond.Match(res, lr); ok {
				return r.id
			}
		}
		return ""
	}
	seen := map[string]bool{}
	for _, app := range []string{"sshd", "sudo", "other", ""} {
		for _, body := range []string{"fail", "boot fail", "x", "FAIL", "nothing"} {
			for _, msgID := range []string{"X", "Y", "Z"} {
				for _, svc := range []string{"unified-ot-connector", "other"} {
					ld := logsOf(rec{body: body, attrs: map[string]any{"appname": app, "msg_id": msgID, "message": "x"}})
					rl := ld.ResourceLogs().At(0)
					rl.Resource().Attributes().PutStr(secevent.KeyServiceName, svc)
					lr := rl.ScopeLogs().At(0).LogRecords().At(0)
					st := batchStats{condErrors: make([]int64, len(rules))}
					got := ""
					if r := firstMatch(&ix, rules, rl.Resource(), lr, &st); r != nil {
						got = r.id
					}
					want := linear(rl.Resource(), lr)
					assert.Equal(t, want, got, "app=%q body=%q msg_id=%q svc=%q", app, body, msgID, svc)
					seen[want] = true
				}
			}
		}
	}
	for _, id := range []string{"a", "b", "c", "d", "e", "f", "g", "h", ""} {
		assert.True(t, seen[id], "case set exercises rule %q", id)
	}
}

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, "security_classify", f.Type().String())
	assert.Equal(t, component.StabilityLevelAlpha, f.LogsStability())
	assert.NoError(t, componenttest.CheckConfigStruct(f.CreateDefaultConfig()))
	assert.Len(t, secevent.Categories(), numCategories)
}

// ConsumeLogs may be called concurrently: the processor keeps no per-batch state.
func TestConcurrentBatches(t *testing.T) {
	h := newHarness(t, defaultConfig())
	done := make(chan error)
	for g := range 4 {
		go func() {
			var err error
			for range 50 {
				ld := syslogLogs(syslogRecord{raw: "<38>1 - plc sshd - - - Failed password for root", host: fmt.Sprintf("plc-%d", g), app: "sshd",
					msg: "Failed password for root", pri: 38})
				if err = h.p.ConsumeLogs(context.Background(), ld); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 4 {
		require.NoError(t, <-done)
	}
	assert.Equal(t, 200, h.sink.LogRecordCount())
	assert.EqualValues(t, 200, h.counter(t, metadata.MetricRecordsClassified, categoryAttr(secevent.CategoryAuthentication), sourceAttr(secevent.ClassifiedByRule)))
}
