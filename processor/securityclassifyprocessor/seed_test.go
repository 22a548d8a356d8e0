package securityclassifyprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// seedEvent is one of the seed's Task 2 log calls: its message, level and extras, as a producer that
// logs the seed's dict (not through secevent) sends them.
type seedEvent struct {
	source string // the Task 2 location
	msg    string
	sev    plog.SeverityNumber
	extra  map[string]any
	// expectations
	category secevent.Category
	outcome  string
	want     map[string]string // canonical attributes after normalisation
	// byKeyword is the category the message alone gets (no extras): the keyword fallback.
	byKeyword secevent.Category
}

const (
	info  = plog.SeverityNumberInfo
	warn  = plog.SeverityNumberWarn
	errS  = plog.SeverityNumberError
	debug = plog.SeverityNumberDebug
)

func seedEvents() []seedEvent {
	return []seedEvent{
		{source: "auth: successful login", msg: "User alice@example.com authenticated successfully", sev: info,
			extra:    map[string]any{"user": "alice@example.com", "action": "login", "result": "success", "source_ip": "192.168.1.10", "event_type": "authentication", "mfa_completed": true},
			category: secevent.CategoryAuthentication, outcome: "success",
			want:      map[string]string{secevent.KeyUserName: "alice@example.com", secevent.KeySourceAddress: "192.168.1.10", secevent.KeyAction: "login", secevent.KeyMFACompleted: "true"},
			byKeyword: secevent.CategoryAuthentication},
		{source: "auth: failed login", msg: "Failed login attempt for bob", sev: warn,
			extra:    map[string]any{"user": "bob", "action": "login", "result": "failure", "source_ip": "192.168.1.100", "event_type": "authentication", "failure_reason": "invalid_credentials"},
			category: secevent.CategoryAuthentication, outcome: "failure",
			want:      map[string]string{secevent.KeyReason: "invalid_credentials", secevent.KeyUserName: "bob"},
			byKeyword: secevent.CategoryAuthentication},
		{source: "auth: logout", msg: "User alice@example.com logged out", sev: info,
			extra:    map[string]any{"user": "alice@example.com", "action": "logout", "result": "success", "event_type": "authentication"},
			category: secevent.CategoryAuthentication, outcome: "success",
			byKeyword: secevent.CategoryAuthentication},
		{source: "rbac: permission denied", msg: "Permission denied: bob@example.com lacks config:write", sev: warn,
			extra:    map[string]any{"user": "bob@example.com", "action": "access", "result": "denied", "target": "/api/config", "required_permission": "config:write", "user_role": "viewer", "event_type": "authorization"},
			category: secevent.CategoryAuthorization, outcome: "denied",
			want:      map[string]string{secevent.KeyURLPath: "/api/config", secevent.KeyPermission: "config:write", secevent.KeyUserRoles: `["viewer"]`},
			byKeyword: secevent.CategoryAuthorization},
		{source: "rbac: privileged operation", msg: "User admin@example.com performed privileged operation", sev: info,
			extra:    map[string]any{"user": "admin@example.com", "action": "privileged_operation", "result": "success", "target": "/api/users", "permission": "users:admin", "event_type": "authorization"},
			category: secevent.CategoryAuthorization, outcome: "success",
			want:      map[string]string{secevent.KeyURLPath: "/api/users"},
			byKeyword: secevent.CategoryOperational},
		{source: "web: zerobus config modified", msg: "ZeroBus configuration modified by admin@example.com", sev: info,
			extra:    map[string]any{"user": "admin@example.com", "action": "modify_config", "result": "success", "target": "zerobus_config", "event_type": "configuration", "changes": `{"endpoint":"a=b"}`},
			category: secevent.CategoryConfiguration, outcome: "success",
			want:      map[string]string{secevent.KeyConfigKey: "zerobus_config", secevent.KeyConfigChanges: `{"endpoint":"a=b"}`},
			byKeyword: secevent.CategoryConfiguration},
		{source: "web: source deleted", msg: "Source plc-line-3 delete by admin@example.com", sev: info,
			extra:    map[string]any{"user": "admin@example.com", "action": "delete", "result": "success", "target": "plc-line-3", "event_type": "configuration"},
			category: secevent.CategoryConfiguration, outcome: "success",
			want:      map[string]string{secevent.KeyConfigKey: "plc-line-3"},
			byKeyword: secevent.CategoryOperational},
		{source: "zerobus: connection failure", msg: "Failed to connect to workspace.cloud.databricks.com", sev: errS,
			extra:    map[string]any{"action": "connect", "result": "failure", "target": "workspace.cloud.databricks.com", "event_type": "network", "failure_reason": "timeout"},
			category: secevent.CategoryNetwork, outcome: "failure",
			want:      map[string]string{secevent.KeyServerAddress: "workspace.cloud.databricks.com"},
			byKeyword: secevent.CategoryNetwork},
		{source: "zerobus: circuit breaker", msg: "Circuit breaker opened - potential service disruption", sev: errS,
			extra:    map[string]any{"action": "circuit_breaker_open", "result": "degraded_service", "target": "workspace-1", "failure_count": int64(5), "event_type": "availability"},
			category: secevent.CategoryAvailability, outcome: "degraded",
			want:      map[string]string{secevent.KeyServerAddress: "workspace-1", secevent.KeyFailureCount: "5"},
			byKeyword: secevent.CategoryAvailability},
		{source: "credentials: accessed", msg: "Credential accessed: zerobus_client_secret", sev: debug,
			extra:    map[string]any{"action": "credential_access", "result": "success", "target": "zerobus_client_secret", "event_type": "credential_access"},
			category: secevent.CategoryCredentialAccess, outcome: "success",
			want:      map[string]string{secevent.KeyCredentialName: "zerobus_client_secret"},
			byKeyword: secevent.CategoryCredentialAccess},
		{source: "credentials: updated", msg: "Credential updated: opcua_password", sev: info,
			extra:    map[string]any{"action": "credential_update", "result": "success", "target": "opcua_password", "event_type": "credential_access"},
			category: secevent.CategoryCredentialAccess, outcome: "success",
			want:      map[string]string{secevent.KeyCredentialName: "opcua_password"},
			byKeyword: secevent.CategoryCredentialAccess},
		{source: "credentials: decrypt failed", msg: "Failed to decrypt credential: opcua_password", sev: warn,
			extra:    map[string]any{"action": "credential_access", "result": "failure", "target": "opcua_password", "event_type": "credential_access", "failure_reason": "decryption_failed"},
			category: secevent.CategoryCredentialAccess, outcome: "failure",
			want:      map[string]string{secevent.KeyCredentialName: "opcua_password", secevent.KeyReason: "decryption_failed"},
			byKeyword: secevent.CategoryCredentialAccess},
		{source: "discovery: scan initiated", msg: "Network discovery scan initiated: 10.20.0.0/16", sev: info,
			extra:    map[string]any{"action": "network_scan", "result": "initiated", "target": "10.20.0.0/16", "event_type": "operational"},
			category: secevent.CategoryOperational, outcome: "initiated",
			want:      map[string]string{secevent.KeyNetworkRange: "10.20.0.0/16"},
			byKeyword: secevent.CategoryOperational},
		{source: "discovery: repeated connection failures", msg: "Repeated connection failures to 10.20.1.5:4840", sev: warn,
			extra:    map[string]any{"action": "connect", "result": "repeated_failure", "target": "10.20.1.5:4840", "failure_count": int64(7), "event_type": "network"},
			category: secevent.CategoryNetwork, outcome: "failure",
			want:      map[string]string{secevent.KeyServerAddress: "10.20.1.5", secevent.KeyServerPort: "4840"},
			byKeyword: secevent.CategoryNetwork},
	}
}

