package siemauditreceiver // import "github.com/unified-ot/otelcol-siem/receiver/siemauditreceiver"

import (
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// Audit actions (event.action of the audit records).
const (
	ActionStarted     = "collector_started"
	ActionStopping    = "collector_stopping"
	ActionUnreachable = "destination_unreachable"
	ActionRecovered   = "destination_recovered"
	ActionQueueFill   = "queue_filling"
	ActionRefused     = "records_refused"
	ActionDropped     = "records_dropped"
	ActionHeartbeat   = "heartbeat"
)

// event is one audit record before it becomes a LogRecord. Its id is given when it is made, so
// that a record handed to the pipeline again after a refusal keeps it (the SIEM can de-duplicate).
type event struct {
	id       string
	at       time.Time
	action   string
	outcome  secevent.Outcome
	severity plog.SeverityNumber
	reason   string
	body     string
	attrs    map[string]any
}

func newEvent(at time.Time, action string, outcome secevent.Outcome, sev plog.SeverityNumber, body string, attrs map[string]any) event {
	return event{id: uuid.NewString(), at: at, action: action, outcome: outcome, severity: sev, body: body, attrs: attrs}
}

var severityText = map[plog.SeverityNumber]string{
	plog.SeverityNumberInfo:  "INFO",
	plog.SeverityNumberWarn:  "WARN",
	plog.SeverityNumberError: "ERROR",
}

// fill writes ev into lr: a record of the schema, category audit.
func (ev event) fill(lr plog.LogRecord, observed time.Time) {
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ev.at))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	lr.SetSeverityNumber(ev.severity)
	lr.SetSeverityText(severityText[ev.severity])
	lr.SetEventName(secevent.EventName(secevent.CategoryAudit, ev.action))
	lr.Body().SetStr(ev.body)
	a := lr.Attributes()
	a.EnsureCapacity(len(ev.attrs) + 5)
	putSorted(a, ev.attrs)
	a.PutStr(secevent.KeyCategory, string(secevent.CategoryAudit))
	a.PutStr(secevent.KeyAction, ev.action)
	a.PutStr(secevent.KeyOutcome, string(ev.outcome))
	a.PutStr(secevent.KeyEventID, ev.id)
	if ev.reason != "" {
		a.PutStr(secevent.KeyReason, ev.reason)
	}
}

// putSorted puts the attributes in key order (nested maps too), so that two records of one kind
// always read the same, e.g. in CEF's overflow JSON.
func putSorted(dst pcommon.Map, attrs map[string]any) {
	keys := slices.Sorted(maps.Keys(attrs))
	for _, k := range keys {
		switch v := attrs[k].(type) {
		case map[string]any:
			putSorted(dst.PutEmptyMap(k), v)
		case string:
			dst.PutStr(k, v)
		case int64:
			dst.PutInt(k, v)
		case float64:
			dst.PutDouble(k, v)
		default:
			_ = dst.PutEmpty(k).FromRaw(v)
		}
	}
}

// rfc3339 is t in the form of every time an audit record carries (UTC, ns).
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// wholeSeconds is d in whole seconds.
func wholeSeconds(d time.Duration) int64 { return int64(d / time.Second) }
