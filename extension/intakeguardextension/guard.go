package intakeguardextension // import "github.com/unified-ot/otelcol-siem/extension/intakeguardextension"

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/bearertokenauthextension"
	"go.opentelemetry.io/collector/client"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensionauth"
	"go.opentelemetry.io/collector/extension/extensioncapabilities"
	"go.uber.org/zap"

	"github.com/unified-ot/otelcol-siem/extension/intakeguardextension/internal/metadata"
)

var (
	_ extension.Extension                         = (*guard)(nil)
	_ extensionauth.Server                        = (*guard)(nil)
	_ extensioncapabilities.Dependent             = (*guard)(nil)
	_ extensioncapabilities.ConfigSnapshotWatcher = (*guard)(nil)
)

// guard is the intake_guard extension: a server authenticator for the OTLP receivers that
// delegates the credential check (to contrib's bearertokenauth on token_file, or to a configured
// authenticator), counts and logs what it refuses, and at start refuses a configuration that
// exposes an unauthenticated intake to the network.
type guard struct {
	cfg    *Config
	set    extension.Settings
	logger *zap.Logger
	tel    *metadata.Telemetry

	// inner checks the credentials; nil when neither token_file nor authenticator is set (every
	// request is let through, and the exposure check decides whether that is allowed).
	inner extensionauth.Server
	// owned is inner when the guard created it (token_file) and so must shut it down.
	owned extension.Extension
}

func newGuard(set extension.Settings, cfg *Config) (*guard, error) {
	tel, err := metadata.NewTelemetry(set.TelemetrySettings, set.ID)
	if err != nil {
		return nil, err
	}
	return &guard{cfg: cfg, set: set, logger: set.Logger, tel: tel}, nil
}

// Dependencies makes the collector start the delegated authenticator before the guard.
func (g *guard) Dependencies() []component.ID {
	if g.cfg.Authenticator == (component.ID{}) {
		return nil
	}
	return []component.ID{g.cfg.Authenticator}
}

func (g *guard) Start(ctx context.Context, host component.Host) error {
	switch {
	case g.cfg.TokenFile != "":
		inner, err := g.startTokenChecker(ctx, host)
		if err != nil {
			return fmt.Errorf("%s: %w", g.set.ID, err)
		}
		srv, ok := inner.(extensionauth.Server)
		if !ok { // bearertokenauth is one; kept as an error rather than a panic should that change
			_ = inner.Shutdown(ctx)
			return fmt.Errorf("%s: token_file: bearertokenauth is not a server authenticator", g.set.ID)
		}
		g.inner, g.owned = srv, inner
		g.logger.Info("intake requests need a bearer token from token_file", zap.String("token_file", g.cfg.TokenFile))
	case g.cfg.Authenticator != (component.ID{}):
		ext, ok := host.GetExtensions()[g.cfg.Authenticator]
		if !ok {
			return fmt.Errorf("%s: authenticator: extension %q is not configured or not listed in service.extensions", g.set.ID, g.cfg.Authenticator)
		}
		srv, ok := ext.(extensionauth.Server)
		if !ok {
			return fmt.Errorf("%s: authenticator: extension %q is not a server authenticator", g.set.ID, g.cfg.Authenticator)
		}
		g.inner = srv
		g.logger.Info("intake requests are checked by the delegated authenticator", zap.Stringer("authenticator", g.cfg.Authenticator))
	default:
		g.logger.Info("intake_guard checks no credentials (token_file and authenticator are unset): every OTLP request is let through")
	}
	return nil
}

