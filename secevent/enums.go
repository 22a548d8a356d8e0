package secevent

// Category is the value of event.category.
type Category string

// The categories of the schema. The first seven are the seed's SecurityEventType; alert is what the
// alert processor emits; audit is the collector's own account of the pipeline (started, stopping,
// destination unreachable, records dropped, heartbeat, integrity checkpoints), so that a SIEM sees a
// failing or silenced pipeline as an event of its own.
const (
	CategoryAuthentication   Category = "authentication"
	CategoryAuthorization    Category = "authorization"
	CategoryConfiguration    Category = "configuration"
	CategoryNetwork          Category = "network"
	CategoryCredentialAccess Category = "credential_access"
	CategoryAvailability     Category = "availability"
	CategoryOperational      Category = "operational"
	CategoryAlert            Category = "alert"
	CategoryAudit            Category = "audit"
)

// Categories lists every category, in the documented order.
func Categories() []Category {
	return []Category{
		CategoryAuthentication, CategoryAuthorization, CategoryConfiguration, CategoryNetwork,
		CategoryCredentialAccess, CategoryAvailability, CategoryOperational, CategoryAlert, CategoryAudit,
	}
}

// Valid reports whether c is one of the schema's categories.
func (c Category) Valid() bool {
	switch c {
	case CategoryAuthentication, CategoryAuthorization, CategoryConfiguration, CategoryNetwork,
		CategoryCredentialAccess, CategoryAvailability, CategoryOperational, CategoryAlert, CategoryAudit:
		return true
	}
	return false
}

// Outcome is the value of event.outcome. ECS knows success, failure and unknown; the schema keeps
// the seed's denied, degraded and initiated apart because a SOC triages them differently (a denied
// request is an authorization decision, not a malfunction).
type Outcome string

// The outcomes of the schema.
const (
	OutcomeSuccess   Outcome = "success"
	OutcomeFailure   Outcome = "failure"
	OutcomeDenied    Outcome = "denied"
	OutcomeDegraded  Outcome = "degraded"
	OutcomeInitiated Outcome = "initiated"
	OutcomeUnknown   Outcome = "unknown"
)

// Outcomes lists every outcome, in the documented order.
func Outcomes() []Outcome {
	return []Outcome{OutcomeSuccess, OutcomeFailure, OutcomeDenied, OutcomeDegraded, OutcomeInitiated, OutcomeUnknown}
}

// Valid reports whether o is one of the schema's outcomes.
func (o Outcome) Valid() bool {
	switch o {
	case OutcomeSuccess, OutcomeFailure, OutcomeDenied, OutcomeDegraded, OutcomeInitiated, OutcomeUnknown:
		return true
	}
	return false
}

// seedOutcomes maps the seed's `result` words (and common synonyms) that are not already an Outcome.
var seedOutcomes = map[string]Outcome{
	"degraded_service": OutcomeDegraded,
	"repeated_failure": OutcomeFailure,
	"failed":           OutcomeFailure,
	"fail":             OutcomeFailure,
	"error":            OutcomeFailure,
	"ok":               OutcomeSuccess,
	"succeeded":        OutcomeSuccess,
	"forbidden":        OutcomeDenied,
	"unauthorized":     OutcomeDenied,
	"started":          OutcomeInitiated,
}

// NormalizeOutcome maps a producer's result word to an Outcome. The second value is false when the
// word is not known; the outcome is then OutcomeUnknown and the caller keeps the original word.
func NormalizeOutcome(result string) (Outcome, bool) {
	if o := Outcome(result); o.Valid() {
		return o, true
	}
	if o, ok := seedOutcomes[result]; ok {
		return o, true
	}
	return OutcomeUnknown, false
}

// Actions the Unified OT Connector emits (the seed's Task 2). event.action is an open set: these
// are the documented values, not the only legal ones.
const (
	ActionLogin               = "login"
	ActionLogout              = "logout"
	ActionAccess              = "access"
	ActionPrivilegedOperation = "privileged_operation"
	ActionModifyConfig        = "modify_config"
	ActionAdd                 = "add"
	ActionModify              = "modify"
	ActionDelete              = "delete"
	ActionConnect             = "connect"
	ActionCircuitBreakerOpen  = "circuit_breaker_open"
	ActionCredentialAccess    = "credential_access"
	ActionCredentialUpdate    = "credential_update"
	ActionNetworkScan         = "network_scan"
)

// ClassificationSource is the value of otsec.classification.source: which step decided the category.
type ClassificationSource string

// The classification steps of security_classify, in the order it tries them.
const (
	ClassifiedByProducer ClassificationSource = "producer"
	ClassifiedByRule     ClassificationSource = "rule"
	ClassifiedByKeyword  ClassificationSource = "keyword"
	ClassifiedByDefault  ClassificationSource = "default"
)

// AlertSeverity is the value of otsec.alert.severity (the seed's AlertSeverity).
type AlertSeverity string

// The alert severities.
const (
	AlertSeverityLow      AlertSeverity = "low"
	AlertSeverityMedium   AlertSeverity = "medium"
	AlertSeverityHigh     AlertSeverity = "high"
	AlertSeverityCritical AlertSeverity = "critical"
)

// Valid reports whether s is one of the alert severities.
func (s AlertSeverity) Valid() bool {
	switch s {
	case AlertSeverityLow, AlertSeverityMedium, AlertSeverityHigh, AlertSeverityCritical:
		return true
	}
	return false
}
