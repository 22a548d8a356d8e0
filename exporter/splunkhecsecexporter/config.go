package splunkhecsecexporter // import "github.com/unified-ot/otelcol-siem/exporter/splunkhecsecexporter"

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/unified-ot/otelcol-siem/internal/delivery"
	"github.com/unified-ot/otelcol-siem/internal/integrity"
	"github.com/unified-ot/otelcol-siem/internal/secformat"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// Formats of the HEC `event` member.
const (
	// FormatJSON sends the shared formatter's JSON object as the event.
	FormatJSON = "json"
	// FormatCEF sends the CEF line as a string event.
	FormatCEF = "cef"
)

// Default sourcetypes per format, used when sourcetype is empty. `_json` is Splunk's pretrained
// sourcetype for JSON events; the CEF line has none, so it gets the product's own.
const (
	DefaultSourcetypeJSON = "_json"
	DefaultSourcetypeCEF  = "otsec:cef"
)

// Limits of max_content_length: below minContentLength an envelope's metadata alone could not
// fit next to a useful part of an event.
const (
	minContentLength     = 4096
	defaultContentLength = 1024 * 1024
)

// Config is the splunk_hec_sec exporter's configuration.
type Config struct {
	// ClientConfig is the HTTP client: endpoint (the HEC base URL, e.g. https://splunk:8088), tls,
	// timeout, headers, compression (gzip or none), proxy_url, ...
	ClientConfig confighttp.ClientConfig `mapstructure:",squash"`
	// Endpoints are several HEC base URLs instead of endpoint, used as Balance says; they share
	// the HTTP client settings (TLS, headers, ...).
	Endpoints []string `mapstructure:"endpoints"`
	// Balance says how several endpoints share the events.
	Balance     delivery.BalanceConfig                                   `mapstructure:"balance"`
	QueueConfig configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// Token is the HEC token, sent as `Authorization: Splunk <token>`. Opaque: never logged.
	Token configopaque.String `mapstructure:"token"`

	// Format of the event member: json (the formatter's JSON object) or cef (the CEF line).
	Format string              `mapstructure:"format"`
	CEF    secformat.CEFConfig `mapstructure:"cef"`

	// Host, Source, Sourcetype, Index are the envelope's metadata; empty leaves the member out so
	// that the token's default applies (Sourcetype: the format's default).
	Host       string `mapstructure:"host"`
	Source     string `mapstructure:"source"`
	Sourcetype string `mapstructure:"sourcetype"`
	Index      string `mapstructure:"index"`

	// Overrides names, per envelope member, the schema key whose value (when the record has it)
	// replaces the configured value for that record. Empty: no override.
	Overrides OverridesConfig `mapstructure:"overrides"`

	// IndexedFields are schema keys also sent as indexed `fields` (searchable without extraction).
	IndexedFields []string `mapstructure:"indexed_fields"`

	// MaxContentLength caps a request body (before compression). A larger event is truncated.
	MaxContentLength int `mapstructure:"max_content_length"`

	// Integrity stamps every record with a stream id, a sequence number and an HMAC chain value
	// and adds checkpoint records (internal/integrity); off while integrity.key_file is empty.
	Integrity integrity.Config `mapstructure:"integrity"`

	// Ack configures indexer acknowledgement.
	Ack AckConfig `mapstructure:"ack"`

	// HealthCheck runs GET /services/collector/health at start and logs the answer; it never
	// blocks or fails start-up.
	HealthCheck bool `mapstructure:"health_check"`

	_ struct{}
}

// OverridesConfig maps envelope members to schema keys.
type OverridesConfig struct {
	Host       string `mapstructure:"host"`
	Source     string `mapstructure:"source"`
	Sourcetype string `mapstructure:"sourcetype"`
	Index      string `mapstructure:"index"`
	_          struct{}
}

// AckConfig configures indexer acknowledgement.
type AckConfig struct {
	// Enabled makes a batch count as delivered only once Splunk acknowledged it.
	Enabled bool `mapstructure:"enabled"`
	// PollInterval is how often pending ackIds are queried (one request per channel for all).
	PollInterval time.Duration `mapstructure:"poll_interval"`
	// Timeout is how long a batch may stay unacknowledged before it is resent.
	Timeout time.Duration `mapstructure:"timeout"`
	_       struct{}
}

var _ component.Config = (*Config)(nil)

