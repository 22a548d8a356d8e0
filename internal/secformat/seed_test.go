package secformat

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// seedEvent is one of the seed's Task 2 call sites (plus one alert record), expressed in schema
// keys as secevent emits it or security_classify maps it.
type seedEvent struct {
	name  string
	sev   plog.SeverityNumber
	text  string
	body  string
	cat   secevent.Category
	act   string
	attrs map[string]any
}

var seedBase = time.Date(2026, 11, 26, 10, 15, 2, 123456789, time.UTC)

func seedEvents() []seedEvent {
	return []seedEvent{
		{"login_success", plog.SeverityNumberInfo, "INFO", "User alice@example.com authenticated successfully", secevent.CategoryAuthentication, secevent.ActionLogin, map[string]any{
			secevent.KeyOutcome: "success", secevent.KeyUserName: "alice@example.com", secevent.KeySourceAddress: "192.168.1.100", secevent.KeyMFACompleted: true}},
		{"login_failure", plog.SeverityNumberWarn, "WARN", "Failed login attempt for alice@example.com", secevent.CategoryAuthentication, secevent.ActionLogin, map[string]any{
			secevent.KeyOutcome: "failure", secevent.KeyUserName: "alice@example.com", secevent.KeySourceAddress: "192.168.1.100", secevent.KeyReason: "invalid_credentials"}},
		{"logout", plog.SeverityNumberInfo, "INFO", "User alice@example.com logged out", secevent.CategoryAuthentication, secevent.ActionLogout, map[string]any{
			secevent.KeyOutcome: "success", secevent.KeyUserName: "alice@example.com"}},
		{"permission_denied", plog.SeverityNumberWarn, "WARN", "Permission denied: bob@example.com lacks config:write", secevent.CategoryAuthorization, secevent.ActionAccess, map[string]any{
			secevent.KeyOutcome: "denied", secevent.KeyUserName: "bob@example.com", secevent.KeyURLPath: "/api/zerobus/config", secevent.KeyPermission: "config:write", secevent.KeyUserRoles: []any{"viewer"}}},
		{"privileged_operation", plog.SeverityNumberInfo, "INFO", "User admin@example.com performed privileged operation", secevent.CategoryAuthorization, secevent.ActionPrivilegedOperation, map[string]any{
			secevent.KeyOutcome: "success", secevent.KeyUserName: "admin@example.com", secevent.KeyURLPath: "/api/credentials", secevent.KeyPermission: "credentials:write"}},
		{"zerobus_config_modified", plog.SeverityNumberInfo, "INFO", "ZeroBus configuration modified by admin@example.com", secevent.CategoryConfiguration, secevent.ActionModifyConfig, map[string]any{
			secevent.KeyOutcome: "success", secevent.KeyUserName: "admin@example.com", secevent.KeyConfigKey: "zerobus_config", secevent.KeyConfigChanges: `{"endpoint": "https://ws.example.com", "batch_size": 500}`}},
		{"source_added", plog.SeverityNumberInfo, "INFO", "Source plc-line-3 add by admin@example.com", secevent.CategoryConfiguration, secevent.ActionAdd, map[string]any{
			secevent.KeyOutcome: "success", secevent.KeyUserName: "admin@example.com", secevent.KeyConfigKey: "plc-line-3"}},
		{"connect_failure", plog.SeverityNumberError, "ERROR", "Failed to connect to ws.cloud.example.com", secevent.CategoryNetwork, secevent.ActionConnect, map[string]any{
			secevent.KeyOutcome: "failure", secevent.KeyServerAddress: "ws.cloud.example.com", secevent.KeyReason: "dial tcp 203.0.113.7:443: connect: connection refused"}},
		{"circuit_breaker_open", plog.SeverityNumberError, "ERROR", "Circuit breaker opened - potential service disruption", secevent.CategoryAvailability, secevent.ActionCircuitBreakerOpen, map[string]any{
			secevent.KeyOutcome: "degraded", secevent.KeyServerAddress: "ws.cloud.example.com", secevent.KeyFailureCount: int64(5)}},
		{"credential_accessed", plog.SeverityNumberDebug, "DEBUG", "Credential accessed: zerobus_client_secret", secevent.CategoryCredentialAccess, secevent.ActionCredentialAccess, map[string]any{
			secevent.KeyOutcome: "success", secevent.KeyCredentialName: "zerobus_client_secret"}},
		{"credential_updated", plog.SeverityNumberInfo, "INFO", "Credential updated: zerobus_client_secret", secevent.CategoryCredentialAccess, secevent.ActionCredentialUpdate, map[string]any{
			secevent.KeyOutcome: "success", secevent.KeyCredentialName: "zerobus_client_secret"}},
		{"credential_decrypt_failure", plog.SeverityNumberWarn, "WARN", "Failed to decrypt credential: zerobus_client_secret", secevent.CategoryCredentialAccess, secevent.ActionCredentialAccess, map[string]any{
			secevent.KeyOutcome: "failure", secevent.KeyCredentialName: "zerobus_client_secret", secevent.KeyReason: "decryption_failed"}},
		{"network_scan", plog.SeverityNumberInfo, "INFO", "Network discovery scan initiated: 10.20.0.0/16", secevent.CategoryOperational, secevent.ActionNetworkScan, map[string]any{
			secevent.KeyOutcome: "initiated", secevent.KeyNetworkRange: "10.20.0.0/16"}},
		{"repeated_connect_failures", plog.SeverityNumberWarn, "WARN", "Repeated connection failures to 10.20.1.15:4840", secevent.CategoryNetwork, secevent.ActionConnect, map[string]any{
			secevent.KeyOutcome: "failure", secevent.KeyServerAddress: "10.20.1.15", secevent.KeyServerPort: int64(4840), secevent.KeyFailureCount: int64(12)}},
		{"alert_brute_force", plog.SeverityNumberError, "ERROR", "Alert: 5 failed logins for alice@example.com within 5m", secevent.CategoryAlert, "", map[string]any{
			secevent.KeyAlertRuleID: "brute_force_login", secevent.KeyAlertRuleName: "Brute-force login attempts", secevent.KeyAlertSeverity: "high",
			secevent.KeyAlertCount: int64(5), secevent.KeyAlertGroup: map[string]any{secevent.KeyUserName: "alice@example.com"},
			secevent.KeyAlertFirstSeen: "2026-11-26T10:10:02.5Z", secevent.KeyAlertLastSeen: "2026-11-26T10:15:02.123Z",
			secevent.KeyAlertSampleEventIDs: []any{"6f1c0000-0000-4000-8000-000000000001", "6f1c0000-0000-4000-8000-000000000002"},
			secevent.KeyAlertDescription:    "Five or more failed logins for one user within five minutes",
			secevent.KeyNIS2EarlyWarningDue: "2026-11-27T10:10:02.5Z", secevent.KeyNIS2NotificationDue: "2026-11-29T10:10:02.5Z",
			secevent.KeyNIS2FinalReportDue: "2026-12-29T10:10:02.5Z", secevent.KeyNIS2SignificanceNote: "The dues apply if the incident is significant (NIS2 Art. 23(3)).",
			secevent.KeyUserName: "alice@example.com"}},
	}
}

