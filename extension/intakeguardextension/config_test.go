package intakeguardextension

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/unified-ot/otelcol-siem/extension/intakeguardextension/internal/metadata"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	tests := []struct {
		id      component.ID
		want    *Config
		wantErr string
	}{
		{id: component.NewID(metadata.Type), want: &Config{TokenFile: "/etc/otelcol-siem/intake.token"}},
		{id: component.MustNewIDWithName("intake_guard", "delegate"), want: &Config{Authenticator: component.MustNewIDWithName("bearertokenauth", "intake")}},
		{id: component.MustNewIDWithName("intake_guard", "open"), want: &Config{AcceptUnauthenticatedIntake: true}},
		{id: component.MustNewIDWithName("intake_guard", "both"), wantErr: "token_file and authenticator: set at most one"},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			err = cfg.(*Config).Validate()
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg)
		})
	}
}

func TestValidateBlankTokenFile(t *testing.T) {
	require.ErrorContains(t, (&Config{TokenFile: "  "}).Validate(), "token_file: must not be blank")
}

func TestDefaultConfigIsOpenAndStrict(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, cfg.Validate())
	assert.Empty(t, cfg.TokenFile)
	assert.Equal(t, component.ID{}, cfg.Authenticator, "no token and no delegate: every request let through")
	assert.False(t, cfg.AcceptUnauthenticatedIntake, "the exposure check refuses by default")
}
