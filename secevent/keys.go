package secevent

// Attribute keys of a security event. A log record carries them as LogRecord attributes unless the
// Fields table says "resource". OpenTelemetry semantic-convention names are used where one exists,
// ECS-style names where semconv has none, and an `otsec.` name only where neither has one.
const (
	// KeyCategory is the event's category, one of the Category values.
	KeyCategory = "event.category"
	// KeyAction is what was attempted: login, logout, access, modify_config, connect, ... (open set).
	KeyAction = "event.action"
	// KeyOutcome is how it ended, one of the Outcome values.
	KeyOutcome = "event.outcome"
	// KeyReason says why an action failed or was denied (seed: failure_reason).
	KeyReason = "event.reason"
	// KeyEventID is a producer-assigned unique id, used for de-duplication and loss counting.
	KeyEventID = "event.id"
	// KeyFailureCount is how many consecutive failures the producer observed (seed: failure_count).
	KeyFailureCount = "event.failure_count"
	// KeyTarget keeps the seed's `target` when its kind cannot be told; see PlaceTarget.
	KeyTarget = "event.target"

	// KeyUserName is the acting or affected account (seed: user).
	KeyUserName = "user.name"
	// KeyUserRoles lists the account's roles (seed: user_role).
	KeyUserRoles = "user.roles"

	// KeySourceAddress is where the request came from: an IP address or a host name (seed: source_ip).
	KeySourceAddress = "source.address"
	// KeySourcePort is the source port.
	KeySourcePort = "source.port"
	// KeyServerAddress is the remote service acted upon: IP address or host name (seed: target, when
	// it is an address or a host).
	KeyServerAddress = "server.address"
	// KeyServerPort is the remote service's port.
	KeyServerPort = "server.port"
	// KeyURLPath is the HTTP path of the request (seed: target, when it is a URL path).
	KeyURLPath = "url.path"

	// KeyMFACompleted says whether multi-factor authentication was completed (seed: mfa_completed).
	KeyMFACompleted = "otsec.auth.mfa_completed"
	// KeyPermission is the permission required or exercised (seed: required_permission, permission).
	KeyPermission = "otsec.authz.permission"
	// KeyConfigKey names the configuration item or data source changed (seed: target, in
	// configuration events).
	KeyConfigKey = "otsec.config.key"
	// KeyConfigChanges is a JSON document describing a configuration change (seed: changes).
	KeyConfigChanges = "otsec.config.changes"
	// KeyCredentialName names a credential. Never the credential's value.
	KeyCredentialName = "otsec.credential.name"
	// KeyNetworkRange is a CIDR range a discovery scan covers (seed: target, in network_scan events).
	KeyNetworkRange = "otsec.network.range"

	// KeyClassificationSource says which step of security_classify decided the category, one of
	// the ClassificationSource values, so that a SOC can audit a classification.
	KeyClassificationSource = "otsec.classification.source"
	// KeyClassificationRule is the id of the classification rule that matched, when one did.
	KeyClassificationRule = "otsec.classification.rule"

	// Alert records (category alert) carry these, written by the alert processor.
	KeyAlertRuleID          = "otsec.alert.rule.id"
	KeyAlertRuleName        = "otsec.alert.rule.name"
	KeyAlertSeverity        = "otsec.alert.severity"
	KeyAlertCount           = "otsec.alert.count"
	KeyAlertGroup           = "otsec.alert.group"
	KeyAlertFirstSeen       = "otsec.alert.first_seen"
	KeyAlertLastSeen        = "otsec.alert.last_seen"
	KeyAlertSampleEventIDs  = "otsec.alert.sample_event_ids"
	KeyAlertDescription     = "otsec.alert.description"
	KeyNIS2EarlyWarningDue  = "otsec.nis2.early_warning_due"
	KeyNIS2NotificationDue  = "otsec.nis2.notification_due"
	KeyNIS2FinalReportDue   = "otsec.nis2.final_report_due"
	KeyNIS2SignificanceNote = "otsec.nis2.significance_note"

	// Audit records (category audit), written by the siem_audit receiver about the collector itself.
	KeyAuditExporter          = "otsec.audit.exporter"
	KeyAuditStorageClient     = "otsec.audit.storage_client"
	KeyAuditConfigDigest      = "otsec.audit.config_digest"
	KeyAuditOutageStart       = "otsec.audit.outage_start"
	KeyAuditOutageMillis      = "otsec.audit.outage_ms"
	KeyAuditFailedSends       = "otsec.audit.failed_sends"
	KeyAuditRecordsQueued     = "otsec.audit.records_queued"
	KeyAuditQueueCapacity     = "otsec.audit.queue_capacity"
	KeyAuditQueueFillPercent  = "otsec.audit.queue_fill_percent"
	KeyAuditCount             = "otsec.audit.count"
	KeyAuditWindowStart       = "otsec.audit.window_start"
	KeyAuditRecordsIn         = "otsec.audit.records_in"
	KeyAuditRecordsOut        = "otsec.audit.records_out"
	KeyAuditRecordsRefused    = "otsec.audit.records_refused"
	KeyAuditRecordsDropped    = "otsec.audit.records_dropped"
	KeyAuditExporters         = "otsec.audit.exporters"
	KeyAuditHeartbeatSequence = "otsec.audit.heartbeat_sequence"
	KeyAuditHeartbeatInterval = "otsec.audit.heartbeat_interval_seconds"
	KeyAuditUptimeSeconds     = "otsec.audit.uptime_seconds"
	KeyAuditUnreachableAfter  = "otsec.audit.unreachable_after_seconds"

	// Resource attributes (semantic conventions), set once per emitting service.
	KeyServiceName           = "service.name"
	KeyServiceVersion        = "service.version"
	KeyHostName              = "host.name"
	KeyDeploymentEnvironment = "deployment.environment.name"
	// KeySiteName is the OT site (plant, substation, ...) the service runs at.
	KeySiteName = "otsec.site.name"
)

// EventNamePrefix starts every LogRecord EventName of this schema: "security.<category>.<action>".
const EventNamePrefix = "security."

// EventName is the LogRecord EventName for an event of category c and action a.
func EventName(c Category, action string) string {
	if action == "" {
		return EventNamePrefix + string(c)
	}
	return EventNamePrefix + string(c) + "." + action
}
