package secformat

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// SyslogConfig configures the syslog header. Exporters embed it (e.g. as `syslog:`).
type SyslogConfig struct {
	// Protocol is "rfc5424" (default) or "rfc3164" (legacy BSD syslog, for older CEF forwarders).
	Protocol string `mapstructure:"protocol"`
	// Facility is a facility name (kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron,
	// authpriv, ftp, ntp, audit, alert, clock, local0..local7) or its number "0".."23". Default local0.
	Facility string `mapstructure:"facility"`
	// AppName is APP-NAME (RFC 5424, max 48 printable ASCII characters) and, reduced to its letters
	// and digits (max 32), the TAG of RFC 3164. Default "otelcol-siem". Some CEF consumers key on it.
	AppName string `mapstructure:"app_name"`
	// Hostname is HOSTNAME. Empty: the record's resource host.name, else the collector's host name
	// (os.Hostname, read once at start).
	Hostname string `mapstructure:"hostname"`
	// StructuredData adds, in RFC 5424 only, one SD element with the event's id, category, action and
	// outcome, so that a syslog-level filter can route without parsing MSG.
	StructuredData bool `mapstructure:"structured_data"`
	// StructuredDataID is the SD-ID of that element. Default "otsec@32473": 32473 is the private
	// enterprise number RFC 5612 reserves for documentation; an operator with their own PEN sets it.
	StructuredDataID string `mapstructure:"structured_data_id"`
}

// Syslog protocols.
const (
	ProtocolRFC5424 = "rfc5424"
	ProtocolRFC3164 = "rfc3164"
)

// Defaults of SyslogConfig.
const (
	DefaultFacility         = "local0"
	DefaultAppName          = "otelcol-siem"
	DefaultStructuredDataID = "otsec@32473"
)

// ResourceProcessPID is the resource attribute (OpenTelemetry semantic conventions) PROCID is taken
// from. It is not a schema key: it describes the emitting process, which the SDK's resource detector
// fills in.
const ResourceProcessPID = "process.pid"

// RFC 5424 header field limits.
const (
	maxHostnameLen = 255
	maxAppNameLen  = 48
	maxProcIDLen   = 128
	maxMsgIDLen    = 32
	maxTagLen      = 32  // RFC 3164
	maxSDValueLen  = 255 // ours: keeps the header small; ids and categories are far shorter
)

var facilities = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5, "lpr": 6, "news": 7,
	"uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11, "ntp": 12, "audit": 13, "alert": 14, "clock": 15,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19, "local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

// DefaultSyslogConfig returns RFC 5424, facility local0, APP-NAME otelcol-siem, host from the record.
func DefaultSyslogConfig() SyslogConfig {
	return SyslogConfig{
		Protocol:         ProtocolRFC5424,
		Facility:         DefaultFacility,
		AppName:          DefaultAppName,
		StructuredDataID: DefaultStructuredDataID,
	}
}

func parseFacility(s string) (int, bool) {
	if n, ok := facilities[s]; ok {
		return n, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 23 || strconv.Itoa(n) != s {
		return 0, false
	}
	return n, true
}

func isPrintASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 33 || s[i] > 126 {
			return false
		}
	}
	return true
}

// Validate checks the configuration, naming the option at fault.
func (c *SyslogConfig) Validate() error {
	var errs []error
	if c.Protocol != ProtocolRFC5424 && c.Protocol != ProtocolRFC3164 {
		errs = append(errs, fmt.Errorf("protocol %q must be %q or %q", c.Protocol, ProtocolRFC5424, ProtocolRFC3164))
	}
	if _, ok := parseFacility(c.Facility); !ok {
		errs = append(errs, fmt.Errorf("facility %q must be a facility name (kern .. local7) or a number 0..23", c.Facility))
	}
	switch {
	case c.AppName == "" || len(c.AppName) > maxAppNameLen || !isPrintASCII(c.AppName):
		errs = append(errs, fmt.Errorf("app_name %q must be 1..%d printable US-ASCII characters without spaces (RFC 5424 APP-NAME)", c.AppName, maxAppNameLen))
	case c.Protocol == ProtocolRFC3164 && len(appendAlnum(nil, c.AppName, maxTagLen)) == 0:
		errs = append(errs, fmt.Errorf("app_name %q has no letters or digits for the RFC 3164 TAG", c.AppName))
	}
	if c.Hostname != "" && (len(c.Hostname) > maxHostnameLen || !isPrintASCII(c.Hostname)) {
		errs = append(errs, fmt.Errorf("hostname %q must be at most %d printable US-ASCII characters without spaces (RFC 5424 HOSTNAME)", c.Hostname, maxHostnameLen))
	}
	if c.StructuredData {
		if c.Protocol == ProtocolRFC3164 {
			errs = append(errs, errors.New("structured_data needs protocol rfc5424 (RFC 3164 has no structured data)"))
		}
		if !validSDID(c.StructuredDataID) {
			errs = append(errs, fmt.Errorf("structured_data_id %q must be name@number, 1..32 printable US-ASCII characters without '=', ']', '\"' or space (RFC 5424 SD-ID)", c.StructuredDataID))
		}
	}
	return errors.Join(errs...)
}

