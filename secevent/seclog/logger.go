package seclog

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// ScopeName is the instrumentation scope of every record a Logger emits.
const ScopeName = "github.com/unified-ot/otelcol-siem/secevent/seclog"

// Logger emits the schema's security events, one typed method per event of the Unified OT
// Connector. Every method writes event.category, event.action, event.outcome and a fresh event.id,
// the LogRecord EventName (secevent.EventName), the event time as Timestamp, a severity and a
// human-readable Body; the remaining attributes depend on the event. Empty string arguments are
// left out of the record rather than written as "".
//
// Every method takes the caller's context: when it carries an active span, the record carries its
// trace and span id, so the SIEM can join the event to the request trace.
//
// Every method returns the event.id it wrote, for correlation (the demo prints it; a load
// generator counts them).
//
// Make one with Setup or New (the zero value is not usable). A Logger is safe for concurrent use.
type Logger struct {
	provider log.LoggerProvider
	logger   log.Logger
	newID    func() string
	now      func() time.Time
	stats    *pipelineStats // set by Setup; nil for a Logger made by New
}

// Option configures a Logger made by New.
type Option func(*Logger)

// WithEventIDs replaces the default event.id generator (random UUIDv4). The function must return a
// different value on every call, and be safe for concurrent use if the Logger is; a load generator
// uses it to emit ids it can count on arrival.
func WithEventIDs(next func() string) Option {
	return func(l *Logger) { l.newID = next }
}

// WithClock replaces time.Now as the source of event timestamps (tests).
func WithClock(now func() time.Time) Option {
	return func(l *Logger) { l.now = now }
}

// New returns a Logger that emits through provider, for services that already run an OpenTelemetry
// LoggerProvider (for example the global one). Setup builds a provider and a Logger in one step.
func New(provider log.LoggerProvider, opts ...Option) *Logger {
	l := &Logger{
		provider: provider,
		logger:   provider.Logger(ScopeName),
		newID:    NewEventID,
		now:      time.Now,
	}
	for _, o := range opts {
		o(l)
	}
	return l
}

// Provider returns the LoggerProvider the Logger emits through, e.g. to bridge log/slog with the
// same pipeline (see SlogEvent).
func (l *Logger) Provider() log.LoggerProvider { return l.provider }

// Severities of the events. They are the seed's logger levels (Task 2): a successful login or a
// configuration change is information, not a warning. The site pipeline forwards WARN and above by
// default; the categories whose INFO (and DEBUG) events matter are kept by security_classify's
// per-category severity overrides (docs/connector-integration.md lists which).
const (
	sevInfo  = log.SeverityInfo1
	sevWarn  = log.SeverityWarn1
	sevError = log.SeverityError1
	sevDebug = log.SeverityDebug1
)

// attrs collects a record's attributes, leaving empty strings out.
type attrs []attribute.KeyValue

func (a *attrs) str(key, v string) {
	if v != "" {
		*a = append(*a, attribute.String(key, v))
	}
}

// source writes a client address: "ip", "ip:port" or "[v6]:port" (net/http's Request.RemoteAddr)
// split into source.address and source.port; anything else (a host name) as given.
func (a *attrs) source(addr string) {
	if addr == "" {
		return
	}
	if ap, err := netip.ParseAddrPort(addr); err == nil {
		*a = append(*a, attribute.String(secevent.KeySourceAddress, ap.Addr().Unmap().String()),
			attribute.Int(secevent.KeySourcePort, int(ap.Port())))
		return
	}
	if ip, err := netip.ParseAddr(addr); err == nil {
		addr = ip.Unmap().String()
	}
	*a = append(*a, attribute.String(secevent.KeySourceAddress, addr))
}

