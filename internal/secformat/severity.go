package secformat

import (
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// CEFSeverity maps an OpenTelemetry SeverityNumber to the CEF header severity (0..10) by the table in
// docs/security-event-schema.md ("CEF severity"). Unset and out-of-range numbers give 5 (Medium): a
// security event whose producer did not say how bad it is should neither be hidden nor page anyone.
func CEFSeverity(n plog.SeverityNumber) int {
	switch {
	case n >= 1 && n <= 4: // TRACE
		return 0
	case n >= 5 && n <= 8: // DEBUG
		return 1
	case n == 9: // INFO
		return 3
	case n >= 10 && n <= 12: // INFO2..INFO4
		return 4
	case n == 13: // WARN
		return 5
	case n >= 14 && n <= 16: // WARN2..WARN4
		return 6
	case n == 17: // ERROR
		return 7
	case n >= 18 && n <= 20: // ERROR2..ERROR4
		return 8
	case n == 21: // FATAL
		return 9
	case n >= 22 && n <= 24: // FATAL2..FATAL4
		return 10
	}
	return 5
}

// AlertCEFSeverity maps otsec.alert.severity to the CEF severity (schema doc: low 3, medium 5,
// high 8, critical 10). ok is false for any other value.
func AlertCEFSeverity(s string) (sev int, ok bool) {
	switch secevent.AlertSeverity(s) {
	case secevent.AlertSeverityLow:
		return 3, true
	case secevent.AlertSeverityMedium:
		return 5, true
	case secevent.AlertSeverityHigh:
		return 8, true
	case secevent.AlertSeverityCritical:
		return 10, true
	}
	return 0, false
}

// Syslog severities (RFC 5424 6.2.1).
const (
	syslogCrit    = 2
	syslogErr     = 3
	syslogWarning = 4
	syslogNotice  = 5
	syslogInfo    = 6
	syslogDebug   = 7
)

// SyslogSeverity maps an OpenTelemetry SeverityNumber to the RFC 5424 severity: FATAL -> 2 (crit),
// ERROR -> 3 (err), WARN -> 4 (warning), INFO -> 6 (info), DEBUG and TRACE -> 7 (debug), unset or
// out of range -> 5 (notice). FATAL is "crit", not "alert"/"emerg": those mean the whole system
// needs action now, which one service's event cannot say about the collector's host.
func SyslogSeverity(n plog.SeverityNumber) int {
	switch {
	case n >= 1 && n <= 8:
		return syslogDebug
	case n >= 9 && n <= 12:
		return syslogInfo
	case n >= 13 && n <= 16:
		return syslogWarning
	case n >= 17 && n <= 20:
		return syslogErr
	case n >= 21 && n <= 24:
		return syslogCrit
	}
	return syslogNotice
}

// AlertSyslogSeverity maps otsec.alert.severity to the RFC 5424 severity: low 5 (notice), medium 4
// (warning), high 3 (err), critical 2 (crit). ok is false for any other value.
func AlertSyslogSeverity(s string) (sev int, ok bool) {
	switch secevent.AlertSeverity(s) {
	case secevent.AlertSeverityLow:
		return syslogNotice, true
	case secevent.AlertSeverityMedium:
		return syslogWarning, true
	case secevent.AlertSeverityHigh:
		return syslogErr, true
	case secevent.AlertSeverityCritical:
		return syslogCrit, true
	}
	return 0, false
}
