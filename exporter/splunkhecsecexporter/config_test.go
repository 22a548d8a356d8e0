package splunkhecsecexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configcompression"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/unified-ot/otelcol-siem/exporter/splunkhecsecexporter/internal/metadata"
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

func TestConfigStruct(t *testing.T) {
	require.NoError(t, componenttest.CheckConfigStruct(createDefaultConfig()))
}

func TestDefaultConfigNeedsEndpointAndToken(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	err := cfg.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "endpoint: required")
	assert.Contains(t, err.Error(), "token: required")
	assert.Equal(t, configcompression.TypeGzip, cfg.ClientConfig.Compression, "gzip is on by default")
	assert.False(t, cfg.Ack.Enabled)
	assert.Equal(t, 10*time.Second, cfg.Ack.PollInterval)
	assert.Equal(t, 5*time.Minute, cfg.Ack.Timeout)
	assert.True(t, cfg.QueueConfig.HasValue(), "the sending queue is on by default")
	assert.Zero(t, cfg.RetryConfig.MaxElapsedTime, "retries never give up by default")
}

func TestLoadMinimal(t *testing.T) {
	cfg := loadConfig(t, "")
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, configopaque.String("00000000-0000-0000-0000-000000000001"), cfg.Token)
	assert.Equal(t, FormatJSON, cfg.Format)
	assert.Equal(t, DefaultSourcetypeJSON, cfg.sourcetype())
	assert.Equal(t, defaultContentLength, cfg.MaxContentLength)
}

func TestLoadEnterprise(t *testing.T) {
	cfg := loadConfig(t, "enterprise")
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, FormatCEF, cfg.Format)
	assert.Equal(t, "ot_security", cfg.Index)
	assert.Equal(t, "otsec.site.name", cfg.Overrides.Index)
	assert.Equal(t, []string{"event.category", "event.action", "event.outcome", "user.name", "otsec.site.name"}, cfg.IndexedFields)
	assert.Equal(t, 524288, cfg.MaxContentLength)
	assert.Equal(t, AckConfig{Enabled: true, PollInterval: 5 * time.Second, Timeout: 2 * time.Minute}, cfg.Ack)
	assert.False(t, cfg.HealthCheck)
	assert.Equal(t, 20*time.Second, cfg.ClientConfig.Timeout)
	assert.Equal(t, "/etc/otelcol-siem/splunk-ca.pem", cfg.ClientConfig.TLS.CAFile)
	u, err := baseURL(cfg.ClientConfig.Endpoint)
	require.NoError(t, err)
	assert.Equal(t, "https://splunk.example.com:8088", u.String(), "a contrib-style endpoint is reduced to the base URL")
}

func TestValidateEveryError(t *testing.T) {
	cfg := loadConfig(t, "invalid")
	err := cfg.Validate()
	require.Error(t, err)
	for _, want := range []string{
		`endpoint: "ftp://splunk.example.com": scheme must be http or https`,
		"token: required",
		`compression: "zstd" is not supported by HEC`,
		`format: "xml" is not supported`,
		`overrides.host: "not.a.schema.key" is not a key of the security-event schema`,
		`overrides.source: "user.roles" holds a string[]`,
		`indexed_fields[0]: "Timestamp" is a log record field`,
		`indexed_fields[2]: "event.category" is listed twice`,
		`indexed_fields[3]: "no.such.key" is not a key of the security-event schema`,
		"max_content_length: must be at least 4096 bytes, got 100",
		"ack.poll_interval: must be positive, got 0s",
		"ack.timeout: must be at least ack.poll_interval (0s), got -1s",
	} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestValidateEndpointShapes(t *testing.T) {
	for endpoint, want := range map[string]string{
		"":                                       "endpoint: required",
		"https://":                               "has no host",
		"https://h:8088/?x=1":                    "must not carry a query or fragment",
		"http://[::1":                            "is not a URL",
		"http://h:8088/services/collector/event": "",
		"http://h:8088/":                         "",
	} {
		cfg := createDefaultConfig().(*Config)
		cfg.ClientConfig.Endpoint = endpoint
		cfg.Token = "t"
		err := cfg.Validate()
		if want == "" {
			assert.NoError(t, err, endpoint)
			continue
		}
		require.Error(t, err, endpoint)
		assert.Contains(t, err.Error(), want, endpoint)
	}
}

func TestBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://s:8088":                          "https://s:8088",
		"https://s:8088/":                         "https://s:8088",
		"https://s:8088/services/collector":       "https://s:8088",
		"https://s:8088/services/collector/event": "https://s:8088",
		"https://lb/splunk/services/collector":    "https://lb/splunk",
		"https://lb/splunk/event":                 "https://lb/splunk/event",
	} {
		u, err := baseURL(in)
		require.NoError(t, err)
		assert.Equal(t, want, u.String(), in)
	}
}
