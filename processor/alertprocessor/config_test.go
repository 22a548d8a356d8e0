package alertprocessor

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/unified-ot/otelcol-siem/processor/alertprocessor/internal/metadata"
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

func TestDefaultConfigIsValid(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, confmap.Validate(cfg))
	assert.Len(t, cfg.Rules, 4)
	assert.Nil(t, cfg.Storage)
}

func TestLoadConfigFull(t *testing.T) {
	cfg := loadConfig(t, "")
	require.NoError(t, confmap.Validate(cfg))
	want := createDefaultConfig().(*Config)
	st := component.MustNewIDWithName("file_storage", "alert")
	want.Storage = &st
	assert.Equal(t, want, cfg, "testdata/config.yaml must spell out exactly the default rules")
}

func TestLoadConfigMinimal(t *testing.T) {
	cfg := loadConfig(t, "minimal")
	require.NoError(t, confmap.Validate(cfg))
	require.Len(t, cfg.Rules, 1, "a configured rules list replaces the defaults")
	r := cfg.Rules[0]
	assert.Equal(t, "scan", r.ID)
	assert.Equal(t, time.Minute, r.Window)
	assert.Equal(t, time.Duration(0), r.Cooldown)
	assert.Empty(t, r.GroupBy)
	assert.Equal(t, defaultMaxGroupsPerRule, cfg.MaxGroupsPerRule)
	assert.Equal(t, defaultMaxLateness, cfg.MaxLateness)
}

func TestValidateEmptyRules(t *testing.T) {
	err := confmap.Validate(loadConfig(t, "empty_rules"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rules: at least one rule is required")
}

func TestValidateEveryError(t *testing.T) {
	err := loadConfig(t, "bad").Validate()
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		"max_lateness: must not be negative, got -1s",
		"max_groups_per_rule: must be at least 1, got 0",
		"max_sample_event_ids: must be 0..100, got 101",
		"checkpoint_interval: must be positive when storage is set, got 0s",
		"max_pending_alerts: must not be negative, got -1",
		`rules[0] (id "Bad Id"): id: must match`,
		`rules[0] (id "Bad Id"): name: must not be empty`,
		`rules[0] (id "Bad Id"): condition: must not be empty`,
		`rules[0] (id "Bad Id"): threshold: must be 1..1000, got 0`,
		`rules[0] (id "Bad Id"): window: must be positive, got 0s`,
		`rules[0] (id "Bad Id"): severity: must be low, medium, high or critical, got "urgent"`,
		`rules[0] (id "Bad Id"): cooldown: must not be negative, got -1s`,
		`rules[0] (id "Bad Id"): group_by: "user" is not a key of the security-event schema`,
		`rules[0] (id "Bad Id"): group_by: "Timestamp" is a LogRecord field, not an attribute`,
		`rules[0] (id "Bad Id"): group_by: "user.name" is listed twice`,
		`rules[1] (id "dup"): condition: `,
		`rules[1] (id "dup"): threshold: must be 1..1000, got 1001`,
		`rules[2] (id "dup"): id: duplicates rules[1]`,
	} {
		assert.Contains(t, msg, want)
	}
	// Each problem is reported once, on its own line.
	assert.Len(t, strings.Split(msg, "\n"), 18, msg)
}
