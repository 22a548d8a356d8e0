package delivery

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/unified-ot/otelcol-siem/internal/instruments"
)

// Attribute keys of the exporters' metrics.
const (
	// AttrExporter is on every series: the component id (cef_syslog/siem), as on the collector's
	// own exporter metrics.
	AttrExporter = "exporter"
	// AttrReason says why records were dropped or failed.
	AttrReason = "reason"
	// AttrOutcome is the outcome of an HTTP request.
	AttrOutcome = "outcome"
)

// IDAttrs is the attribute option carrying the exporter's id, plus kvs.
func IDAttrs(id component.ID, kvs ...attribute.KeyValue) metric.MeasurementOption {
	return instruments.Attrs(append([]attribute.KeyValue{attribute.String(AttrExporter, id.String())}, kvs...)...)
}

// HTTPTelemetry holds the counters both HTTP exporters keep, named <prefix>_events_sent and so
// on; every series carries the exporter's id.
type HTTPTelemetry struct {
	// EventsSent counts records the server took (for HEC with acknowledgement: and acknowledged).
	EventsSent metric.Int64Counter
	// EventsDropped counts records dropped for good, by reason.
	EventsDropped metric.Int64Counter
	// EventsTruncated counts records cut to fit max_content_length.
	EventsTruncated metric.Int64Counter
	// AuthFailures counts requests refused with 401/403 (the data stays queued).
	AuthFailures metric.Int64Counter
	// Requests counts HTTP requests sent with records, by outcome.
	Requests metric.Int64Counter
	// BytesSent counts request body bytes before compression.
	BytesSent metric.Int64Counter

	id       component.ID
	ID       metric.MeasurementOption // exporter=<id>
	outcomes map[Kind]metric.MeasurementOption
}

// NewHTTPTelemetry creates the counters; prefix is e.g. "otelcol_exporter_splunk_hec_sec".
func NewHTTPTelemetry(b *instruments.Builder, prefix string, id component.ID) *HTTPTelemetry {
	t := &HTTPTelemetry{id: id, ID: IDAttrs(id), outcomes: map[Kind]metric.MeasurementOption{}}
	t.EventsSent = b.Counter(prefix+"_events_sent", "Log records delivered to the server (with indexer acknowledgement: acknowledged).", "{record}")
	t.EventsDropped = b.Counter(prefix+"_events_dropped", "Log records dropped for good, by reason (the server rejected them, or they could not be formatted; see the exporter's README).", "{record}")
	t.EventsTruncated = b.Counter(prefix+"_events_truncated", "Log records cut to max_content_length and marked [truncated].", "{record}")
	t.AuthFailures = b.Counter(prefix+"_auth_failures", "Requests refused with 401/403; the data stays in the sending queue until the credentials are fixed.", "{request}")
	t.Requests = b.Counter(prefix+"_requests", "HTTP requests sent with records, by outcome.", "{request}")
	t.BytesSent = b.Counter(prefix+"_bytes_sent", "Request body bytes sent, before compression.", "By")
	for k, o := range map[Kind]string{Delivered: OutcomeDelivered, Retry: OutcomeRetry, Auth: OutcomeAuth,
		Split: OutcomeSplit, DropItem: OutcomeDropItem, Reject: OutcomeRejected} {
		t.outcomes[k] = IDAttrs(id, attribute.String(AttrOutcome, o))
	}
	return t
}

// Sent counts n records delivered to the endpoint whose option (BalanceTelemetry.EndpointAttrs)
// is at.
func (t *HTTPTelemetry) Sent(ctx context.Context, n int, at metric.MeasurementOption) {
	t.EventsSent.Add(ctx, int64(n), at)
}

// Truncated counts n records cut to fit.
func (t *HTTPTelemetry) Truncated(ctx context.Context, n int) {
	t.EventsTruncated.Add(ctx, int64(n), t.ID)
}

// Drop counts n records dropped for reason.
func (t *HTTPTelemetry) Drop(ctx context.Context, n int, reason string) {
	t.EventsDropped.Add(ctx, int64(n), IDAttrs(t.id, attribute.String(AttrReason, reason)))
}

// Outcome attribute values of the requests counter.
const (
	OutcomeDelivered = "delivered"
	OutcomeRetry     = "retry"
	OutcomeAuth      = "auth"
	OutcomeSplit     = "split"
	OutcomeDropItem  = "drop_record"
	OutcomeRejected  = "rejected"
)

// Request counts one request with its outcome.
func (t *HTTPTelemetry) Request(ctx context.Context, v Verdict, bodyBytes int) {
	if v.Kind == Auth {
		t.AuthFailures.Add(ctx, 1, t.ID)
	}
	o, ok := t.outcomes[v.Kind]
	if !ok {
		o = t.outcomes[Reject]
	}
	t.Requests.Add(ctx, 1, o)
	t.BytesSent.Add(ctx, int64(bodyBytes), t.ID)
}
