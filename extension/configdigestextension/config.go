package configdigestextension // import "github.com/unified-ot/otelcol-siem/extension/configdigestextension"

import (
	"fmt"
	"strings"
)

// Config is the config_digest extension's configuration.
type Config struct {
	// MaskKeys are further key names (case-insensitive, exact) whose values are masked before
	// hashing, beyond the built-in rule (see README.md).
	MaskKeys []string `mapstructure:"mask_keys"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// Validate checks the configuration; every error names its key.
func (c *Config) Validate() error {
	for i, k := range c.MaskKeys {
		if strings.TrimSpace(k) == "" {
			return fmt.Errorf("mask_keys[%d]: empty key name", i)
		}
	}
	return nil
}
