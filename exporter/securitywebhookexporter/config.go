package securitywebhookexporter // import "github.com/unified-ot/otelcol-siem/exporter/securitywebhookexporter"

import (
	"github.com/unified-ot/otelcol-siem/internal/delivery"
	"github.com/unified-ot/otelcol-siem/internal/integrity"

	"errors"
	"fmt"
	"net/url"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Body formats.
const (
	// FormatJSONArray sends one JSON array of event objects per request.
	FormatJSONArray = "json_array"
	// FormatNDJSON sends one event object per line (application/x-ndjson).
	FormatNDJSON = "ndjson"
)

const (
	minContentLength     = 1024
	defaultContentLength = 1024 * 1024
)

// Config is the security_webhook exporter's configuration.
type Config struct {
	// ClientConfig is the HTTP client: endpoint (the full URL events are POSTed to), tls, headers,
	// auth (an authenticator extension, e.g. bearertokenauth), timeout, compression, proxy_url...
	ClientConfig confighttp.ClientConfig `mapstructure:",squash"`
	// Endpoints are several URLs instead of endpoint, used as Balance says; they share the HTTP
	// client settings.
	Endpoints []string `mapstructure:"endpoints"`
	// Balance says how several endpoints share the events.
	Balance     delivery.BalanceConfig                                   `mapstructure:"balance"`
	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// Format of a request body: json_array or ndjson.
	Format string `mapstructure:"format"`
	// MaxContentLength caps a request body (before compression). A larger event is truncated.
	MaxContentLength int `mapstructure:"max_content_length"`

	// Integrity stamps every record with a stream id, a sequence number and an HMAC chain value
	// and adds checkpoint records (internal/integrity); off while integrity.key_file is empty.
	Integrity integrity.Config `mapstructure:"integrity"`

	_ struct{}
}

var _ component.Config = (*Config)(nil)

// Validate checks the exporter's own keys; the embedded collector configs validate themselves.
func (cfg *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	errs = append(errs, delivery.CheckEndpoints(cfg.ClientConfig.Endpoint, cfg.Endpoints, "the URL events are POSTed to", checkURL)...)
	errs = append(errs, cfg.Balance.Check()...)
	switch cfg.Format {
	case FormatJSONArray, FormatNDJSON:
	default:
		add("format: %q is not supported; use %q or %q", cfg.Format, FormatJSONArray, FormatNDJSON)
	}
	if cfg.MaxContentLength < minContentLength {
		add("max_content_length: must be at least %d bytes, got %d", minContentLength, cfg.MaxContentLength)
	}
	if err := cfg.Integrity.Validate(cfg.QueueConfig); err != nil {
		errs = append(errs, err)
	}
	if cfg.Integrity.SequenceID {
		add("integrity.sequence_id: applies to cef_syslog (RFC 5424 headers) only")
	}
	return errors.Join(errs...)
}

func checkURL(endpoint string) error {
	u, err := url.Parse(endpoint)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL: %w", endpoint, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q: scheme must be http or https", endpoint)
	case u.Host == "":
		return fmt.Errorf("%q has no host", endpoint)
	}
	return nil
}
