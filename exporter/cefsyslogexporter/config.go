package cefsyslogexporter // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter"

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/unified-ot/otelcol-siem/internal/delivery"
	"github.com/unified-ot/otelcol-siem/internal/integrity"
	"github.com/unified-ot/otelcol-siem/internal/secformat"
)

// Transports.
const (
	TransportUDP  = "udp"
	TransportTCP  = "tcp"
	TransportTLS  = "tls"
	TransportFile = "file"
)

// Formats of the syslog MSG part.
const (
	FormatCEF  = "cef"
	FormatJSON = "json"
)

// Framings of a stream transport (RFC 6587).
const (
	// FramingOctetCounting is `MSG-LEN SP SYSLOG-MSG` (RFC 6587 3.4.1, mandatory in RFC 5425).
	FramingOctetCounting = "octet_counting"
	// FramingLF is non-transparent framing with LF as the trailer (RFC 6587 3.4.2).
	FramingLF = "lf"
)

// Limits of udp.max_datagram_size: RFC 5426 says every receiver MUST accept 480 octets; 65507 is
// the largest UDP payload over IPv4.
const (
	minDatagramSize     = 480
	maxDatagramSize     = 65507
	defaultDatagramSize = 2048
)

// Config is the cef_syslog exporter's configuration.
type Config struct {
	TimeoutConfig exporterhelper.TimeoutConfig                             `mapstructure:",squash"`
	QueueConfig   configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig   configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// Transport is udp, tcp, tls or file.
	Transport string `mapstructure:"transport"`
	// Endpoint is host:port of the syslog receiver; unused (and rejected) with transport file.
	Endpoint string `mapstructure:"endpoint"`
	// Endpoints are several receivers (host:port) instead of one, used as Balance says.
	Endpoints []string `mapstructure:"endpoints"`
	// Balance says how several endpoints share the events.
	Balance delivery.BalanceConfig `mapstructure:"balance"`
	// Format of the syslog MSG: cef or json.
	Format string `mapstructure:"format"`
	// Framing of tcp: octet_counting or lf. Empty picks the transport's only or default framing.
	Framing string `mapstructure:"framing"`

	// MaxMessageSize caps one syslog message on tcp and tls (0 = no cap); longer messages are cut
	// and end with secformat.TruncationMarker. CEF output is bounded by the formatter's field
	// limits, JSON output is not: this is the guard against a receiver's own limit.
	MaxMessageSize int `mapstructure:"max_message_size"`

	// DialTimeout bounds one connection attempt, TLS handshake included.
	DialTimeout time.Duration `mapstructure:"dial_timeout"`
	// WriteTimeout is the deadline set on every write to a socket.
	WriteTimeout time.Duration `mapstructure:"write_timeout"`
	// Reconnect is the backoff between connection attempts after a failed one.
	Reconnect ReconnectConfig `mapstructure:"reconnect"`

	TLS  configtls.ClientConfig `mapstructure:"tls"`
	UDP  UDPConfig              `mapstructure:"udp"`
	File FileConfig             `mapstructure:"file"`

	Syslog secformat.SyslogConfig `mapstructure:"syslog"`
	CEF    secformat.CEFConfig    `mapstructure:"cef"`

	// Integrity stamps every record with a stream id, a sequence number and an HMAC chain value
	// and adds checkpoint records (internal/integrity); off while integrity.key_file is empty.
	Integrity integrity.Config `mapstructure:"integrity"`

	_ struct{}
}

// ReconnectConfig is the backoff between connection attempts.
type ReconnectConfig struct {
	// InitialInterval is the wait after the first failed attempt; it doubles after every further
	// failure up to MaxInterval and resets on success.
	InitialInterval time.Duration `mapstructure:"initial_interval"`
	MaxInterval     time.Duration `mapstructure:"max_interval"`
	_               struct{}
}

// UDPConfig holds the udp transport's options.
type UDPConfig struct {
	// MaxDatagramSize caps a datagram (syslog header included); longer messages are cut and end
	// with secformat.TruncationMarker.
	MaxDatagramSize int `mapstructure:"max_datagram_size"`
	_               struct{}
}

// FileConfig holds the file transport's options (rotation by gopkg.in/natefinch/lumberjack.v2).
type FileConfig struct {
	Path       string `mapstructure:"path"`
	MaxSizeMB  int    `mapstructure:"max_size_mb"`
	MaxBackups int    `mapstructure:"max_backups"`
	MaxAgeDays int    `mapstructure:"max_age_days"`
	Compress   bool   `mapstructure:"compress"`
	// SyslogHeader writes each line with its syslog header, as it would go on the wire; false
	// writes the bare CEF line or JSON object (JSON Lines).
	SyslogHeader bool `mapstructure:"syslog_header"`
	_            struct{}
}

var _ component.Config = (*Config)(nil)

