package secevent

// Type is a field's value type as carried in an OpenTelemetry attribute.
type Type string

// The attribute value types the schema uses.
const (
	TypeString      Type = "string"
	TypeInt         Type = "int"
	TypeBool        Type = "bool"
	TypeStringSlice Type = "string[]"
	TypeTimestamp   Type = "string (RFC 3339)"
	TypeMap         Type = "map"
)

// Place says where in an OTLP log a field lives.
type Place string

// The places a field can live in.
const (
	PlaceAttribute Place = "attribute"
	PlaceResource  Place = "resource"
	PlaceRecord    Place = "record" // a LogRecord field, not an attribute
)

// Field describes one field of the schema: its canonical key and how every component spells it.
type Field struct {
	Key         string
	Type        Type
	Place       Place
	Allowed     string   // allowed values, or a description of them
	SeedAliases []string // the seed's (and other producers') names, mapped to Key by security_classify
	CEF         string   // CEF extension key (or header position) it is written to by default
	JSON        string   // field name in the JSON / HEC event object
	Description string
}

// Record-level pseudo keys: LogRecord fields that are not attributes, named for the table.
const (
	RecordTimestamp = "Timestamp"
	RecordBody      = "Body"
	RecordSeverity  = "SeverityNumber"
	RecordEventName = "EventName"
)

