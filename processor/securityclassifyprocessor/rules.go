package securityclassifyprocessor // import "github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor"

import (
	"github.com/unified-ot/otelcol-siem/secevent"
)

// DefaultRules reproduce the seed's intent for records whose producer gave no valid category:
//
//   - the seed_* rules classify by the structured fields the seed's Task 2 call sites set (the
//     action, the permission, the credential name, ...), which say more than the message words the
//     seed's keyword matcher looked at;
//   - the ot_syslog_* rules classify OT devices' syslog (records from the syslog receiver: body and
//     attributes appname, hostname, facility, ...) and fill in the action and outcome the alert rules
//     count; devices log failed logins at INFO, the seed's handler at WARNING, so those rules raise
//     the severity to WARN.
//
// A configured `rules` list replaces this one as a whole.
func DefaultRules() []RuleConfig {
	return []RuleConfig{
		{
			ID:        "seed_authentication_actions",
			Condition: `attributes["event.action"] in ["login", "logout"]`,
			Category:  string(secevent.CategoryAuthentication),
		},
		{
			ID:        "seed_authorization_actions",
			Condition: `attributes["event.action"] in ["access", "privileged_operation"] || "otsec.authz.permission" in attributes`,
			Category:  string(secevent.CategoryAuthorization),
		},
		{
			ID:        "seed_configuration_actions",
			Condition: `attributes["event.action"] in ["modify_config", "add", "modify", "delete"] || "otsec.config.changes" in attributes`,
			Category:  string(secevent.CategoryConfiguration),
		},
		{
			ID:        "seed_availability_actions",
			Condition: `attributes["event.action"] == "circuit_breaker_open" || attributes["event.outcome"] == "degraded"`,
			Category:  string(secevent.CategoryAvailability),
		},
		{
			ID:        "seed_network_actions",
			Condition: `attributes["event.action"] == "connect"`,
			Category:  string(secevent.CategoryNetwork),
		},
		{
			ID:        "seed_credential_actions",
			Condition: `attributes["event.action"] in ["credential_access", "credential_update"] || "otsec.credential.name" in attributes`,
			Category:  string(secevent.CategoryCredentialAccess),
		},
		{
			ID:        "seed_discovery_actions",
			Condition: `attributes["event.action"] == "network_scan"`,
			Category:  string(secevent.CategoryOperational),
		},
		{
			ID:        "ot_syslog_ssh_login_failure",
			Condition: `attributes["appname"] in ["sshd", "dropbear"] && body matches "(?i)(failed (password|publickey|none)|authentication failure|invalid user|bad password)"`,
			Category:  string(secevent.CategoryAuthentication),
			Set:       map[string]string{secevent.KeyAction: secevent.ActionLogin, secevent.KeyOutcome: string(secevent.OutcomeFailure)},
			Severity:  "WARN",
		},
		{
			ID:        "ot_syslog_ssh_login_success",
			Condition: `attributes["appname"] in ["sshd", "dropbear"] && body matches "(?i)(accepted (password|publickey|keyboard-interactive)|password auth succeeded)"`,
			Category:  string(secevent.CategoryAuthentication),
			Set:       map[string]string{secevent.KeyAction: secevent.ActionLogin, secevent.KeyOutcome: string(secevent.OutcomeSuccess)},
		},
		{
			ID:        "ot_syslog_sudo_denied",
			Condition: `attributes["appname"] == "sudo" && body matches "(?i)(not in sudoers|incorrect password attempt|command not allowed)"`,
			Category:  string(secevent.CategoryAuthorization),
			Set:       map[string]string{secevent.KeyAction: secevent.ActionPrivilegedOperation, secevent.KeyOutcome: string(secevent.OutcomeDenied)},
			Severity:  "WARN",
		},
	}
}