// Each of the seed's Task 2 events, with the extras the seed logs, comes out in the schema with the
// producer's category (source "producer").
func TestSeedSourcesWithProducerCategory(t *testing.T) {
	h := newHarness(t, keepAll())
	for _, ev := range seedEvents() {
		t.Run(ev.source, func(t *testing.T) {
			outs := h.consume(t, logsOf(rec{body: ev.msg, sev: ev.sev, attrs: ev.extra}))
			require.Len(t, outs, 1)
			lr := outs[0].lr
			assert.Equal(t, string(ev.category), attrStr(lr, secevent.KeyCategory))
			assert.Equal(t, string(secevent.ClassifiedByProducer), attrStr(lr, secevent.KeyClassificationSource))
			assert.Equal(t, "<absent>", attrStr(lr, secevent.KeyClassificationRule))
			assert.Equal(t, ev.outcome, attrStr(lr, secevent.KeyOutcome))
			assert.Equal(t, ev.extra["action"], attrStr(lr, secevent.KeyAction))
			for k, v := range ev.want {
				assert.Equal(t, v, attrStr(lr, k), k)
			}
			assert.Equal(t, secevent.EventName(ev.category, ev.extra["action"].(string)), lr.EventName())
			// Originals are kept by default.
			for k, v := range ev.extra {
				got, ok := lr.Attributes().Get(k)
				require.True(t, ok, "original %s kept", k)
				assert.Equal(t, v, got.AsRaw(), k)
			}
			assert.Equal(t, ev.msg, lr.Body().Str())
		})
	}
}