// remote writes the remote endpoint of a network or availability event where the schema's
// PlaceTarget puts it: server.address (+ server.port) for a host or an address, url.full for a URL.
func (a *attrs) remote(c secevent.Category, endpoint string) {
	if endpoint == "" {
		return
	}
	p := secevent.PlaceTarget(c, endpoint)
	*a = append(*a, attribute.String(p.Key, p.Value))
	if p.Port != 0 {
		*a = append(*a, attribute.Int(secevent.KeyServerPort, p.Port))
	}
}

// urlPath writes a request path without its query or fragment: query strings carry session
// tokens and API keys, which must not reach the SIEM.
func (a *attrs) urlPath(p string) {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	a.str(secevent.KeyURLPath, p)
}

// emit writes one event and returns its event.id.
func (l *Logger) emit(ctx context.Context, sev log.Severity, c secevent.Category, action string, o secevent.Outcome, body string, extra attrs) string {
	id := l.newID()
	var r log.Record
	r.SetEventName(secevent.EventName(c, action))
	r.SetTimestamp(l.now())
	r.SetSeverity(sev)
	r.SetSeverityText(sev.String())
	r.SetBody(attribute.StringValue(body))
	r.AddAttributes(
		attribute.String(secevent.KeyCategory, string(c)),
		attribute.String(secevent.KeyAction, action),
		attribute.String(secevent.KeyOutcome, string(o)),
		attribute.String(secevent.KeyEventID, id),
	)
	r.AddAttributes(extra...)
	l.logger.Emit(ctx, r)
	return id
}

// orUnknown names an actor in a message when the caller did not know it.
func orUnknown(s string) string {
	if s == "" {
		return "<unknown>"
	}
	return s
}

// --- Authentication (web auth) ---

// LoginSucceeded records a successful login of user from sourceAddr (an IP address, "ip:port" as in
// http.Request.RemoteAddr, or a host name), and whether MFA was completed. Severity INFO.
func (l *Logger) LoginSucceeded(ctx context.Context, user, sourceAddr string, mfaCompleted bool) string {
	var a attrs
	a.str(secevent.KeyUserName, user)
	a.source(sourceAddr)
	a = append(a, attribute.Bool(secevent.KeyMFACompleted, mfaCompleted))
	return l.emit(ctx, sevInfo, secevent.CategoryAuthentication, secevent.ActionLogin, secevent.OutcomeSuccess,
		"User "+orUnknown(user)+" authenticated successfully", a)
}

// LoginFailed records a failed login attempt for user from sourceAddr; reason is a short code
// such as "invalid_credentials", "unknown_user", "mfa_failed" or "account_locked" (never the
// password tried). Severity WARN.
func (l *Logger) LoginFailed(ctx context.Context, user, sourceAddr, reason string) string {
	var a attrs
	a.str(secevent.KeyUserName, user)
	a.source(sourceAddr)
	a.str(secevent.KeyReason, reason)
	return l.emit(ctx, sevWarn, secevent.CategoryAuthentication, secevent.ActionLogin, secevent.OutcomeFailure,
		"Failed login attempt for "+orUnknown(user), a)
}

// LoggedOut records that user logged out (sourceAddr may be empty). Severity INFO.
func (l *Logger) LoggedOut(ctx context.Context, user, sourceAddr string) string {
	var a attrs
	a.str(secevent.KeyUserName, user)
	a.source(sourceAddr)
	return l.emit(ctx, sevInfo, secevent.CategoryAuthentication, secevent.ActionLogout, secevent.OutcomeSuccess,
		"User "+orUnknown(user)+" logged out", a)
}

// --- Authorization (RBAC) ---

// PermissionDenied records that user, holding roles, was refused urlPath for lacking permission.
// The path's query string is dropped (it may carry tokens). Severity WARN.
func (l *Logger) PermissionDenied(ctx context.Context, user, sourceAddr, urlPath, permission string, roles ...string) string {
	var a attrs
	a.str(secevent.KeyUserName, user)
	a.source(sourceAddr)
	a.urlPath(urlPath)
	a.str(secevent.KeyPermission, permission)
	if len(roles) > 0 {
		a = append(a, attribute.StringSlice(secevent.KeyUserRoles, roles))
	}
	return l.emit(ctx, sevWarn, secevent.CategoryAuthorization, secevent.ActionAccess, secevent.OutcomeDenied,
		"Permission denied: "+orUnknown(user)+" lacks "+permission, a)
}