// validSDID accepts the enterprise form name@digits of RFC 5424 7.2.2 (IANA-registered SD-IDs have
// no '@', but those are reserved for the RFC's own elements).
func validSDID(s string) bool {
	if s == "" || len(s) > 32 || !isPrintASCII(s) || strings.ContainsAny(s, `="]`) {
		return false
	}
	name, num, ok := strings.Cut(s, "@")
	if !ok || name == "" || num == "" || strings.Contains(num, "@") {
		return false
	}
	for i := 0; i < len(num); i++ {
		if num[i] < '0' || num[i] > '9' && num[i] != '.' {
			return false
		}
	}
	return true
}

// Syslog writes syslog headers in front of formatted events. It is built once by NewSyslog and is
// safe for concurrent use.
type Syslog struct {
	rfc3164   bool
	facility  int
	appName   string // RFC 5424 APP-NAME, sanitized
	tag       string // RFC 3164 TAG
	hostname  string // configured HOSTNAME, sanitized; "" = per record
	fallback  string // os.Hostname(), sanitized, "-" when unknown
	appNameSp string // " " + appName + " ", as it stands in the RFC 5424 header
	sd        bool
	sdOpen    string // "[otsec@32473"
	// pri holds, for each syslog severity, the header's start up to the timestamp: "<PRI>" and,
	// in RFC 5424, the version ("<132>1 "). PRI takes one of eight values per formatter, so they are
	// written once here rather than in decimal on every message.
	pri [8]string
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
		sdOpen:   "[" + cfg.StructuredDataID,
	}
	s.appNameSp = " " + s.appName + " "
	for sev := range s.pri {
		p := "<" + strconv.Itoa(fac*8+sev) + ">"
		if !s.rfc3164 {
			p += "1 "
		}
		s.pri[sev] = p
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

// syslogFields are what the header needs from the record's attributes, found in one pass.
type syslogFields struct {
	category, action, outcome, id, alertSeverity string
}

func (s *Syslog) fields(lr plog.LogRecord) syslogFields {
	var sf syslogFields
	for k, v := range lr.Attributes().All() {
		if v.Type() != pcommon.ValueTypeStr {
			continue
		}
		switch k {
		case secevent.KeyCategory:
			if sf.category == "" {
				sf.category = v.Str()
			}
		case secevent.KeyAction:
			if sf.action == "" {
				sf.action = v.Str()
			}
		case secevent.KeyOutcome:
			if sf.outcome == "" {
				sf.outcome = v.Str()
			}
		case secevent.KeyEventID:
			if sf.id == "" {
				sf.id = v.Str()
			}
		case secevent.KeyAlertSeverity:
			if sf.alertSeverity == "" {
				sf.alertSeverity = v.Str()
			}
		}
	}
	return sf
}

// Priority returns the PRI value (facility*8 + severity) for lr: the severity comes from the alert
// rule's otsec.alert.severity when it has a valid one, else from SeverityNumber (see SyslogSeverity).
func (s *Syslog) Priority(lr plog.LogRecord) int {
	return s.priority(lr, s.fields(lr))
}

func (s *Syslog) priority(lr plog.LogRecord, sf syslogFields) int {
	return s.facility*8 + s.severity(lr, sf)
}

// severity is the syslog severity (0..7) of PRI.
func (s *Syslog) severity(lr plog.LogRecord, sf syslogFields) int {
	sev, ok := AlertSyslogSeverity(sf.alertSeverity)
	if !ok {
		sev = SyslogSeverity(lr.SeverityNumber())
	}
	return sev
}

// Append writes the syslog header for record lr (resource res) and then msg (the CEF line or JSON
// object) as MSG. It adds no framing (no octet count, no trailing LF): the transport frames. A CR or
// LF byte in msg (none of this package's formatters writes one) is written as a space, so that the
// message can never be split by LF framing.
//
// RFC 5424: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG.
// RFC 3164: <PRI>Mmm dd hh:mm:ss HOSTNAME TAG: MSG (time in UTC, day space-padded).
func (s *Syslog) Append(dst []byte, res pcommon.Resource, lr plog.LogRecord, msg []byte) []byte {
	dst = s.appendHeader(dst, lr, s.fields(lr), resourceHostPID(res.Attributes()), nil)
	if len(msg) == 0 {
		return dst
	}
	dst = append(dst, ' ')
	if bytes.IndexByte(msg, '\n') < 0 && bytes.IndexByte(msg, '\r') < 0 {
		return append(dst, msg...) // the common case, found with the vectorized search
	}
	for len(msg) > 0 {
		i := indexCRLF(msg)
		if i < 0 {
			return append(dst, msg...)
		}
		dst = append(dst, msg[:i]...)
		dst = append(dst, ' ')
		msg = msg[i+1:]
	}
	return dst
}

// appendHeader writes the header (up to, without, the space before MSG), with sf the record's
// fields(lr) and hp its resource's resourceHostPID.
// hm, when not nil, keeps text of the header written last (a RecordBatch's).
func (s *Syslog) appendHeader(dst []byte, lr plog.LogRecord, sf syslogFields, hp hostPID, hm *headerMemo) []byte {
	if sev := s.severity(lr, sf); uint(sev) < uint(len(s.pri)) {
		dst = append(dst, s.pri[sev]...)
	} else { // not reached: every severity the tables give is 0..7
		dst = append(dst, '<')
		dst = appendInt(dst, int64(s.facility*8+sev))
		dst = append(dst, '>')
		if !s.rfc3164 {
			dst = append(dst, '1', ' ')
		}
	}

	ts := lr.Timestamp()
	if ts == 0 {
		ts = lr.ObservedTimestamp()
	}
	if s.rfc3164 {
		// RFC 3164 has no "unknown time": a record without any time gets the Unix epoch, which no
		// reader mistakes for the time of sending.
		dst = time.Unix(0, int64(ts)).UTC().AppendFormat(dst, time.Stamp)
		dst = append(dst, ' ')
		dst = s.appendHostValue(dst, hp.host)
		dst = append(dst, ' ')
		dst = append(dst, s.tag...)
		dst = append(dst, ':')
	} else {
		switch {
		case ts == 0:
			dst = append(dst, '-')
		case hm != nil:
			dst = hm.second.appendRFC3339Micro(dst, int64(ts))
		default:
			dst = appendRFC3339UnixNano(dst, int64(ts), 6)
		}
		if hm != nil && hm.hostSet && hm.host == hp {
			dst = append(dst, hm.hostText...)
		} else {
			mark := len(dst)
			dst = s.appendHostAppPID(dst, hp)
			if hm != nil {
				hm.host, hm.hostText, hm.hostSet = hp, append(hm.hostText[:0], dst[mark:]...), true
			}
		}
		dst = appendPrintASCII(dst, sf.category, maxMsgIDLen)
		if s.sd {
			dst = append(dst, ' ')
			dst = s.appendSD(dst, sf)
		} else {
			dst = append(dst, ' ', '-')
		}
	}
	return dst
}

// appendHostAppPID writes the header's " HOSTNAME APP-NAME PROCID " (RFC 5424).
func (s *Syslog) appendHostAppPID(dst []byte, hp hostPID) []byte {
	dst = append(dst, ' ')
	dst = s.appendHostValue(dst, hp.host)
	dst = append(dst, s.appNameSp...)
	switch hp.pidType {
	case pcommon.ValueTypeStr:
		dst = appendPrintASCII(dst, hp.pidStr, maxProcIDLen)
	case pcommon.ValueTypeInt:
		dst = appendInt(dst, hp.pidInt)
	default:
		dst = append(dst, '-')
	}
	return append(dst, ' ')
}

// headerMemo keeps text of the last RFC 5424 header a RecordBatch wrote: its second, and its
// " HOSTNAME APP-NAME PROCID " part, which depends on the resource alone.
type headerMemo struct {
	second   secondMemo
	host     hostPID // hostText is written from it when hostSet
	hostText []byte
	hostSet  bool
}

// MessageFormatter writes one record's MSG part: CEF or JSON.
type MessageFormatter interface {
	Append(dst []byte, res pcommon.Resource, lr plog.LogRecord) []byte
}

// AppendRecord writes the whole syslog message for lr: the header, then the MSG that msg appends,
// formatted in place. The output is Append(dst, res, lr, msg.Append(nil, res, lr)) without the
// MSG's copy. When msg writes nothing it returns dst unchanged and false: a syslog message without
// MSG carries no event.
func (s *Syslog) AppendRecord(dst []byte, res pcommon.Resource, lr plog.LogRecord, msg MessageFormatter) ([]byte, bool) {
	switch m := msg.(type) {
	case *CEF:
		// The CEF formatter walks the record's attributes anyway: it hands the header the fields it
		// needs from that walk and writes it in front of the line. Its lines never hold a CR or LF
		// (FuzzCEFRoundTrip checks it), so they are not searched for one.
		return m.appendRecord(dst, res, lr, s), true
	case *JSON:
		// Never empty, and never a raw CR or LF (FuzzJSONRoundTrip checks it).
		dst = s.appendHeader(dst, lr, s.fields(lr), resourceHostPID(res.Attributes()), nil)
		dst = append(dst, ' ')
		return m.Append(dst, res, lr), true
	}
	start := len(dst)
	dst = s.appendHeader(dst, lr, s.fields(lr), resourceHostPID(res.Attributes()), nil)
	dst = append(dst, ' ')
	msgStart := len(dst)
	dst = msg.Append(dst, res, lr)
	if len(dst) == msgStart {
		return dst[:start], false
	}
	// As in Append: a CR or LF would let LF framing split the message.
	m := dst[msgStart:]
	if bytes.IndexByte(m, '\n') >= 0 || bytes.IndexByte(m, '\r') >= 0 {
		for i, c := range m {
			if c == '\n' || c == '\r' {
				m[i] = ' '
			}
		}
	}
	return dst, true
}

func indexCRLF(b []byte) int {
	for i, c := range b {
		if c == '\n' || c == '\r' {
			return i
		}
	}
	return -1
}

// appendHostValue writes HOSTNAME: the configured one, else the resource's host.name h (a
// non-empty string), else the collector's.
func (s *Syslog) appendHostValue(dst []byte, h string) []byte {
	if s.hostname != "" {
		return append(dst, s.hostname...)
	}
	if h != "" {
		return appendPrintASCII(dst, h, maxHostnameLen)
	}
	return append(dst, s.fallback...)
}

// hostPID is what the header takes from the resource: the first host.name when it is a non-empty
// string, and the first process.pid when it is a non-empty string or an int (pidType says which;
// ValueTypeEmpty for none or any other value).
type hostPID struct {
	host    string
	pidType pcommon.ValueType
	pidStr  string
	pidInt  int64
}

// resourceHostPID finds the resource's host.name and process.pid (the first of each) in one pass.
func resourceHostPID(resAttrs pcommon.Map) hostPID {
	var hp hostPID
	hostOK, pidOK := false, false
	for k, v := range resAttrs.All() {
		switch {
		case !hostOK && k == secevent.KeyHostName:
			hostOK = true
			hp.host = v.Str() // "" unless a string
		case !pidOK && k == ResourceProcessPID:
			pidOK = true
			switch v.Type() {
			case pcommon.ValueTypeStr:
				if hp.pidStr = v.Str(); hp.pidStr != "" {
					hp.pidType = pcommon.ValueTypeStr
				}
			case pcommon.ValueTypeInt:
				hp.pidType, hp.pidInt = pcommon.ValueTypeInt, v.Int()
			}
		}
		if hostOK && pidOK {
			break
		}
	}
	return hp
}

// appendSD writes [SD-ID id="..." cat="..." act="..." outcome="..."] with the params the record has.
func (s *Syslog) appendSD(dst []byte, sf syslogFields) []byte {
	dst = append(dst, s.sdOpen...)
	for _, p := range [...]struct{ name, v string }{
		{"id", sf.id}, {"cat", sf.category}, {"act", sf.action}, {"outcome", sf.outcome},
	} {
		if p.v == "" {
			continue
		}
		dst = append(dst, ' ')
		dst = append(dst, p.name...)
		dst = append(dst, '=', '"')
		dst = appendSDValue(dst, p.v, maxSDValueLen)
		dst = append(dst, '"')
	}
	return append(dst, ']')
}
