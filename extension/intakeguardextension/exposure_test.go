package intakeguardextension

import (
	"context"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/receiver/syslogreceiver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/extension/extensioncapabilities"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/otlpreceiver"
	"go.uber.org/zap/zapcore"
	"go.yaml.in/yaml/v3"

	"github.com/unified-ot/otelcol-siem/extension/intakeguardextension/internal/metadata"
)

// effectiveConf builds the configuration the collector hands to NotifyConfigSnapshot: each
// receiver's YAML unmarshalled into its factory's config (defaults filled in) and marshalled back,
// with extensions and service as given.
func effectiveConf(t *testing.T, src string) *confmap.Conf {
	t.Helper()
	var raw map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(src), &raw))
	in := confmap.NewFromStringMap(raw)
	factories := map[string]receiver.Factory{"otlp": otlpreceiver.NewFactory(), "syslog": syslogreceiver.NewFactory()}
	receivers := map[string]any{}
	recvs, _ := raw["receivers"].(map[string]any)
	for id := range recvs {
		f := factories[typeOf(id)]
		require.NotNil(t, f, id)
		cfg := f.CreateDefaultConfig()
		sub, err := in.Sub("receivers::" + id)
		require.NoError(t, err)
		require.NoError(t, sub.Unmarshal(cfg), id)
		receivers[id] = cfg
	}
	out := confmap.New()
	require.NoError(t, out.Marshal(map[string]any{"receivers": receivers}))
	require.NoError(t, out.Merge(confmap.NewFromStringMap(map[string]any{"extensions": raw["extensions"], "service": raw["service"]})))
	return out
}

func TestPipelineListeners(t *testing.T) {
	conf := effectiveConf(t, `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 0.0.0.0:4317
        auth: {authenticator: intake_guard}
      http:
        endpoint: 10.1.2.3:4318
        tls: {cert_file: /c, key_file: /k, client_ca_file: /ca}
  otlp/open:
    protocols:
      grpc: {endpoint: "[::]:4327", auth: {authenticator: intake_guard/open}}
  otlp/delegating:
    protocols:
      grpc: {endpoint: "0.0.0.0:4337", auth: {authenticator: intake_guard/delegating}}
  syslog:
    tcp: {listen_address: 0.0.0.0:5514}
    protocol: rfc5424
  syslog/tls:
    tcp: {listen_address: 0.0.0.0:6514, tls: {cert_file: /c, key_file: /k}}
    protocol: rfc5424
  syslog/unused:
    tcp: {listen_address: 0.0.0.0:7514}
    protocol: rfc5424
extensions:
  intake_guard: {token_file: /t, authenticator: ""} # as the effective (marshalled) config has it
  intake_guard/open: {token_file: "", authenticator: ""}
  intake_guard/delegating: {authenticator: oidc}
service:
  extensions: [intake_guard, intake_guard/open, intake_guard/delegating]
  pipelines:
    logs: {receivers: [otlp, otlp/open, otlp/delegating, syslog], exporters: [x]}
    logs/2: {receivers: [syslog/tls, otlp], exporters: [x]}
`)
	assert.Equal(t, []listener{
		{Receiver: "otlp", Transport: "grpc", Address: "0.0.0.0:4317", Authenticated: true},
		{Receiver: "otlp", Transport: "http", Address: "10.1.2.3:4318", TLS: true, ClientCerts: true},
		{Receiver: "otlp/delegating", Transport: "grpc", Address: "0.0.0.0:4337", Authenticated: true},
		{Receiver: "otlp/open", Transport: "grpc", Address: "[::]:4327"},
		{Receiver: "syslog", Transport: "tcp", Address: "0.0.0.0:5514"},
		{Receiver: "syslog/tls", Transport: "tcp", Address: "0.0.0.0:6514", TLS: true},
	}, pipelineListeners(conf))
	assert.Equal(t, "intake_guard", firstGuard(conf))
}

// The site config's shape: tls with enabled: false is no TLS.
func TestPipelineListenersDisabledTLS(t *testing.T) {
	conf := effectiveConf(t, `
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 0.0.0.0:4317
        tls: {enabled: false, cert_file: /c, key_file: /k}
service:
  pipelines:
    logs: {receivers: [otlp]}
`)
	assert.Equal(t, []listener{{Receiver: "otlp", Transport: "grpc", Address: "0.0.0.0:4317"}}, pipelineListeners(conf))
}