// Without event_type the structured extras still classify the seed's events, through the seed_*
// rules (source "rule").
func TestSeedSourcesWithoutCategoryByRules(t *testing.T) {
	h := newHarness(t, keepAll())
	for _, ev := range seedEvents() {
		t.Run(ev.source, func(t *testing.T) {
			extra := map[string]any{}
			for k, v := range ev.extra {
				if k != "event_type" {
					extra[k] = v
				}
			}
			outs := h.consume(t, logsOf(rec{body: ev.msg, sev: ev.sev, attrs: extra}))
			require.Len(t, outs, 1)
			lr := outs[0].lr
			assert.Equal(t, string(ev.category), attrStr(lr, secevent.KeyCategory))
			assert.Equal(t, string(secevent.ClassifiedByRule), attrStr(lr, secevent.KeyClassificationSource))
			assert.Contains(t, attrStr(lr, secevent.KeyClassificationRule), "seed_")
		})
	}
}

// With the message alone (no extras), the keyword fallback decides. The seed's matcher would have
// called "Repeated connection failures" availability ("failure" is a substring of "failures");
// word matching calls it network.
func TestSeedMessagesByKeyword(t *testing.T) {
	h := newHarness(t, keepAll())
	for _, ev := range seedEvents() {
		t.Run(ev.source, func(t *testing.T) {
			outs := h.consume(t, logsOf(rec{body: ev.msg, sev: ev.sev}))
			require.Len(t, outs, 1)
			lr := outs[0].lr
			assert.Equal(t, string(ev.byKeyword), attrStr(lr, secevent.KeyCategory))
			wantSource := secevent.ClassifiedByKeyword
			if ev.byKeyword == secevent.CategoryOperational {
				wantSource = secevent.ClassifiedByDefault
			}
			assert.Equal(t, string(wantSource), attrStr(lr, secevent.KeyClassificationSource))
			assert.Equal(t, secevent.EventName(ev.byKeyword, ""), lr.EventName())
		})
	}
}

// The default floor forwards WARN and above, authentication successes, configuration changes and
// alerts; everything else below WARN is dropped and counted per category.
func TestSeedSourcesDefaultFloor(t *testing.T) {
	h := newHarness(t, defaultConfig())
	var recs []rec
	for _, ev := range seedEvents() {
		recs = append(recs, rec{body: ev.msg, sev: ev.sev, attrs: ev.extra})
	}
	outs := h.consume(t, logsOf(recs...))
	var got []string
	for _, o := range outs {
		got = append(got, o.lr.Body().Str())
	}
	assert.Equal(t, []string{
		"User alice@example.com authenticated successfully",     // authentication success: kept
		"Failed login attempt for bob",                          // WARN
		"User alice@example.com logged out",                     // authentication success: kept
		"Permission denied: bob@example.com lacks config:write", // WARN
		"ZeroBus configuration modified by admin@example.com",   // configuration: kept
		"Source plc-line-3 delete by admin@example.com",         // configuration: kept
		"Failed to connect to workspace.cloud.databricks.com",   // ERROR
		"Circuit breaker opened - potential service disruption", // ERROR
		"Failed to decrypt credential: opcua_password",          // WARN
		"Repeated connection failures to 10.20.1.5:4840",        // WARN
	}, got)
	assert.EqualValues(t, 1, h.counter(t, metadata.MetricRecordsDropped, categoryAttr(secevent.CategoryAuthorization)))
	assert.EqualValues(t, 2, h.counter(t, metadata.MetricRecordsDropped, categoryAttr(secevent.CategoryCredentialAccess)))
	assert.EqualValues(t, 1, h.counter(t, metadata.MetricRecordsDropped, categoryAttr(secevent.CategoryOperational)))
	assert.EqualValues(t, 0, h.counter(t, metadata.MetricRecordsDropped, categoryAttr(secevent.CategoryAuthentication)))
	assert.EqualValues(t, 3, h.counter(t, metadata.MetricRecordsClassified, categoryAttr(secevent.CategoryAuthentication), sourceAttr(secevent.ClassifiedByProducer)))
}