// Validate checks the exporter's own keys. The embedded collector configs (HTTP client, TLS,
// sending_queue, retry_on_failure) and the CEF formatter config validate themselves; the collector
// calls them with the key path prepended, so they are not repeated here.
func (cfg *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	errs = append(errs, delivery.CheckEndpoints(cfg.ClientConfig.Endpoint, cfg.Endpoints,
		"the HEC base URL, e.g. https://splunk.example.com:8088", func(ep string) error { _, err := baseURL(ep); return err })...)
	errs = append(errs, cfg.Balance.Check()...)
	if strings.TrimSpace(string(cfg.Token)) == "" {
		add("token: required (the HEC token; use ${env:...} to keep it out of the file)")
	}
	switch cfg.ClientConfig.Compression {
	case "", configcompression.TypeGzip, "none":
	default:
		add("compression: %q is not supported by HEC; use gzip or none", cfg.ClientConfig.Compression)
	}
	switch cfg.Format {
	case FormatJSON, FormatCEF:
	default:
		add("format: %q is not supported; use %q or %q", cfg.Format, FormatJSON, FormatCEF)
	}
	for name, key := range map[string]string{
		"overrides.host": cfg.Overrides.Host, "overrides.source": cfg.Overrides.Source,
		"overrides.sourcetype": cfg.Overrides.Sourcetype, "overrides.index": cfg.Overrides.Index,
	} {
		if key == "" {
			continue
		}
		if err := checkStringKey(key); err != nil {
			add("%s: %w", name, err)
		}
	}
	seen := map[string]bool{}
	for i, key := range cfg.IndexedFields {
		if _, err := schemaField(key); err != nil {
			add("indexed_fields[%d]: %w", i, err)
		}
		if seen[key] {
			add("indexed_fields[%d]: %q is listed twice", i, key)
		}
		seen[key] = true
	}
	if cfg.MaxContentLength < minContentLength {
		add("max_content_length: must be at least %d bytes, got %d", minContentLength, cfg.MaxContentLength)
	}
	if cfg.Ack.Enabled {
		if cfg.Ack.PollInterval <= 0 {
			add("ack.poll_interval: must be positive, got %s", cfg.Ack.PollInterval)
		}
		if cfg.Ack.Timeout < cfg.Ack.PollInterval {
			add("ack.timeout: must be at least ack.poll_interval (%s), got %s", cfg.Ack.PollInterval, cfg.Ack.Timeout)
		}
	}
	if err := cfg.Integrity.Validate(cfg.QueueConfig); err != nil {
		errs = append(errs, err)
	}
	if cfg.Integrity.SequenceID {
		add("integrity.sequence_id: applies to cef_syslog (RFC 5424 headers) only")
	}
	return errors.Join(errs...)
}

// schemaField returns the schema field named key; record-level pseudo keys are refused because
// they are not attributes an exporter can read by name.
func schemaField(key string) (secevent.Field, error) {
	f, ok := secevent.FieldByKey(key)
	if !ok {
		return f, fmt.Errorf("%q is not a key of the security-event schema (docs/security-event-schema.md)", key)
	}
	if f.Place == secevent.PlaceRecord {
		return f, fmt.Errorf("%q is a log record field, not an attribute; use an attribute or resource key", key)
	}
	return f, nil
}

// checkStringKey accepts schema keys whose value is a single string or number (an envelope member
// cannot take a list or a map).
func checkStringKey(key string) error {
	f, err := schemaField(key)
	if err != nil {
		return err
	}
	if f.Type == secevent.TypeMap || f.Type == secevent.TypeStringSlice {
		return fmt.Errorf("%q holds a %s; an envelope member needs a single value", key, f.Type)
	}
	return nil
}

// baseURL reduces the configured endpoint to the HEC base URL: a trailing /services/collector or
// /services/collector/event (as contrib's splunkhecexporter takes it) is removed, so that both
// spellings work.
func baseURL(endpoint string) (*url.URL, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("%q is not a URL: %w", endpoint, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%q: scheme must be http or https", endpoint)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%q has no host", endpoint)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%q: must not carry a query or fragment", endpoint)
	}
	p := strings.TrimSuffix(u.Path, "/")
	if base, ok := strings.CutSuffix(p, "/services/collector/event"); ok {
		p = base
	} else if base, ok := strings.CutSuffix(p, "/services/collector"); ok {
		p = base
	}
	u.Path = p
	return u, nil
}

// sourcetype is the configured sourcetype or the format's default.
func (cfg *Config) sourcetype() string {
	if cfg.Sourcetype != "" {
		return cfg.Sourcetype
	}
	if cfg.Format == FormatCEF {
		return DefaultSourcetypeCEF
	}
	return DefaultSourcetypeJSON
}
