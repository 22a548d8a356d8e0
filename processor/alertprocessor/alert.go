package alertprocessor // import "github.com/unified-ot/otelcol-siem/processor/alertprocessor"

import (
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// NIS2 Art. 23(4) deadlines, counted from first_seen (the earliest moment the operator could have
// become aware of the incident, so the clock is never started late).
const (
	earlyWarningAfter = 24 * time.Hour
	notificationAfter = 72 * time.Hour
)

// severityNumber maps a rule severity to the alert record's OTel severity. Every alert is WARN or
// above, so a WARN+ filter downstream never drops one; high and critical are chosen so that the
// schema's generic SeverityNumber→CEF table gives the same CEF severity (8, 10) as the rule
// severity does (low 3, medium 5, high 8, critical 10).
func severityNumber(s secevent.AlertSeverity) (plog.SeverityNumber, string) {
	switch s {
	case secevent.AlertSeverityLow:
		return plog.SeverityNumberWarn, "WARN"
	case secevent.AlertSeverityMedium:
		return plog.SeverityNumberWarn3, "WARN3"
	case secevent.AlertSeverityHigh:
		return plog.SeverityNumberError3, "ERROR3"
	case secevent.AlertSeverityCritical:
		return plog.SeverityNumberFatal2, "FATAL2"
	}
	return plog.SeverityNumberWarn, "WARN"
}

// addMonth adds one calendar month the way EU law counts periods in months (Regulation (EEC,
// Euratom) No 1182/71, Art. 3(2)(c)): the same day of the next month, or that month's last day
// when it has no such day (31 January + 1 month = 28/29 February, not 3 March as time.AddDate
// would give).
func addMonth(t time.Time) time.Time {
	t = t.UTC()
	y, m, d := t.Date()
	firstOfNext := time.Date(y, m+1, 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	lastDay := firstOfNext.AddDate(0, 1, -1).Day()
	if d > lastDay {
		d = lastDay
	}
	return time.Date(firstOfNext.Year(), firstOfNext.Month(), d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// nis2Dues returns the early-warning, notification and final-report due times for an incident
// first seen at first.
func nis2Dues(first time.Time) (early, notification, final time.Time) {
	first = first.UTC()
	early = first.Add(earlyWarningAfter)
	notification = first.Add(notificationAfter)
	final = addMonth(notification)
	return early, notification, final
}

// appendTime appends t in RFC 3339 (UTC, ns), the form of every time an alert carries.
func appendTime(dst []byte, t time.Time) []byte { return t.UTC().AppendFormat(dst, time.RFC3339Nano) }

// significanceNote is the fixed sentence of otsec.nis2.significance_note, given the three due
// times already formatted.
func significanceNote(early, notification, final string) string {
	return "The NIS2 deadlines apply if this incident is significant (NIS2 Art. 23(3)), i.e. it caused or can " +
		"cause severe operational disruption or financial loss, or considerable damage to others: early warning by " +
		early + " (Art. 23(4)(a), 24 h), incident notification by " + notification + " (Art. 23(4)(b), 72 h), " +
		"final report by " + final + " (Art. 23(4)(d), one month after the notification). Counted from first_seen; " +
		"decide significance first (docs/incident-response.md)."
}

// fillAlert writes firing f into lr: the alert record of the schema (category alert). Its strings
// are built with as few allocations as their content allows: an alert is rare next to the records
// it counts, but an attack fires one per group.
func fillAlert(lr plog.LogRecord, f *firing, observed time.Time) {
	r := f.rule
	first := time.Unix(0, f.first).UTC()
	last := time.Unix(0, f.last).UTC()
	early, notification, final := nis2Dues(first)

	// The alert happened when its last record did; ObservedTimestamp is when we saw it.
	lr.SetTimestamp(pcommon.NewTimestampFromTime(last))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(observed))
	severity, sevNumber, sevText := r.cfg.Severity, r.severityNumber, r.severityText
	if f.severity != "" {
		severity = f.severity
		sevNumber, sevText = severityNumber(severity)
	}
	lr.SetSeverityNumber(sevNumber)
	lr.SetSeverityText(sevText)
	lr.SetEventName(r.eventName)

	// The five times, formatted once into one string; each attribute (and the body and the note)
	// takes its slice of it.
	var tbuf [5 * 40]byte
	tb := tbuf[:0]
	var ends [5]int
	for i, t := range [5]time.Time{first, last, early, notification, final} {
		tb = appendTime(tb, t)
		ends[i] = len(tb)
	}
	times := string(tb)
	firstS, lastS := times[:ends[0]], times[ends[0]:ends[1]]
	earlyS, notificationS, finalS := times[ends[1]:ends[2]], times[ends[2]:ends[3]], times[ends[3]:ends[4]]

	body := make([]byte, 0, 128+len(r.cfg.Name)+len(r.cfg.ID)+64*len(r.cfg.GroupBy))
	body = append(body, "Alert "...)
	body = append(body, r.cfg.ID...)
	body = append(body, " ("...)
	body = append(body, severity...)
	body = append(body, "): "...)
	body = append(body, r.cfg.Name...)
	body = append(body, ": "...)
	if f.summary != "" {
		body = append(body, f.summary...)
	} else {
		body = strconv.AppendInt(body, int64(f.count), 10)
		body = append(body, " matching events"...)
		body = appendGroupText(body, r.cfg.GroupBy, f.values)
		body = append(body, " between "...)
		body = append(body, firstS...)
		body = append(body, " and "...)
		body = append(body, lastS...)
	}
	lr.Body().SetStr(string(body))

	a := lr.Attributes()
	a.EnsureCapacity(16)
	a.PutStr(secevent.KeyCategory, string(secevent.CategoryAlert))
	a.PutStr(secevent.KeyEventID, f.alertID)
	if f.action != "" {
		a.PutStr(secevent.KeyAction, f.action)
	}
	a.PutStr(secevent.KeyAlertRuleID, r.cfg.ID)
	a.PutStr(secevent.KeyAlertRuleName, r.cfg.Name)
	a.PutStr(secevent.KeyAlertSeverity, string(severity))
	a.PutInt(secevent.KeyAlertCount, int64(f.count))
	grp := a.PutEmptyMap(secevent.KeyAlertGroup)
	grp.EnsureCapacity(len(r.cfg.GroupBy))
	for i, k := range r.cfg.GroupBy {
		grp.PutStr(k, f.values[i])
	}
	a.PutStr(secevent.KeyAlertFirstSeen, firstS)
	a.PutStr(secevent.KeyAlertLastSeen, lastS)
	ids := a.PutEmptySlice(secevent.KeyAlertSampleEventIDs)
	ids.EnsureCapacity(len(f.sampleIDs))
	for _, id := range f.sampleIDs {
		ids.AppendEmpty().SetStr(id)
	}
	if r.cfg.Description != "" {
		a.PutStr(secevent.KeyAlertDescription, r.cfg.Description)
	}
	a.PutStr(secevent.KeyNIS2EarlyWarningDue, earlyS)
	a.PutStr(secevent.KeyNIS2NotificationDue, notificationS)
	a.PutStr(secevent.KeyNIS2FinalReportDue, finalS)
	a.PutStr(secevent.KeyNIS2SignificanceNote, significanceNote(earlyS, notificationS, finalS))
}

// appendGroupText appends ` for k1="v1", k2="v2"` (nothing for a rule without group_by).
func appendGroupText(dst []byte, keys, values []string) []byte {
	for i, k := range keys {
		if i == 0 {
			dst = append(dst, " for "...)
		} else {
			dst = append(dst, ", "...)
		}
		dst = append(dst, k...)
		dst = append(dst, '=')
		dst = strconv.AppendQuote(dst, values[i]) // fmt's %q
	}
	return dst
}

// formatTime is an alert time as every alert field carries it (RFC 3339, UTC, ns).
func formatTime(ns int64) string { return string(appendTime(nil, time.Unix(0, ns))) }
