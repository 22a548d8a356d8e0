package intakeguardextension

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensionauth"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/unified-ot/otelcol-siem/extension/intakeguardextension/internal/metadata"
)

const goodToken = "s3cr3t-intake-token-0123456789"

type testGuard struct {
	*guard
	tel  *componenttest.Telemetry
	logs *observer.ObservedLogs
}

func startGuard(t *testing.T, cfg *Config, host component.Host) testGuard {
	t.Helper()
	return startGuardAt(t, cfg, host, component.NewID(metadata.Type))
}

func startGuardID(t *testing.T, cfg *Config, id component.ID) testGuard {
	t.Helper()
	return startGuardAt(t, cfg, componenttest.NewNopHost(), id)
}

func startGuardAt(t *testing.T, cfg *Config, host component.Host, id component.ID) testGuard {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	core, logs := observer.New(zapcore.DebugLevel)
	set := extensiontest.NewNopSettings(metadata.Type)
	set.ID = id
	set.TelemetrySettings = tel.NewTelemetrySettings()
	set.Logger = zap.New(core)
	ext, err := NewFactory().Create(t.Context(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(t.Context(), host))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	return testGuard{guard: ext.(*guard), tel: tel, logs: logs}
}

func tokenFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "intake.token")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func peerCtx(t *testing.T) context.Context {
	return client.NewContext(t.Context(), client.Info{Addr: &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 40001}})
}

// counter returns the counter's value per label set (encoded attributes).
func counter(t *testing.T, tel *componenttest.Telemetry, name string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	m, err := tel.GetMetric(name)
	if err != nil {
		return out
	}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		out[dp.Attributes.Encoded(attribute.DefaultEncoder())] = dp.Value
	}
	return out
}

func series(kvs ...attribute.KeyValue) string {
	s := attribute.NewSet(kvs...)
	return s.Encoded(attribute.DefaultEncoder())
}

func TestTokenFile(t *testing.T) {
	// Two tokens (rotation): the first word of each line counts.
	g := startGuard(t, &Config{TokenFile: tokenFile(t, goodToken+" current\nolder-token-abc old\n")}, componenttest.NewNopHost())
	ctx := peerCtx(t)

	for _, tok := range []string{goodToken, "older-token-abc"} {
		_, err := g.Authenticate(ctx, map[string][]string{"Authorization": {"Bearer " + tok}})
		require.NoError(t, err, "token %s", tok)
	}
	// gRPC metadata keys are lower case.
	_, err := g.Authenticate(ctx, map[string][]string{"authorization": {"Bearer " + goodToken}})
	require.NoError(t, err)

	wrong := goodToken + "x"
	for _, h := range []map[string][]string{
		{"Authorization": {"Bearer " + wrong}},
		{"Authorization": {goodToken}}, // no scheme
		{"Authorization": {"Basic " + goodToken}},
	} {
		_, err = g.Authenticate(ctx, h)
		require.Error(t, err, "%v", h)
		assert.NotContains(t, err.Error(), goodToken)
	}
	_, err = g.Authenticate(ctx, map[string][]string{"content-type": {"application/grpc"}})
	require.Error(t, err)

	id := attribute.String(metadata.AttrExtension, "intake_guard")
	assert.Equal(t, map[string]int64{
		series(id, attribute.String(metadata.AttrReason, metadata.ReasonInvalidCredentials)): 3,
		series(id, attribute.String(metadata.AttrReason, metadata.ReasonMissingCredentials)): 1,
	}, counter(t, g.tel, metadata.MetricRefusedRequests))
	assert.Equal(t, map[string]int64{series(id): 3}, counter(t, g.tel, metadata.MetricAuthenticatedRequests))

	refusals := g.logs.FilterMessage("intake request refused").All()
	require.Len(t, refusals, 4)
	for _, e := range refusals {
		assert.Equal(t, zapcore.WarnLevel, e.Level)
		assert.Equal(t, "192.0.2.7:40001", e.ContextMap()["peer"])
	}
	assert.Equal(t, metadata.ReasonMissingCredentials, refusals[3].ContextMap()["reason"])
	for _, e := range g.logs.All() {
		for k, v := range e.ContextMap() {
			assert.NotContains(t, v, goodToken, "log %q field %s", e.Message, k)
			assert.NotContains(t, v, "older-token-abc", "log %q field %s", e.Message, k)
		}
		assert.NotContains(t, e.Message, goodToken)
	}
}

