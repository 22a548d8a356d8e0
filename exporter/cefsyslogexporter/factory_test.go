package cefsyslogexporter

import (
	"github.com/unified-ot/otelcol-siem/internal/delivery"

	"context"
	"net"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"

	"github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter/internal/metadata"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, "cef_syslog", f.Type().String())
	assert.Equal(t, component.StabilityLevelAlpha, f.LogsStability())
	cfg := f.CreateDefaultConfig().(*Config)
	err := cfg.Validate()
	require.Error(t, err, "no default endpoint: where security events go must be configured")
	assert.Contains(t, err.Error(), "endpoint: required")
}

func TestLifecycle(t *testing.T) {
	pki := newTestPKI(t)
	// A port with nothing listening: start-up must not need the receiver.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	down := ln.Addr().String()
	require.NoError(t, ln.Close())

	configs := map[string]func() *Config{
		"tcp": func() *Config { return testConfig(TransportTCP, down) },
		"udp": func() *Config { return testConfig(TransportUDP, down) },
		"tls": func() *Config {
			c := testConfig(TransportTLS, down)
			c.TLS.CAFile = pki.caFile
			return c
		},
		"file": func() *Config {
			c := testConfig(TransportFile, "")
			c.File.Path = filepath.Join(t.TempDir(), "out.log")
			return c
		},
	}
	for name, mk := range configs {
		t.Run(name, func(t *testing.T) {
			env := newTestEnv(t)
			cfg := mk()
			require.NoError(t, cfg.Validate())
			exp, err := NewFactory().CreateLogs(context.Background(), env.set, cfg)
			require.NoError(t, err)
			require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()), "start-up with the receiver down")
			require.NoError(t, exp.Shutdown(context.Background()))
		})
		t.Run(name+"/shutdown without start", func(t *testing.T) {
			env := newTestEnv(t)
			exp, err := NewFactory().CreateLogs(context.Background(), env.set, mk())
			require.NoError(t, err)
			require.NoError(t, exp.Shutdown(context.Background()))
		})
	}
}

func TestStartFailsOnMissingTLSFile(t *testing.T) {
	pki := newTestPKI(t)
	missing := filepath.Join(t.TempDir(), "no-such-ca.pem")
	tests := map[string]func(*Config){
		"ca_file":   func(c *Config) { c.TLS.CAFile = missing },
		"cert_file": func(c *Config) { c.TLS.CAFile = pki.caFile; c.TLS.CertFile = missing; c.TLS.KeyFile = pki.clientKey },
		"key_file":  func(c *Config) { c.TLS.CAFile = pki.caFile; c.TLS.CertFile = pki.clientCert; c.TLS.KeyFile = missing },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			env := newTestEnv(t)
			cfg := testConfig(TransportTLS, "127.0.0.1:6514")
			mutate(cfg)
			exp, err := NewFactory().CreateLogs(context.Background(), env.set, cfg)
			require.NoError(t, err)
			err = exp.Start(context.Background(), componenttest.NewNopHost())
			require.Error(t, err)
			assert.Contains(t, err.Error(), missing, "the message names the missing file")
			assert.NoError(t, exp.Shutdown(context.Background()))
		})
	}
}

func TestStartFailsOnUnwritableFile(t *testing.T) {
	env := newTestEnv(t)
	dir := t.TempDir()
	cfg := testConfig(TransportFile, "")
	cfg.File.Path = dir // a directory, not a file
	exp, err := NewFactory().CreateLogs(context.Background(), env.set, cfg)
	require.NoError(t, err)
	err = exp.Start(context.Background(), componenttest.NewNopHost())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "file.path")
	assert.Contains(t, err.Error(), dir)
}

func TestMetadata(t *testing.T) {
	assert.Equal(t, "cef_syslog", metadata.Type.String())
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, delivery.QueueConfig(), cfg.QueueConfig, "the exporters' one default queue")
	assert.Equal(t, delivery.RetryConfig(), cfg.RetryConfig)
	assert.Zero(t, cfg.RetryConfig.MaxElapsedTime, "never give up on a security event")
}

// Two instances of the exporter report apart: every series carries exporter=<id>.
func TestMetricsCarryTheExporterID(t *testing.T) {
	env := newTestEnv(t)
	for i, name := range []string{"a", "b"} {
		cfg := testConfig(TransportFile, "")
		cfg.File.Path = filepath.Join(t.TempDir(), name+".log")
		set := env.set
		set.ID = component.NewIDWithName(metadata.Type, name)
		e, err := newExporter(cfg, set)
		require.NoError(t, err)
		require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
		t.Cleanup(func() { _ = e.shutdown(context.Background()) })
		require.NoError(t, e.pushLogs(context.Background(), makeLogs(0, 3+i, 0)))
	}
	assert.EqualValues(t, 3, env.counter(t, metadata.MetricRecordsSent, "exporter", "cef_syslog/a"))
	assert.EqualValues(t, 4, env.counter(t, metadata.MetricRecordsSent, "exporter", "cef_syslog/b"))
	assert.EqualValues(t, 7, env.counter(t, metadata.MetricRecordsSent))
	assert.Positive(t, env.counter(t, metadata.MetricBytesSent, "exporter", "cef_syslog/a"))
}