// PrivilegedOperation records that user exercised permission on urlPath (a sensitive operation
// that was allowed). Severity INFO.
func (l *Logger) PrivilegedOperation(ctx context.Context, user, sourceAddr, urlPath, permission string) string {
	var a attrs
	a.str(secevent.KeyUserName, user)
	a.source(sourceAddr)
	a.urlPath(urlPath)
	a.str(secevent.KeyPermission, permission)
	return l.emit(ctx, sevInfo, secevent.CategoryAuthorization, secevent.ActionPrivilegedOperation, secevent.OutcomeSuccess,
		"User "+orUnknown(user)+" performed privileged operation", a)
}

// --- Configuration (config API) ---

// ConfigModified records that user changed the configuration item configKey (e.g.
// "zerobus_config"). changes describes what changed: anything encoding/json accepts (a map, a
// struct, or an already-encoded JSON string or []byte). It is written as one JSON document under
// otsec.config.changes with every value under a secret-looking key (password, secret, token,
// credential, api key, private key, ...; see RedactChanges) replaced by "[REDACTED]". nil writes no
// changes. Severity INFO.
func (l *Logger) ConfigModified(ctx context.Context, user, configKey string, changes any) string {
	var a attrs
	a.str(secevent.KeyUserName, user)
	a.str(secevent.KeyConfigKey, configKey)
	if changes != nil {
		a.str(secevent.KeyConfigChanges, RedactChanges(changes))
	}
	return l.emit(ctx, sevInfo, secevent.CategoryConfiguration, secevent.ActionModifyConfig, secevent.OutcomeSuccess,
		"Configuration "+configKey+" modified by "+orUnknown(user), a)
}

// SourceAdded records that user added the data source sourceName. Severity INFO.
func (l *Logger) SourceAdded(ctx context.Context, user, sourceName string) string {
	return l.source(ctx, user, sourceName, secevent.ActionAdd, "added")
}

// SourceModified records that user modified the data source sourceName. Severity INFO.
func (l *Logger) SourceModified(ctx context.Context, user, sourceName string) string {
	return l.source(ctx, user, sourceName, secevent.ActionModify, "modified")
}

// SourceDeleted records that user deleted the data source sourceName. Severity INFO.
func (l *Logger) SourceDeleted(ctx context.Context, user, sourceName string) string {
	return l.source(ctx, user, sourceName, secevent.ActionDelete, "deleted")
}

func (l *Logger) source(ctx context.Context, user, sourceName, action, verb string) string {
	var a attrs
	a.str(secevent.KeyUserName, user)
	a.str(secevent.KeyConfigKey, sourceName)
	return l.emit(ctx, sevInfo, secevent.CategoryConfiguration, action, secevent.OutcomeSuccess,
		"Source "+sourceName+" "+verb+" by "+orUnknown(user), a)
}

// --- Network and availability (ZeroBus client, discovery) ---

// ConnectionFailed records a failed connection to server ("host", "host:port", "ip:port" or a
// URL), with reason (typically err.Error(); keep credentials out of it). Severity ERROR.
func (l *Logger) ConnectionFailed(ctx context.Context, server, reason string) string {
	var a attrs
	a.remote(secevent.CategoryNetwork, server)
	a.str(secevent.KeyReason, reason)
	return l.emit(ctx, sevError, secevent.CategoryNetwork, secevent.ActionConnect, secevent.OutcomeFailure,
		"Failed to connect to "+server, a)
}

