package seclog

import (
	"log/slog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// SlogEvent returns the attributes that make a log/slog record a schema event: event.category,
// event.action, event.outcome and a fresh event.id, as one group with an empty key, which slog
// handlers (the OpenTelemetry bridge go.opentelemetry.io/contrib/bridges/otelslog included) inline
// as top-level attributes. Add the event's other fields with the secevent key constants:
//
//	logger.WarnContext(ctx, "Failed login attempt for "+user,
//		seclog.SlogEvent(secevent.CategoryAuthentication, secevent.ActionLogin, secevent.OutcomeFailure),
//		slog.String(secevent.KeyUserName, user),
//		slog.String(secevent.KeySourceAddress, ip),
//		slog.String(secevent.KeyReason, seclog.ReasonInvalidCredentials))
//
// The bridge maps the slog level to the OTel severity (Info 9, Warn 13, Error 17, Debug 5), the
// message to Body and the record time to Timestamp. It sets no EventName: Setup's pipeline (or an
// EventNameProcessor in yours) derives it from event.category and event.action.
func SlogEvent(c secevent.Category, action string, o secevent.Outcome) slog.Attr {
	return slog.Group("",
		slog.String(secevent.KeyCategory, string(c)),
		slog.String(secevent.KeyAction, action),
		slog.String(secevent.KeyOutcome, string(o)),
		slog.String(secevent.KeyEventID, NewEventID()),
	)
}