// Fields is the schema, in documented order. docs/security-event-schema.md renders this table;
// TestSchemaDocInSync fails when the two differ.
var Fields = []Field{
	{RecordTimestamp, TypeTimestamp, PlaceRecord, "event time, UTC", []string{"timestamp"}, "rt (epoch ms)", "@timestamp", "When the event happened (ObservedTimestamp when the producer set none). Never the send time."},
	{RecordBody, TypeString, PlaceRecord, "free text", []string{"message", "msg"}, "msg", "message", "Human-readable message."},
	{RecordSeverity, TypeInt, PlaceRecord, "1..24 (OTel severity)", []string{"severity", "levelname"}, "Severity (header, 0..10)", "severity_number, severity_text", "Severity; WARN (13) and above is forwarded by default."},
	{RecordEventName, TypeString, PlaceRecord, "security.<category>[.<action>]", nil, "-", "event.name", "LogRecord EventName."},
	{KeyCategory, TypeString, PlaceAttribute, "authentication, authorization, configuration, network, credential_access, availability, operational, alert, audit", []string{"event_type"}, "cat; Signature ID = category[.action]", KeyCategory, "What kind of security event this is."},
	{KeyAction, TypeString, PlaceAttribute, "login, logout, access, privileged_operation, modify_config, add, modify, delete, connect, circuit_breaker_open, credential_access, credential_update, network_scan, ... (open set)", []string{"action"}, "act", KeyAction, "What was attempted."},
	{KeyOutcome, TypeString, PlaceAttribute, "success, failure, denied, degraded, initiated, unknown", []string{"result", "outcome"}, "outcome", KeyOutcome, "How it ended. Seed words: degraded_service -> degraded, repeated_failure -> failure."},
	{KeyReason, TypeString, PlaceAttribute, "free text, e.g. invalid_credentials, decryption_failed", []string{"failure_reason", "reason"}, "reason", KeyReason, "Why it failed or was denied."},
	{KeyEventID, TypeString, PlaceAttribute, "unique per event (UUID recommended)", []string{"event_id"}, "externalId", KeyEventID, "Producer-assigned id for de-duplication and loss counting."},
	{KeyFailureCount, TypeInt, PlaceAttribute, ">= 0", []string{"failure_count"}, "cn1 (failureCount)", KeyFailureCount, "Consecutive failures the producer saw."},
	{KeyTarget, TypeString, PlaceAttribute, "free text", []string{"target"}, "overflow JSON (cs6)", KeyTarget, "Seed `target` whose kind could not be told; see \"Where target goes\"."},
	{KeyUserName, TypeString, PlaceAttribute, "account name or e-mail", []string{"user", "username", "user_name", "user.email"}, "suser", KeyUserName, "Acting or affected account."},
	{KeyUserRoles, TypeStringSlice, PlaceAttribute, "role names", []string{"user_role", "role"}, "cs4 (userRoles, comma-joined)", KeyUserRoles, "Roles of the account."},
	{KeySourceAddress, TypeString, PlaceAttribute, "IP address or host name", []string{"source_ip", "client_ip", "source.ip", "client.address", "remote_addr"}, "src if an IP address, else shost", KeySourceAddress, "Where the request came from."},
	{KeySourcePort, TypeInt, PlaceAttribute, "1..65535", []string{"source_port", "client.port"}, "spt", KeySourcePort, "Source port."},
	{KeyServerAddress, TypeString, PlaceAttribute, "IP address or host name", []string{"destination.address", "destination.ip", "target (address or host)"}, "dst if an IP address, else dhost", KeyServerAddress, "Remote service acted upon."},
	{KeyServerPort, TypeInt, PlaceAttribute, "1..65535", []string{"destination.port"}, "dpt", KeyServerPort, "Remote service port."},
	{KeyURLPath, TypeString, PlaceAttribute, "path starting with /", []string{"path", "request_path", "target (URL path)"}, "request", KeyURLPath, "HTTP request path."},
	{KeyURLFull, TypeString, PlaceAttribute, "absolute URL", []string{"url", "target (URL)"}, "request", KeyURLFull, "Whole URL of the request."},
	{KeyMFACompleted, TypeBool, PlaceAttribute, "true, false", []string{"mfa_completed"}, "overflow JSON (cs6)", KeyMFACompleted, "Whether MFA was completed."},
	{KeyPermission, TypeString, PlaceAttribute, "permission name", []string{"required_permission", "permission"}, "cs3 (permission)", KeyPermission, "Permission required or exercised."},
	{KeyConfigKey, TypeString, PlaceAttribute, "config item or data-source name", []string{"config_key", "target (config key)"}, "cs1 (configKey)", KeyConfigKey, "Configuration item changed."},
	{KeyConfigChanges, TypeString, PlaceAttribute, "JSON document", []string{"changes"}, "cs5 (changes)", KeyConfigChanges, "What changed (no secret values)."},
	{KeyCredentialName, TypeString, PlaceAttribute, "credential key name, never its value", []string{"credential", "key_name", "target (credential name)"}, "cs2 (credentialName)", KeyCredentialName, "Credential accessed or changed."},
	{KeyNetworkRange, TypeString, PlaceAttribute, "CIDR", []string{"network_range", "target (network range)"}, "overflow JSON (cs6)", KeyNetworkRange, "Range a discovery scan covers."},
	{KeyClassificationSource, TypeString, PlaceAttribute, "producer, rule, keyword, default", nil, "overflow JSON (cs6)", KeyClassificationSource, "Which classification step decided the category."},
	{KeyClassificationRule, TypeString, PlaceAttribute, "rule id", nil, "overflow JSON (cs6)", KeyClassificationRule, "Classification rule that matched."},
	{KeyAlertRuleID, TypeString, PlaceAttribute, "rule id", nil, "Signature ID", KeyAlertRuleID, "Alert rule that fired (alert records)."},
	{KeyAlertRuleName, TypeString, PlaceAttribute, "rule name", nil, "Name (header)", KeyAlertRuleName, "Readable name of the alert rule."},
	{KeyAlertSeverity, TypeString, PlaceAttribute, "low, medium, high, critical", nil, "Severity (header)", KeyAlertSeverity, "Alert severity from the rule."},
	{KeyAlertCount, TypeInt, PlaceAttribute, ">= 0 (0: absence alert)", nil, "cnt", KeyAlertCount, "Matching events in the window."},
	{KeyAlertGroup, TypeMap, PlaceAttribute, "group_by key -> value", nil, "overflow JSON (cs6)", KeyAlertGroup, "Values of the rule's group_by keys."},
	{KeyAlertFirstSeen, TypeTimestamp, PlaceAttribute, "RFC 3339", nil, "start (epoch ms)", KeyAlertFirstSeen, "Event time of the first matching event."},
	{KeyAlertLastSeen, TypeTimestamp, PlaceAttribute, "RFC 3339", nil, "end (epoch ms)", KeyAlertLastSeen, "Event time of the last matching event."},
	{KeyAlertSampleEventIDs, TypeStringSlice, PlaceAttribute, "event.id values, bounded", nil, "overflow JSON (cs6)", KeyAlertSampleEventIDs, "Sample of the triggering events' ids."},
	{KeyAlertDescription, TypeString, PlaceAttribute, "free text", nil, "msg", KeyAlertDescription, "Rule description."},
	{KeyNIS2EarlyWarningDue, TypeTimestamp, PlaceAttribute, "first_seen + 24 h", nil, "overflow JSON (cs6)", KeyNIS2EarlyWarningDue, "NIS2 Art. 23(4)(a) early warning due, if significant."},
	{KeyNIS2NotificationDue, TypeTimestamp, PlaceAttribute, "first_seen + 72 h", nil, "overflow JSON (cs6)", KeyNIS2NotificationDue, "NIS2 Art. 23(4)(b) notification due, if significant."},
	{KeyNIS2FinalReportDue, TypeTimestamp, PlaceAttribute, "notification due + 1 month", nil, "overflow JSON (cs6)", KeyNIS2FinalReportDue, "NIS2 Art. 23(4)(d) final report due, if significant."},
	{KeyNIS2SignificanceNote, TypeString, PlaceAttribute, "fixed sentence", nil, "overflow JSON (cs6)", KeyNIS2SignificanceNote, "Says the dues apply if the incident is significant (Art. 23(3))."},
	{KeyAuditExporter, TypeString, PlaceAttribute, "exporter component id, e.g. cef_syslog/siem", nil, "overflow JSON (cs6)", KeyAuditExporter, "Exporter the audit record is about."},
	{KeyAuditStorageClient, TypeString, PlaceAttribute, "queue_storage client name", nil, "overflow JSON (cs6)", KeyAuditStorageClient, "Storage client whose damaged data was skipped."},
	{KeyAuditConfigDigest, TypeString, PlaceAttribute, "sha256:<64 hex>", nil, "overflow JSON (cs6)", KeyAuditConfigDigest, "Digest of the effective configuration, secrets masked (collector_started)."},
	{KeyAuditOutageStart, TypeTimestamp, PlaceAttribute, "RFC 3339", nil, "overflow JSON (cs6)", KeyAuditOutageStart, "First failed send of the outage."},
	{KeyAuditOutageMillis, TypeInt, PlaceAttribute, ">= 0", nil, "overflow JSON (cs6)", KeyAuditOutageMillis, "Outage length so far (unreachable) or in all (recovered), ms."},
	{KeyAuditFailedSends, TypeInt, PlaceAttribute, ">= 1", nil, "overflow JSON (cs6)", KeyAuditFailedSends, "Sends that failed during the outage."},
	{KeyAuditRecordsQueued, TypeInt, PlaceAttribute, ">= 0", nil, "overflow JSON (cs6)", KeyAuditRecordsQueued, "Records accepted during the outage (outage records) or queued now (queue_filling, heartbeat)."},
	{KeyAuditQueueCapacity, TypeInt, PlaceAttribute, ">= 1", nil, "overflow JSON (cs6)", KeyAuditQueueCapacity, "Sending queue size in records."},
	{KeyAuditQueueFillPercent, TypeInt, PlaceAttribute, "0..100", nil, "overflow JSON (cs6)", KeyAuditQueueFillPercent, "Sending queue fill level."},
	{KeyAuditCount, TypeInt, PlaceAttribute, ">= 1", nil, "overflow JSON (cs6)", KeyAuditCount, "Records refused or dropped between window_start and the record's time."},
	{KeyAuditWindowStart, TypeTimestamp, PlaceAttribute, "RFC 3339", nil, "overflow JSON (cs6)", KeyAuditWindowStart, "Start of the period a count covers (end: Timestamp)."},
	{KeyAuditRecordsIn, TypeInt, PlaceAttribute, ">= 0", nil, "overflow JSON (cs6)", KeyAuditRecordsIn, "Records accepted into the sending queues since window_start."},
	{KeyAuditRecordsOut, TypeInt, PlaceAttribute, ">= 0", nil, "overflow JSON (cs6)", KeyAuditRecordsOut, "Records delivered since window_start."},
	{KeyAuditRecordsRefused, TypeInt, PlaceAttribute, ">= 0", nil, "overflow JSON (cs6)", KeyAuditRecordsRefused, "Records refused by the sending queues since window_start."},
	{KeyAuditRecordsDropped, TypeInt, PlaceAttribute, ">= 0", nil, "overflow JSON (cs6)", KeyAuditRecordsDropped, "Records dropped for good since window_start."},
	{KeyAuditExporters, TypeMap, PlaceAttribute, "exporter id -> counters, state", nil, "overflow JSON (cs6)", KeyAuditExporters, "Per-exporter counters of a heartbeat."},
	{KeyAuditHeartbeatSequence, TypeInt, PlaceAttribute, ">= 1", nil, "overflow JSON (cs6)", KeyAuditHeartbeatSequence, "Heartbeat number since the collector started."},
	{KeyAuditHeartbeatInterval, TypeInt, PlaceAttribute, ">= 1", nil, "overflow JSON (cs6)", KeyAuditHeartbeatInterval, "Configured heartbeat interval."},
	{KeyAuditUptimeSeconds, TypeInt, PlaceAttribute, ">= 0", nil, "overflow JSON (cs6)", KeyAuditUptimeSeconds, "Seconds since the collector started."},
	{KeyAuditUnreachableAfter, TypeInt, PlaceAttribute, ">= 1", nil, "overflow JSON (cs6)", KeyAuditUnreachableAfter, "Configured unreachable_after."},
	{KeyServiceName, TypeString, PlaceResource, "emitting service", []string{"source", "service"}, "deviceProcessName", KeyServiceName, "Service that emitted the event."},
	{KeyServiceVersion, TypeString, PlaceResource, "version", nil, "overflow JSON (cs6)", KeyServiceVersion, "Its version."},
	{KeyHostName, TypeString, PlaceResource, "host name", []string{"hostname"}, "dvchost", KeyHostName, "Host the service runs on."},
	{KeyDeploymentEnvironment, TypeString, PlaceResource, "production, staging, ...", nil, "overflow JSON (cs6)", KeyDeploymentEnvironment, "Deployment environment."},
	{KeySiteName, TypeString, PlaceResource, "OT site name", []string{"site"}, "deviceExternalId", KeySiteName, "OT site (plant, substation)."},
}

// FieldByKey returns the schema field with canonical key k.
func FieldByKey(k string) (Field, bool) {
	for _, f := range Fields {
		if f.Key == k {
			return f, true
		}
	}
	return Field{}, false
}

// SeedAliases maps every alias a producer may use (the seed's extra keys and common ECS/semconv
// variants) to its canonical key. `target` is absent on purpose: it has no single key, see
// PlaceTarget. Entries in Fields that describe target's destinations ("target (...)") are
// documentation, not aliases.
func SeedAliases() map[string]string {
	m := make(map[string]string)
	for _, f := range Fields {
		if f.Place == PlaceRecord {
			continue
		}
		for _, a := range f.SeedAliases {
			if a == "target" || len(a) > 7 && a[:7] == "target " {
				continue
			}
			m[a] = f.Key
		}
	}
	return m
}
