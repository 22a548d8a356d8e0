package metadata // import "github.com/unified-ot/otelcol-siem/extension/intakeguardextension/internal/metadata"

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/unified-ot/otelcol-siem/internal/instruments"
)

// Metric names, with the `otelcol_` prefix mdatagen gives collector components.
const (
	MetricRefusedRequests       = "otelcol_intake_refused_requests"
	MetricAuthenticatedRequests = "otelcol_intake_authenticated_requests"
)

// Attribute keys. Every series carries AttrExtension, the extension's component id
// (intake_guard, intake_guard/syslog); refusals also carry AttrReason.
const (
	AttrExtension = "extension"
	AttrReason    = "reason"
)

// Refusal reasons.
const (
	// ReasonMissingCredentials: the request carried no Authorization header.
	ReasonMissingCredentials = "missing_credentials"
	// ReasonInvalidCredentials: the request carried credentials the authenticator refused.
	ReasonInvalidCredentials = "invalid_credentials"
)

// Telemetry holds the extension's instruments and the attribute options of its series, built once.
type Telemetry struct {
	RefusedRequests       metric.Int64Counter
	AuthenticatedRequests metric.Int64Counter

	IDAttrs      metric.MeasurementOption
	missingAttrs metric.MeasurementOption
	invalidAttrs metric.MeasurementOption
}

// NewTelemetry creates the instruments of the extension id on set's meter provider.
func NewTelemetry(set component.TelemetrySettings, id component.ID) (*Telemetry, error) {
	b := instruments.New(set, ScopeName)
	idAttr := attribute.String(AttrExtension, id.String())
	t := &Telemetry{
		IDAttrs:      instruments.Attrs(idAttr),
		missingAttrs: instruments.Attrs(idAttr, attribute.String(AttrReason, ReasonMissingCredentials)),
		invalidAttrs: instruments.Attrs(idAttr, attribute.String(AttrReason, ReasonInvalidCredentials)),
	}
	t.RefusedRequests = b.Counter(MetricRefusedRequests, "OTLP requests refused by the intake authenticator, by reason (missing_credentials, invalid_credentials). TLS handshake failures happen before any authenticator and are not counted here.", "{request}")
	t.AuthenticatedRequests = b.Counter(MetricAuthenticatedRequests, "OTLP requests the intake authenticator let through (with credentials checked, or with none configured).", "{request}")
	return t, b.Err
}

// ReasonAttrs is the option of the refusal series with the given reason.
func (t *Telemetry) ReasonAttrs(reason string) metric.MeasurementOption {
	if reason == ReasonMissingCredentials {
		return t.missingAttrs
	}
	return t.invalidAttrs
}