// seedResource is the Unified OT Connector's resource.
func seedResource(res pcommon.Resource) {
	a := res.Attributes()
	a.PutStr(secevent.KeyServiceName, "unified-ot-connector")
	a.PutStr(secevent.KeyServiceVersion, "1.4.2")
	a.PutStr(secevent.KeyHostName, "edge-01")
	a.PutStr(secevent.KeyDeploymentEnvironment, "production")
	a.PutStr(secevent.KeySiteName, "plant-a")
	a.PutInt(ResourceProcessPID, 4242)
}

// build returns the i-th seed event as a log record with its resource. Attributes are put in a
// fixed order (category, action, then the rest sorted) so that goldens are stable.
func (e seedEvent) build(i int) (pcommon.Resource, plog.LogRecord) {
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	seedResource(rl.Resource())
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	ts := seedBase.Add(time.Duration(i) * time.Second)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(ts.Add(250 * time.Millisecond)))
	lr.SetSeverityNumber(e.sev)
	lr.SetSeverityText(e.text)
	lr.SetEventName(secevent.EventName(e.cat, e.act))
	lr.Body().SetStr(e.body)
	a := lr.Attributes()
	a.PutStr(secevent.KeyCategory, string(e.cat))
	if e.act != "" {
		a.PutStr(secevent.KeyAction, e.act)
	}
	for _, k := range sortedKeys(e.attrs) {
		if err := a.PutEmpty(k).FromRaw(e.attrs[k]); err != nil {
			panic(err)
		}
	}
	a.PutStr(secevent.KeyEventID, "6f1c0000-0000-4000-8000-0000000000"+twoDigits(i))
	return rl.Resource(), lr
}

func twoDigits(i int) string { return string([]byte{byte('0' + i/10%10), byte('0' + i%10)}) }

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
