package secformat

import (
	"bytes"
	"os"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// Syslog writes syslog headers in front of formatted events. It is built once by NewSyslog, holds
// nothing that changes afterwards, and is safe for concurrent use.
type Syslog struct {
	rfc3164  bool
	facility int
	appName  string // RFC 5424 APP-NAME, sanitized
	tag      string // RFC 3164 TAG
	hostname string // configured HOSTNAME, sanitized; "" = per record
	fallback string // os.Hostname(), sanitized, "-" when unknown
	sd       bool
	sdID     string
}

// NewSyslog validates cfg and builds the header writer.
func NewSyslog(cfg SyslogConfig) (*Syslog, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	fac, _ := parseFacility(cfg.Facility)
	s := &Syslog{
		rfc3164:  cfg.Protocol == ProtocolRFC3164,
		facility: fac,
		appName:  string(appendPrintASCII(nil, cfg.AppName, maxAppNameLen)),
		tag:      string(appendAlnum(nil, cfg.AppName, maxTagLen)),
		sd:       cfg.StructuredData,
		sdID:     cfg.StructuredDataID,
	}
	if cfg.Hostname != "" {
		s.hostname = string(appendPrintASCII(nil, cfg.Hostname, maxHostnameLen))
	}
	h, err := os.Hostname()
	if err != nil {
		h = ""
	}
	s.fallback = string(appendPrintASCII(nil, h, maxHostnameLen))
	return s, nil
}

// MessageFormatter writes one record's MSG part: CEF or JSON.
type MessageFormatter interface {
	Append(dst []byte, res pcommon.Resource, lr plog.LogRecord) []byte
}

// Append writes the syslog header for record lr (resource res) and then msg (the CEF line or JSON
// object) as MSG. It adds no framing (no octet count, no trailing LF): the transport frames. A CR or
// LF byte in msg (none of this package's formatters writes one) is written as a space, so that the
// message can never be split by LF framing.
//
// RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG.
// RFC 3164: <PRI>Mmm dd hh:mm:ss HOSTNAME TAG: MSG (time in UTC, day space-padded).
func (s *Syslog) Append(dst []byte, res pcommon.Resource, lr plog.LogRecord, msg []byte) []byte {
	dst = s.appendHeader(dst, res, lr)
	if len(msg) == 0 {
		return dst
	}
	dst = append(dst, ' ')
	start := len(dst)
	dst = append(dst, msg...)
	spaceCRLF(dst[start:])
	return dst
}

// AppendRecord writes the whole syslog message for lr: the header, then the MSG that msg appends,
// formatted in place. The output is Append(dst, res, lr, msg.Append(nil, res, lr)) without the
// MSG's copy. When msg writes nothing it returns dst unchanged and false: a syslog message without
// MSG carries no event.
func (s *Syslog) AppendRecord(dst []byte, res pcommon.Resource, lr plog.LogRecord, msg MessageFormatter) ([]byte, bool) {
	start := len(dst)
	dst = s.appendHeader(dst, res, lr)
	dst = append(dst, ' ')
	msgStart := len(dst)
	dst = msg.Append(dst, res, lr)
	if len(dst) == msgStart {
		return dst[:start], false
	}
	switch msg.(type) {
	case *CEF, *JSON: // they escape CR and LF themselves (the fuzzers check it)
	default:
		spaceCRLF(dst[msgStart:])
	}
	return dst, true
}

// spaceCRLF replaces every CR and LF in b with a space.
func spaceCRLF(b []byte) {
	if bytes.IndexByte(b, '\n') < 0 && bytes.IndexByte(b, '\r') < 0 {
		return // the usual case, found by the vectorized search
	}
	for i, c := range b {
		if c == '\n' || c == '\r' {
			b[i] = ' '
		}
	}
}

// Priority returns the PRI value (facility*8 + severity) for lr: the severity comes from the alert
// rule's otsec.alert.severity when it has a valid one, else from SeverityNumber (see SyslogSeverity).
func (s *Syslog) Priority(lr plog.LogRecord) int {
	return s.priority(lr, recordFields(lr))
}

func (s *Syslog) priority(lr plog.LogRecord, rf headerFields) int {
	sev, ok := AlertSyslogSeverity(rf.alertSeverity)
	if !ok {
		sev = SyslogSeverity(lr.SeverityNumber())
	}
	return s.facility*8 + sev
}

// appendHeader writes the header, up to (without) the space before MSG.
func (s *Syslog) appendHeader(dst []byte, res pcommon.Resource, lr plog.LogRecord) []byte {
	rf := recordFields(lr)
	host, pid, hasPID := resourceHostPID(res.Attributes())
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(s.priority(lr, rf)), 10)
	dst = append(dst, '>')
	ts := eventTime(lr.Timestamp(), lr.ObservedTimestamp())

	if s.rfc3164 {
		// RFC 3164 has no "unknown time": a record without any time gets the Unix epoch, which no
		// reader mistakes for the time of sending.
		dst = appendTime(dst, ts, time.Stamp)
		dst = append(dst, ' ')
		dst = s.appendHostname(dst, host)
		dst = append(dst, ' ')
		dst = append(dst, s.tag...)
		return append(dst, ':')
	}

	dst = append(dst, '1', ' ')
	if ts == 0 {
		dst = append(dst, '-')
	} else {
		dst = appendRFC3339(dst, ts, 6)
	}
	dst = append(dst, ' ')
	dst = s.appendHostname(dst, host)
	dst = append(dst, ' ')
	dst = append(dst, s.appName...)
	dst = append(dst, ' ')
	switch {
	case !hasPID:
		dst = append(dst, '-')
	case pid.Type() == pcommon.ValueTypeInt:
		dst = strconv.AppendInt(dst, pid.Int(), 10)
	default:
		dst = appendPrintASCII(dst, pid.Str(), maxProcIDLen)
	}
	dst = append(dst, ' ')
	dst = appendPrintASCII(dst, rf.category, maxMsgIDLen)
	if !s.sd {
		return append(dst, ' ', '-')
	}
	// [SD-ID id="..." cat="..." act="..." outcome="..."] with the params the record has.
	dst = append(dst, ' ', '[')
	dst = append(dst, s.sdID...)
	for _, p := range [...]struct{ name, v string }{
		{"id", rf.id}, {"cat", rf.category}, {"act", rf.action}, {"outcome", rf.outcome},
	} {
		if p.v != "" {
			dst = append(dst, ' ')
			dst = append(dst, p.name...)
			dst = append(dst, '=', '"')
			dst, _ = appendText(dst, p.v, maxSDValueLen, inSDValue)
			dst = append(dst, '"')
		}
	}
	return append(dst, ']')
}