func TestExposed(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:4317": false, "[::1]:4317": false, "localhost:4317": false, "127.1.2.3:1": false,
		"0.0.0.0:4317": true, ":4317": true, "[::]:4317": true, "10.0.0.5:4317": true, "192.0.2.1:1": true,
		"no-such-host.invalid:4317": true,
	} {
		assert.Equal(t, want, exposed(addr), addr)
	}
}

const exposedSite = `
receivers:
  otlp:
    protocols:
      grpc: {endpoint: 0.0.0.0:4317, auth: {authenticator: intake_guard}}
      http: {endpoint: 127.0.0.1:4318, auth: {authenticator: intake_guard}}
  syslog:
    tcp: {listen_address: 0.0.0.0:5514}
    protocol: rfc5424
  syslog/tls:
    tcp: {listen_address: 0.0.0.0:6514, tls: {cert_file: /c, key_file: /k}}
    protocol: rfc5424
extensions:
  intake_guard: {}
service:
  extensions: [intake_guard]
  pipelines:
    logs: {receivers: [otlp, syslog, syslog/tls]}
`

func notify(t *testing.T, cfg *Config, id component.ID, src string) (testGuard, error) {
	t.Helper()
	g := startGuardID(t, cfg, id)
	return g, g.NotifyConfigSnapshot(context.Background(), extensioncapabilities.NewConfigSnapshot(effectiveConf(t, src), nil))
}

func TestExposureRefused(t *testing.T) {
	g, err := notify(t, &Config{}, component.NewID(metadata.Type), exposedSite)
	require.Error(t, err)
	for _, want := range []string{
		"intake_guard: refusing to start", "otlp (grpc 0.0.0.0:4317), syslog (tcp 0.0.0.0:5514)",
		"neither TLS nor an authenticator", AcceptVariable + "=true",
	} {
		assert.Contains(t, err.Error(), want)
	}
	assert.NotContains(t, err.Error(), "4318", "loopback is not exposed")
	assert.NotContains(t, err.Error(), "6514", "TLS is not refused")
	tlsWarn := g.logs.FilterMessageSnippet("clients are not authenticated").All()
	require.Len(t, tlsWarn, 1)
	assert.Equal(t, []any{"syslog/tls (tcp 0.0.0.0:6514)"}, tlsWarn[0].ContextMap()["listeners"])
}

func TestExposureAccepted(t *testing.T) {
	g, err := notify(t, &Config{AcceptUnauthenticatedIntake: true}, component.NewID(metadata.Type), exposedSite)
	require.NoError(t, err)
	warns := g.logs.FilterMessageSnippet("UNAUTHENTICATED INTAKE").All()
	require.Len(t, warns, 1)
	assert.Equal(t, zapcore.WarnLevel, warns[0].Level)
	assert.Equal(t, []any{"otlp (grpc 0.0.0.0:4317)", "syslog (tcp 0.0.0.0:5514)"}, warns[0].ContextMap()["exposed"])
}

// A guard with a token makes the OTLP listeners authenticated; the plain syslog stays exposed.
func TestExposureWithToken(t *testing.T) {
	conf := effectiveConf(t, exposedSite)
	require.NoError(t, conf.Merge(confmap.NewFromStringMap(map[string]any{"extensions": map[string]any{"intake_guard": map[string]any{"token_file": "/t"}}})))
	g := startGuardID(t, &Config{}, component.NewID(metadata.Type))
	err := g.NotifyConfigSnapshot(context.Background(), extensioncapabilities.NewConfigSnapshot(conf, nil))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "4317")
	assert.Contains(t, err.Error(), "syslog (tcp 0.0.0.0:5514)")
}

// Only the first intake_guard of service.extensions checks, so a second one adds no report.
func TestExposureCheckedOnce(t *testing.T) {
	conf := effectiveConf(t, exposedSite)
	require.NoError(t, conf.Merge(confmap.NewFromStringMap(map[string]any{"service": map[string]any{"extensions": []any{"intake_guard/b", "intake_guard"}}})))
	second := startGuardID(t, &Config{}, component.MustNewIDWithName("intake_guard", "b"))
	require.NoError(t, second.NotifyConfigSnapshot(context.Background(), extensioncapabilities.NewConfigSnapshot(conf, nil)))
	first := startGuardID(t, &Config{}, component.NewID(metadata.Type))
	require.Error(t, first.NotifyConfigSnapshot(context.Background(), extensioncapabilities.NewConfigSnapshot(conf, nil)))
}

func TestExposureNoConf(t *testing.T) {
	g := startGuardID(t, &Config{}, component.NewID(metadata.Type))
	require.NoError(t, g.NotifyConfigSnapshot(context.Background(), extensioncapabilities.NewConfigSnapshot(nil, nil)))
}
