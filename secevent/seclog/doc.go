// Package seclog is how a Go OT service emits security events in the otelcol-siem schema
// (package secevent, docs/security-event-schema.md): OTLP log records built on the OpenTelemetry
// Go log API and SDK and sent to the site collector by the OTLP log exporters.
//
// Setup builds the whole pipeline (exporter over gRPC or HTTP with TLS, batching, a resource naming
// the service, host and site) and returns a Logger with one typed method per event of the Unified
// OT Connector: LoginSucceeded, LoginFailed, LoggedOut, PermissionDenied, PrivilegedOperation,
// ConfigModified, SourceAdded, SourceModified, SourceDeleted, ConnectionFailed,
// CircuitBreakerOpened, RepeatedConnectionFailures, NetworkScanInitiated, CredentialAccessed,
// CredentialUpdated and CredentialDecryptionFailed. New wraps a LoggerProvider the service
// already has. Services logging with log/slog use SlogEvent with the OpenTelemetry slog bridge.
//
// Secrets: the credential methods take a credential's key name only; ConfigModified redacts the
// values of secret-looking keys; request paths lose their query strings.
//
// docs/connector-integration.md shows the call sites and the CEF line each event becomes.
package seclog