// startTokenChecker runs contrib's bearertokenauth on token_file: its file watcher re-reads the
// file on change, compares in constant time and never logs a token. Start fails if the file
// cannot be read or is empty, so a guard never runs refusing everyone for want of its file.
func (g *guard) startTokenChecker(ctx context.Context, host component.Host) (extension.Extension, error) {
	factory := bearertokenauthextension.NewFactory()
	bcfg := factory.CreateDefaultConfig().(*bearertokenauthextension.Config)
	bcfg.Filename = g.cfg.TokenFile
	bcfg.WaitForTokenFile = true
	bcfg.RetryOnFailure.Enabled = true
	bcfg.RetryOnFailure.MaxRetries = 1
	bcfg.RetryOnFailure.Interval = 100 * time.Millisecond
	if err := bcfg.Validate(); err != nil {
		return nil, fmt.Errorf("token_file: %w", err)
	}
	set := g.set
	set.ID = component.NewIDWithName(factory.Type(), innerName(g.set.ID))
	set.Logger = g.logger.With(zap.String("token_checker", set.ID.String()))
	ext, err := factory.Create(ctx, set, bcfg)
	if err != nil {
		return nil, fmt.Errorf("token_file: %w", err)
	}
	// The file watcher lives until Shutdown, not until the start context ends.
	if err := ext.Start(context.WithoutCancel(ctx), host); err != nil {
		_ = ext.Shutdown(ctx)
		return nil, fmt.Errorf("token_file: %w", err)
	}
	return ext, nil
}

// innerName names the bearertokenauth instance after the guard (intake_guard/otlp ->
// bearertokenauth/intake_guard_otlp) so that its log lines say whose it is.
func innerName(id component.ID) string {
	if id.Name() == "" {
		return id.Type().String()
	}
	return id.Type().String() + "_" + id.Name()
}

func (g *guard) Shutdown(ctx context.Context) error {
	if g.owned == nil {
		return nil
	}
	return g.owned.Shutdown(ctx)
}

// Authenticate lets a request through when the inner authenticator accepts it; a refusal is
// counted, logged with the peer address and the reason, and answered with the inner error with any
// credential it might quote removed.
func (g *guard) Authenticate(ctx context.Context, sources map[string][]string) (context.Context, error) {
	if g.inner == nil {
		g.tel.AuthenticatedRequests.Add(ctx, 1, g.tel.IDAttrs)
		return ctx, nil
	}
	out, err := g.inner.Authenticate(ctx, sources)
	if err == nil {
		g.tel.AuthenticatedRequests.Add(ctx, 1, g.tel.IDAttrs)
		return out, nil
	}
	credentials := authorizationValues(sources)
	reason := metadata.ReasonInvalidCredentials
	if len(credentials) == 0 {
		reason = metadata.ReasonMissingCredentials
	}
	g.tel.RefusedRequests.Add(ctx, 1, g.tel.ReasonAttrs(reason))
	msg := redact(err.Error(), credentials)
	g.logger.Warn("intake request refused",
		zap.String("peer", peerAddr(ctx)),
		zap.String("reason", reason),
		zap.String("error", msg))
	return ctx, errors.New(msg)
}

// authorizationValues returns the non-empty Authorization header values (HTTP canonical or gRPC
// lower-case key).
func authorizationValues(sources map[string][]string) []string {
	var vals []string
	for k, vs := range sources {
		if !strings.EqualFold(k, "authorization") {
			continue
		}
		for _, v := range vs {
			if strings.TrimSpace(v) != "" {
				vals = append(vals, v)
			}
		}
	}
	return vals
}

// redact removes every credential, and the token part after its scheme, from msg: an
// authenticator's error must not carry a token (right or nearly right) into the log.
func redact(msg string, credentials []string) string {
	for _, c := range credentials {
		msg = strings.ReplaceAll(msg, c, "[REDACTED]")
		if _, token, ok := strings.Cut(c, " "); ok && strings.TrimSpace(token) != "" {
			msg = strings.ReplaceAll(msg, strings.TrimSpace(token), "[REDACTED]")
		}
	}
	return msg
}

func peerAddr(ctx context.Context) string {
	if addr := client.FromContext(ctx).Addr; addr != nil {
		return addr.String()
	}
	return "unknown"
}
