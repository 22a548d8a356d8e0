package secformat

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
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
