package cefsyslogexporter

import (
	"github.com/unified-ot/otelcol-siem/internal/delivery"

	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter/internal/metadata"
	"github.com/unified-ot/otelcol-siem/internal/secformat"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	id := component.NewID(metadata.Type)
	if name != "" {
		id = component.NewIDWithName(metadata.Type, name)
	}
	sub, err := cm.Sub(id.String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestLoadConfig(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		cfg := loadConfig(t, "")
		want := createDefaultConfig().(*Config)
		want.Endpoint = "siem.example.com:514"
		assert.Equal(t, want, cfg)
		assert.NoError(t, confmap.Validate(cfg))
		assert.Equal(t, TransportTCP, cfg.Transport)
		assert.Equal(t, FormatCEF, cfg.Format)
		assert.Equal(t, FramingOctetCounting, cfg.framing())
		assert.Equal(t, 2048, cfg.UDP.MaxDatagramSize)
		assert.Equal(t, 30*time.Second, cfg.TimeoutConfig.Timeout)
		assert.True(t, cfg.QueueConfig.HasValue(), "sending_queue on by default")
		assert.True(t, cfg.RetryConfig.Enabled)
	})

	t.Run("all", func(t *testing.T) {
		cfg := loadConfig(t, "all")
		want := createDefaultConfig().(*Config)
		want.Transport = TransportTLS
		want.Endpoint = "siem.example.com:6514"
		want.Format = FormatJSON
		want.Framing = FramingOctetCounting
		want.MaxMessageSize = 8192
		want.DialTimeout = 3 * time.Second
		want.WriteTimeout = 4 * time.Second
		want.TimeoutConfig.Timeout = 20 * time.Second
		want.Reconnect = ReconnectConfig{InitialInterval: 2 * time.Second, MaxInterval: time.Minute}
		want.TLS.CAFile = "/etc/otelcol-siem/ca.pem"
		want.TLS.CertFile = "/etc/otelcol-siem/client.pem"
		want.TLS.KeyFile = "/etc/otelcol-siem/client-key.pem"
		want.TLS.MinVersion = "1.3"
		want.TLS.ServerName = "siem.internal"
		want.UDP.MaxDatagramSize = 1472
		want.File = FileConfig{MaxSizeMB: 50, MaxBackups: 3, MaxAgeDays: 7, Compress: true, SyslogHeader: false}
		want.Syslog.Protocol = "rfc3164"
		want.Syslog.Facility = "local4"
		want.Syslog.AppName = "CEF"
		want.Syslog.Hostname = "edge-gw-01"
		want.Syslog.StructuredData = false
		want.CEF.DeviceVendor = "ACME"
		want.CEF.DeviceProduct = "OT Gateway"
		want.CEF.DeviceVersion = "2.1"
		want.CEF.SeverityByCategory = map[string]int{"authentication": 6}
		q := want.QueueConfig.Get()
		q.NumConsumers = 2
		q.QueueSize = 5000
		want.RetryConfig.InitialInterval = time.Second
		want.RetryConfig.MaxInterval = 10 * time.Second
		want.RetryConfig.MaxElapsedTime = 10 * time.Minute
		assert.Equal(t, want, cfg)
		assert.NoError(t, confmap.Validate(cfg))
	})

	t.Run("file", func(t *testing.T) {
		cfg := loadConfig(t, "file")
		assert.Equal(t, TransportFile, cfg.Transport)
		assert.Equal(t, "/var/log/otelcol-siem/siem.log", cfg.File.Path)
		assert.Equal(t, 100, cfg.File.MaxSizeMB)
		assert.Equal(t, 10, cfg.File.MaxBackups)
		assert.True(t, cfg.File.SyslogHeader)
		assert.Equal(t, FramingLF, cfg.framing())
		assert.NoError(t, confmap.Validate(cfg))
	})

	t.Run("udp", func(t *testing.T) {
		cfg := loadConfig(t, "udp")
		assert.Equal(t, "[::1]:514", cfg.Endpoint)
		assert.NoError(t, confmap.Validate(cfg))
	})

	t.Run("relays", func(t *testing.T) {
		cfg := loadConfig(t, "relays")
		assert.Empty(t, cfg.Endpoint)
		assert.Equal(t, []string{"relay-a.example.com:6514", "relay-b.example.com:6514"}, cfg.Endpoints)
		assert.Equal(t, delivery.BalanceConfig{Mode: delivery.BalanceRoundRobin, HoldDown: 10 * time.Second}, cfg.Balance)
		assert.NoError(t, confmap.Validate(cfg))
		def := createDefaultConfig().(*Config)
		assert.Equal(t, delivery.BalanceConfig{Mode: delivery.BalanceFailover, HoldDown: 30 * time.Second}, def.Balance)
	})
}

func TestConfigStruct(t *testing.T) {
	require.NoError(t, componenttest.CheckConfigStruct(createDefaultConfig()))
}