// Validate checks the exporter's own keys. The embedded collector configs (timeout,
// sending_queue, retry_on_failure, tls) and the formatter configs (syslog, cef) have their own
// Validate methods, which the collector calls with the key path prepended; they are not repeated
// here so that an error is reported once.
func (cfg *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	switch cfg.Format {
	case FormatCEF, FormatJSON:
	default:
		add("format: %q is not supported; use %q or %q", cfg.Format, FormatCEF, FormatJSON)
	}

	switch cfg.Transport {
	case TransportUDP, TransportTCP, TransportTLS:
		errs = append(errs, delivery.CheckEndpoints(cfg.Endpoint, cfg.Endpoints,
			fmt.Sprintf("host:port, with transport %q", cfg.Transport), validateEndpoint)...)
		errs = append(errs, cfg.Balance.Check()...)
	case TransportFile:
		if cfg.Endpoint != "" {
			add("endpoint: must be empty with transport %q (the file is set by file.path)", TransportFile)
		}
		if len(cfg.Endpoints) > 0 {
			add("endpoints: must be empty with transport %q (the file is set by file.path)", TransportFile)
		}
		if cfg.File.Path == "" {
			add("file.path: required with transport %q", TransportFile)
		}
	default:
		add("transport: %q is not supported; use %q, %q, %q or %q", cfg.Transport,
			TransportUDP, TransportTCP, TransportTLS, TransportFile)
	}

	switch cfg.Framing {
	case "":
	case FramingOctetCounting:
		if cfg.Transport == TransportUDP || cfg.Transport == TransportFile {
			add("framing: %q does not apply to transport %q (udp sends one message per datagram, file one per line); leave framing empty",
				cfg.Framing, cfg.Transport)
		}
	case FramingLF:
		switch cfg.Transport {
		case TransportTLS:
			add("framing: %q is not allowed with transport %q: RFC 5425 mandates octet counting over TLS", cfg.Framing, cfg.Transport)
		case TransportUDP:
			add("framing: %q does not apply to transport %q (one message per datagram); leave framing empty", cfg.Framing, cfg.Transport)
		}
	default:
		add("framing: %q is not supported; use %q or %q", cfg.Framing, FramingOctetCounting, FramingLF)
	}

	if cfg.MaxMessageSize != 0 {
		switch {
		case cfg.Transport == TransportUDP || cfg.Transport == TransportFile:
			add("max_message_size: applies to tcp and tls only; use udp.max_datagram_size for udp (file records are capped by file.max_size_mb)")
		case cfg.MaxMessageSize < minDatagramSize:
			add("max_message_size: must be 0 (no cap) or at least %d (RFC 5424 section 6.1), got %d", minDatagramSize, cfg.MaxMessageSize)
		}
	}
	if cfg.DialTimeout <= 0 {
		add("dial_timeout: must be positive, got %s", cfg.DialTimeout)
	}
	if cfg.WriteTimeout <= 0 {
		add("write_timeout: must be positive, got %s", cfg.WriteTimeout)
	}
	if cfg.Reconnect.InitialInterval <= 0 {
		add("reconnect.initial_interval: must be positive, got %s", cfg.Reconnect.InitialInterval)
	}
	if cfg.Reconnect.MaxInterval < cfg.Reconnect.InitialInterval {
		add("reconnect.max_interval: must not be less than reconnect.initial_interval (%s), got %s",
			cfg.Reconnect.InitialInterval, cfg.Reconnect.MaxInterval)
	}

	if cfg.UDP.MaxDatagramSize < minDatagramSize || cfg.UDP.MaxDatagramSize > maxDatagramSize {
		add("udp.max_datagram_size: must be between %d and %d, got %d", minDatagramSize, maxDatagramSize, cfg.UDP.MaxDatagramSize)
	}

	if cfg.File.MaxSizeMB < 1 {
		add("file.max_size_mb: must be at least 1, got %d", cfg.File.MaxSizeMB)
	}
	if cfg.File.MaxBackups < 0 {
		add("file.max_backups: must not be negative, got %d", cfg.File.MaxBackups)
	}
	if cfg.File.MaxAgeDays < 0 {
		add("file.max_age_days: must not be negative, got %d", cfg.File.MaxAgeDays)
	}

	if err := cfg.Integrity.Validate(cfg.QueueConfig); err != nil {
		errs = append(errs, err)
	}
	if cfg.Integrity.Enabled() && cfg.Integrity.SequenceID &&
		(cfg.Syslog.Protocol != secformat.ProtocolRFC5424 || (cfg.Transport == TransportFile && !cfg.File.SyslogHeader)) {
		add("integrity.sequence_id: needs RFC 5424 syslog headers (syslog.protocol %q)", secformat.ProtocolRFC5424)
	}

	errs = append(errs, cfg.validateTLS()...)
	return errors.Join(errs...)
}

func (cfg *Config) validateTLS() []error {
	var errs []error
	if cfg.Transport != TransportTLS {
		// TLS settings under another transport would be silently ignored, leaving a user who set
		// a CA believing the link is encrypted.
		if !reflect.DeepEqual(cfg.TLS, configtls.NewDefaultClientConfig()) {
			errs = append(errs, fmt.Errorf("tls: settings are given but transport is %q; set transport: %s or remove the tls section", cfg.Transport, TransportTLS))
		}
		return errs
	}
	if cfg.TLS.Insecure {
		errs = append(errs, fmt.Errorf("tls.insecure: must be false with transport %q; use transport %q for plain text", TransportTLS, TransportTCP))
	}
	switch cfg.TLS.MinVersion {
	case "1.0", "1.1":
		errs = append(errs, fmt.Errorf("tls.min_version: %q is below the minimum 1.2 (RFC 9662); use \"1.2\" or \"1.3\"", cfg.TLS.MinVersion))
	}
	switch cfg.TLS.MaxVersion {
	case "1.0", "1.1":
		errs = append(errs, fmt.Errorf("tls.max_version: %q is below the minimum 1.2 (RFC 9662); use \"1.2\", \"1.3\" or leave it empty", cfg.TLS.MaxVersion))
	}
	return errs
}

func validateEndpoint(endpoint string) error {
	host, port, err := net.SplitHostPort(endpoint)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %w", endpoint, err)
	}
	if host == "" {
		return fmt.Errorf("%q has no host", endpoint)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("%q: port %q must be a number from 1 to 65535", endpoint, port)
	}
	return nil
}

// framing returns the effective framing of a stream transport.
func (cfg *Config) framing() string {
	switch {
	case cfg.Transport == TransportFile:
		return FramingLF
	case cfg.Framing == "":
		return FramingOctetCounting
	default:
		return cfg.Framing
	}
}