// The token file is re-read when it changes (rotation without a restart).
func TestTokenFileRotation(t *testing.T) {
	p := tokenFile(t, "first-token\n")
	g := startGuard(t, &Config{TokenFile: p}, componenttest.NewNopHost())
	require.NoError(t, os.WriteFile(p, []byte("second-token\n"), 0o600))
	require.Eventually(t, func() bool {
		_, err := g.Authenticate(t.Context(), map[string][]string{"Authorization": {"Bearer second-token"}})
		return err == nil
	}, 5e9, 2e7)
	_, err := g.Authenticate(t.Context(), map[string][]string{"Authorization": {"Bearer first-token"}})
	require.Error(t, err)
}

func TestTokenFileMissingOrEmptyFailsStart(t *testing.T) {
	for name, path := range map[string]string{
		"missing": filepath.Join(t.TempDir(), "nope.token"),
		"empty":   tokenFile(t, "\n"),
	} {
		t.Run(name, func(t *testing.T) {
			set := extensiontest.NewNopSettings(metadata.Type)
			ext, err := NewFactory().Create(t.Context(), set, &Config{TokenFile: path})
			require.NoError(t, err)
			err = ext.Start(t.Context(), componenttest.NewNopHost())
			require.ErrorContains(t, err, "token_file")
			require.ErrorContains(t, err, path)
			require.NoError(t, ext.Shutdown(t.Context()))
		})
	}
}

// Without token_file or authenticator every request is let through (and counted).
func TestOpenGuardLetsThrough(t *testing.T) {
	g := startGuard(t, &Config{}, componenttest.NewNopHost())
	_, err := g.Authenticate(t.Context(), map[string][]string{})
	require.NoError(t, err)
	assert.Equal(t, map[string]int64{series(attribute.String(metadata.AttrExtension, "intake_guard")): 1},
		counter(t, g.tel, metadata.MetricAuthenticatedRequests))
}

type hostWith map[component.ID]component.Component

func (h hostWith) GetExtensions() map[component.ID]component.Component { return h }

// authExt is a server authenticator extension made of functions.
type authExt struct {
	component.StartFunc
	component.ShutdownFunc
	extensionauth.ServerAuthenticateFunc
}

func TestDelegate(t *testing.T) {
	innerID := component.MustNewIDWithName("bearertokenauth", "intake")
	// An authenticator whose error quotes the credential: the guard must not pass it on.
	quoting := extensionauth.ServerAuthenticateFunc(func(ctx context.Context, h map[string][]string) (context.Context, error) {
		if v := h["Authorization"]; len(v) > 0 && v[0] == "Bearer "+goodToken {
			return ctx, nil
		}
		return ctx, &quotedErr{h["Authorization"]}
	})
	host := hostWith{innerID: authExt{ServerAuthenticateFunc: quoting}}
	g := startGuard(t, &Config{Authenticator: innerID}, host)
	assert.Equal(t, []component.ID{innerID}, g.Dependencies())

	_, err := g.Authenticate(peerCtx(t), map[string][]string{"Authorization": {"Bearer " + goodToken}})
	require.NoError(t, err)
	_, err = g.Authenticate(peerCtx(t), map[string][]string{"Authorization": {"Bearer leaked-" + goodToken}})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "leaked-")
	assert.Contains(t, err.Error(), "[REDACTED]")
	refused := g.logs.FilterMessage("intake request refused").All()
	require.Len(t, refused, 1, "the refused request is logged")
	for _, e := range refused {
		assert.NotContains(t, e.ContextMap()["error"], "leaked-")
		assert.Contains(t, e.ContextMap()["error"], "[REDACTED]")
	}
}

type quotedErr struct{ v []string }

func (e *quotedErr) Error() string { return "bad token: " + e.v[0] }

func TestDelegateMisconfigured(t *testing.T) {
	innerID := component.MustNewIDWithName("bearertokenauth", "intake")
	set := extensiontest.NewNopSettings(metadata.Type)
	ext, err := NewFactory().Create(t.Context(), set, &Config{Authenticator: innerID})
	require.NoError(t, err)
	require.ErrorContains(t, ext.Start(t.Context(), hostWith{}), `authenticator: extension "bearertokenauth/intake" is not configured`)

	ext, err = NewFactory().Create(t.Context(), set, &Config{Authenticator: innerID})
	require.NoError(t, err)
	notAuth := hostWith{innerID: struct {
		component.StartFunc
		component.ShutdownFunc
	}{}}
	require.ErrorContains(t, ext.Start(t.Context(), notAuth), "is not a server authenticator")
}