// appendHostname writes HOSTNAME: the configured one, else the resource's host.name h (when a
// non-empty string), else the collector's.
func (s *Syslog) appendHostname(dst []byte, h string) []byte {
	switch {
	case s.hostname != "":
		return append(dst, s.hostname...)
	case h != "":
		return appendPrintASCII(dst, h, maxHostnameLen)
	}
	return append(dst, s.fallback...)
}

// headerFields are what the header takes from the record's attributes: the first non-empty string
// of each key.
type headerFields struct {
	category, action, outcome, id, alertSeverity string
}

func recordFields(lr plog.LogRecord) headerFields {
	var rf headerFields
	for k, v := range lr.Attributes().All() {
		var field *string
		switch k {
		case secevent.KeyCategory:
			field = &rf.category
		case secevent.KeyAction:
			field = &rf.action
		case secevent.KeyOutcome:
			field = &rf.outcome
		case secevent.KeyEventID:
			field = &rf.id
		case secevent.KeyAlertSeverity:
			field = &rf.alertSeverity
		default:
			continue
		}
		if *field == "" && v.Type() == pcommon.ValueTypeStr {
			*field = v.Str()
		}
	}
	return rf
}

// resourceHostPID returns the resource's first host.name, as a string ("" unless a string), and
// its first process.pid when that is a non-empty string or an int (hasPID).
func resourceHostPID(attrs pcommon.Map) (host string, pid pcommon.Value, hasPID bool) {
	hostSeen, pidSeen := false, false
	for k, v := range attrs.All() {
		switch {
		case !hostSeen && k == secevent.KeyHostName:
			hostSeen, host = true, v.Str()
		case !pidSeen && k == ResourceProcessPID:
			pidSeen = true
			pid, hasPID = v, v.Type() == pcommon.ValueTypeInt || v.Str() != ""
		}
	}
	return host, pid, hasPID
}