func TestValidateErrors(t *testing.T) {
	valid := func() *Config {
		cfg := createDefaultConfig().(*Config)
		cfg.Endpoint = "127.0.0.1:514"
		return cfg
	}
	require.NoError(t, valid().Validate())

	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"unknown transport", func(c *Config) { c.Transport = "relp" },
			`transport: "relp" is not supported; use "udp", "tcp", "tls" or "file"`},
		{"missing endpoint", func(c *Config) { c.Endpoint = "" },
			`endpoint: required (host:port, with transport "tcp")`},
		{"endpoint without port", func(c *Config) { c.Endpoint = "siem.example.com" },
			`endpoint: "siem.example.com" is not host:port`},
		{"endpoint without host", func(c *Config) { c.Endpoint = ":514" },
			`endpoint: ":514" has no host`},
		{"endpoint bad port", func(c *Config) { c.Endpoint = "siem:70000" },
			`endpoint: "siem:70000": port "70000" must be a number from 1 to 65535`},
		{"endpoint named port", func(c *Config) { c.Endpoint = "siem:syslog" },
			`endpoint: "siem:syslog": port "syslog" must be a number from 1 to 65535`},
		{"endpoint with file", func(c *Config) { c.Transport = TransportFile; c.File.Path = "/tmp/x.log" },
			`endpoint: must be empty with transport "file"`},
		{"file without path", func(c *Config) { c.Transport = TransportFile; c.Endpoint = "" },
			`file.path: required with transport "file"`},
		{"unknown format", func(c *Config) { c.Format = "leef" },
			`format: "leef" is not supported; use "cef" or "json"`},
		{"unknown framing", func(c *Config) { c.Framing = "nul" },
			`framing: "nul" is not supported; use "octet_counting" or "lf"`},
		{"lf over tls", func(c *Config) { c.Transport = TransportTLS; c.Framing = FramingLF },
			`framing: "lf" is not allowed with transport "tls": RFC 5425 mandates octet counting over TLS`},
		{"lf over udp", func(c *Config) { c.Transport = TransportUDP; c.Framing = FramingLF },
			`framing: "lf" does not apply to transport "udp"`},
		{"octet counting over udp", func(c *Config) { c.Transport = TransportUDP; c.Framing = FramingOctetCounting },
			`framing: "octet_counting" does not apply to transport "udp"`},
		{"message size too small", func(c *Config) { c.MaxMessageSize = 100 },
			`max_message_size: must be 0 (no cap) or at least 480 (RFC 5424 section 6.1), got 100`},
		{"message size with udp", func(c *Config) { c.Transport = TransportUDP; c.MaxMessageSize = 4096 },
			`max_message_size: applies to tcp and tls only; use udp.max_datagram_size for udp`},
		{"zero dial timeout", func(c *Config) { c.DialTimeout = 0 },
			`dial_timeout: must be positive, got 0s`},
		{"negative write timeout", func(c *Config) { c.WriteTimeout = -time.Second },
			`write_timeout: must be positive, got -1s`},
		{"zero reconnect interval", func(c *Config) { c.Reconnect.InitialInterval = 0 },
			`reconnect.initial_interval: must be positive, got 0s`},
		{"reconnect max below initial", func(c *Config) { c.Reconnect.MaxInterval = 500 * time.Millisecond },
			`reconnect.max_interval: must not be less than reconnect.initial_interval (1s), got 500ms`},
		{"datagram too small", func(c *Config) { c.UDP.MaxDatagramSize = 479 },
			`udp.max_datagram_size: must be between 480 and 65507, got 479`},
		{"datagram too large", func(c *Config) { c.UDP.MaxDatagramSize = 65508 },
			`udp.max_datagram_size: must be between 480 and 65507, got 65508`},
		{"file size zero", func(c *Config) { c.File.MaxSizeMB = 0 },
			`file.max_size_mb: must be at least 1, got 0`},
		{"file backups negative", func(c *Config) { c.File.MaxBackups = -1 },
			`file.max_backups: must not be negative, got -1`},
		{"file age negative", func(c *Config) { c.File.MaxAgeDays = -2 },
			`file.max_age_days: must not be negative, got -2`},
		{"tls settings without tls", func(c *Config) { c.TLS.CAFile = "/etc/ca.pem" },
			`tls: settings are given but transport is "tcp"; set transport: tls or remove the tls section`},
		{"tls insecure", func(c *Config) { c.Transport = TransportTLS; c.TLS.Insecure = true },
			`tls.insecure: must be false with transport "tls"; use transport "tcp" for plain text`},
		{"tls 1.1", func(c *Config) { c.Transport = TransportTLS; c.TLS.MinVersion = "1.1" },
			`tls.min_version: "1.1" is below the minimum 1.2 (RFC 9662)`},
		{"tls 1.0", func(c *Config) { c.Transport = TransportTLS; c.TLS.MinVersion = "1.0" },
			`tls.min_version: "1.0" is below the minimum 1.2 (RFC 9662)`},
		{"tls max 1.1", func(c *Config) { c.Transport = TransportTLS; c.TLS.MaxVersion = "1.1" },
			`tls.max_version: "1.1" is below the minimum 1.2 (RFC 9662)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.mutate(cfg)
			err := cfg.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			// Exactly one problem, reported once.
			assert.Equal(t, 1, strings.Count(err.Error(), "\n")+1, "one error line: %v", err)
		})
	}
}

// TestValidateNested: the collector validates nested configs (formatter, TLS, retry) with their
// key path; the exporter does not repeat those messages.
func TestValidateNested(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint = "127.0.0.1:514"
	cfg.Syslog.Protocol = "rfc9999"
	cfg.RetryConfig.RandomizationFactor = 2
	err := confmap.Validate(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `syslog: protocol "rfc9999"`)
	assert.Contains(t, err.Error(), "retry_on_failure: randomization_factor value must be less than or equal to 1")
	require.NoError(t, cfg.Validate(), "own Validate does not repeat nested errors")

	cfg = createDefaultConfig().(*Config)
	cfg.Transport = TransportTLS
	cfg.Endpoint = "127.0.0.1:6514"
	cfg.TLS.CertFile = "/etc/client.pem" // without key_file
	err = confmap.Validate(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tls: TLS configuration must include both certificate and key")
}

func TestSecformatDefaultsRoundTrip(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, secformat.DefaultSyslogConfig(), cfg.Syslog)
	assert.Equal(t, secformat.DefaultCEFConfig(), cfg.CEF)
}
