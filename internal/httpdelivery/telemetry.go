package httpdelivery

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// AttrReason is the attribute of the dropped counter that says why records were dropped.
const AttrReason = "reason"

// Telemetry holds the counters both HTTP exporters keep, named <prefix>_events_sent and so on, from
// the component's own MeterProvider.
type Telemetry struct {
	// EventsSent counts records the server took (for HEC with acknowledgement: and acknowledged).
	EventsSent metric.Int64Counter
	// EventsDropped counts records dropped for good, by reason.
	EventsDropped metric.Int64Counter
	// EventsTruncated counts records cut to fit max_content_length.
	EventsTruncated metric.Int64Counter
	// AuthFailures counts requests refused with 401/403 (the data stays queued).
	AuthFailures metric.Int64Counter
	// Requests counts HTTP requests sent with records.
	Requests metric.Int64Counter
	// BytesSent counts request body bytes before compression.
	BytesSent metric.Int64Counter
}

// NewTelemetry creates the counters; prefix is e.g. "otelcol_exporter_splunk_hec_sec".
func NewTelemetry(meter metric.Meter, prefix string) (*Telemetry, error) {
	t := &Telemetry{}
	var errs []error
	mk := func(dst *metric.Int64Counter, name, desc, unit string) {
		c, err := meter.Int64Counter(prefix+name, metric.WithDescription(desc), metric.WithUnit(unit))
		errs = append(errs, err)
		*dst = c
	}
	mk(&t.EventsSent, "_events_sent", "Log records delivered to the server (with indexer acknowledgement: acknowledged).", "{record}")
	mk(&t.EventsDropped, "_events_dropped", "Log records dropped for good, by reason (the server rejected them; see the exporter's README).", "{record}")
	mk(&t.EventsTruncated, "_events_truncated", "Log records cut to max_content_length and marked [truncated].", "{record}")
	mk(&t.AuthFailures, "_auth_failures", "Requests refused with 401/403; the data stays in the sending queue until the credentials are fixed.", "{request}")
	mk(&t.Requests, "_requests", "HTTP requests sent with records, by outcome.", "{request}")
	mk(&t.BytesSent, "_bytes_sent", "Request body bytes sent, before compression.", "By")
	return t, errors.Join(errs...)
}

// Drop counts n records dropped for reason.
func (t *Telemetry) Drop(ctx context.Context, n int, reason string) {
	t.EventsDropped.Add(ctx, int64(n), metric.WithAttributes(attribute.String(AttrReason, reason)))
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
func (t *Telemetry) Request(ctx context.Context, v Verdict, bodyBytes int) {
	var o string
	switch v.Kind {
	case Delivered:
		o = OutcomeDelivered
	case Retry:
		o = OutcomeRetry
	case Auth:
		o = OutcomeAuth
		t.AuthFailures.Add(ctx, 1)
	case Split:
		o = OutcomeSplit
	case DropItem:
		o = OutcomeDropItem
	default:
		o = OutcomeRejected
	}
	t.Requests.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", o)))
	t.BytesSent.Add(ctx, int64(bodyBytes))
}

// ReportDrops counts every record dropped for good and logs it at error level with msg, its reason
// and its event.id and event name: never its content, which may be sensitive.
func (t *Telemetry) ReportDrops(ctx context.Context, logger *zap.Logger, msg string, ld plog.Logs, items []Item, drops []Dropped) {
	for _, d := range drops {
		t.Drop(ctx, 1, d.Reason)
		_, lr := Record(ld, items[d.Item].Ref)
		id, _ := lr.Attributes().Get(secevent.KeyEventID)
		logger.Error(msg, zap.String("reason", d.Reason), zap.String("event.id", id.AsString()),
			zap.String("event.name", lr.EventName()), zap.Error(d.Err))
	}
}