// CircuitBreakerOpened records that the circuit breaker guarding server opened after
// failureCount consecutive failures: the service is degraded. Severity ERROR.
func (l *Logger) CircuitBreakerOpened(ctx context.Context, server string, failureCount int) string {
	var a attrs
	a.remote(secevent.CategoryAvailability, server)
	a = append(a, attribute.Int(secevent.KeyFailureCount, failureCount))
	return l.emit(ctx, sevError, secevent.CategoryAvailability, secevent.ActionCircuitBreakerOpen, secevent.OutcomeDegraded,
		"Circuit breaker opened for "+server+" - potential service disruption", a)
}

// RepeatedConnectionFailures records that count consecutive connection attempts to endpoint
// failed (the seed's "suspicious connection attempt" in discovery). The outcome is failure with
// event.reason "repeated_failure", the seed's result word. Severity WARN.
func (l *Logger) RepeatedConnectionFailures(ctx context.Context, endpoint string, count int) string {
	var a attrs
	a.remote(secevent.CategoryNetwork, endpoint)
	a.str(secevent.KeyReason, ReasonRepeatedFailure)
	a = append(a, attribute.Int(secevent.KeyFailureCount, count))
	return l.emit(ctx, sevWarn, secevent.CategoryNetwork, secevent.ActionConnect, secevent.OutcomeFailure,
		"Repeated connection failures to "+endpoint, a)
}

// NetworkScanInitiated records that a discovery scan of networkRange (a CIDR such as
// "10.20.0.0/16"; a single address is written as server.address) started. Severity INFO.
func (l *Logger) NetworkScanInitiated(ctx context.Context, networkRange string) string {
	var a attrs
	a.remote(secevent.CategoryOperational, networkRange)
	return l.emit(ctx, sevInfo, secevent.CategoryOperational, secevent.ActionNetworkScan, secevent.OutcomeInitiated,
		"Network discovery scan initiated: "+networkRange, a)
}

// --- Credential access (credential manager) ---
//
// The credential methods take the credential's key name only. There is deliberately no parameter
// through which a credential's value, a decrypted secret or an error text (which might quote one)
// could reach the record.

// CredentialAccessed records that the credential keyName was read. Severity DEBUG, as in the seed:
// reads are frequent; the site pipeline keeps them only if configured to.
func (l *Logger) CredentialAccessed(ctx context.Context, keyName string) string {
	var a attrs
	a.str(secevent.KeyCredentialName, keyName)
	return l.emit(ctx, sevDebug, secevent.CategoryCredentialAccess, secevent.ActionCredentialAccess, secevent.OutcomeSuccess,
		"Credential accessed: "+keyName, a)
}

// CredentialUpdated records that the credential keyName was changed. Severity INFO.
func (l *Logger) CredentialUpdated(ctx context.Context, keyName string) string {
	var a attrs
	a.str(secevent.KeyCredentialName, keyName)
	return l.emit(ctx, sevInfo, secevent.CategoryCredentialAccess, secevent.ActionCredentialUpdate, secevent.OutcomeSuccess,
		"Credential updated: "+keyName, a)
}

// CredentialDecryptionFailed records that the credential keyName could not be decrypted
// (event.reason "decryption_failed"). Severity WARN.
func (l *Logger) CredentialDecryptionFailed(ctx context.Context, keyName string) string {
	var a attrs
	a.str(secevent.KeyCredentialName, keyName)
	a.str(secevent.KeyReason, ReasonDecryptionFailed)
	return l.emit(ctx, sevWarn, secevent.CategoryCredentialAccess, secevent.ActionCredentialAccess, secevent.OutcomeFailure,
		"Failed to decrypt credential: "+keyName, a)
}

// Reasons written by the Logger itself (the seed's failure_reason words).
const (
	ReasonInvalidCredentials = "invalid_credentials"
	ReasonDecryptionFailed   = "decryption_failed"
	ReasonRepeatedFailure    = "repeated_failure"
)
