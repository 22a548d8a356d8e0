package intakeguardextension // import "github.com/unified-ot/otelcol-siem/extension/intakeguardextension"

import (
	"errors"
	"strings"

	"go.opentelemetry.io/collector/component"
)

// Config is the intake_guard extension's configuration.
type Config struct {
	// TokenFile is a file of bearer tokens, one per line (the first word of each line is the
	// token). When set, every OTLP request must carry `Authorization: Bearer <token>` with one of
	// them; the file is re-read when it changes. It is checked by contrib's bearertokenauth, which
	// the guard runs inside itself, and the token is never logged.
	TokenFile string `mapstructure:"token_file"`
	// Authenticator delegates the check to another server authenticator extension instead (for
	// example a bearertokenauth or oidc instance configured on its own); at most one of
	// token_file and authenticator.
	Authenticator component.ID `mapstructure:"authenticator"`
	// AcceptUnauthenticatedIntake lets the collector start while a receiver in a pipeline listens
	// on a non-loopback address with neither TLS nor an authenticator that checks credentials; it
	// then logs a warning naming each such receiver. Without it, such a configuration does not start.
	AcceptUnauthenticatedIntake bool `mapstructure:"accept_unauthenticated_intake"`
}

// Validate checks the configuration at start-up.
func (cfg *Config) Validate() error {
	if strings.TrimSpace(cfg.TokenFile) != "" && cfg.Authenticator != (component.ID{}) {
		return errors.New("token_file and authenticator: set at most one (token_file checks the tokens itself, authenticator delegates to another extension)")
	}
	if cfg.TokenFile != "" && strings.TrimSpace(cfg.TokenFile) == "" {
		return errors.New("token_file: must not be blank")
	}
	return nil
}
