package siemauditreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/unified-ot/otelcol-siem/receiver/siemauditreceiver/internal/metadata"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	id := component.NewIDWithName(metadata.Type, name)
	if name == "" {
		id = component.NewID(metadata.Type)
	}
	sub, err := cm.Sub(id.String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	return cfg, sub.Unmarshal(cfg)
}

func TestLoadConfig(t *testing.T) {
	cfg, err := loadConfig(t, "")
	require.NoError(t, err)
	assert.Equal(t, createDefaultConfig(), cfg)
	assert.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, 5*time.Minute, cfg.HeartbeatInterval)
	assert.Equal(t, 5*time.Minute, cfg.UnreachableAfter)
	assert.Equal(t, time.Minute, cfg.ReportInterval)
	assert.Equal(t, time.Second, cfg.evalInterval())

	cfg, err = loadConfig(t, "all")
	require.NoError(t, err)
	assert.Equal(t, &Config{HeartbeatInterval: time.Minute, UnreachableAfter: 90 * time.Second,
		ReportInterval: 30 * time.Second, QueueFillPercent: 95, MaxPendingRecords: 50}, cfg)
	assert.NoError(t, confmap.Validate(cfg))

	cfg, err = loadConfig(t, "invalid")
	require.NoError(t, err)
	err = confmap.Validate(cfg)
	for _, want := range []string{
		"heartbeat_interval: 500ms is below the minimum of 1s",
		"unreachable_after: 0s is below the minimum of 1s",
		"report_interval: -1s is below the minimum of 1s",
		"queue_fill_percent: 101 is not in (0, 100]",
		"max_pending_records: 0 is below 1",
	} {
		assert.ErrorContains(t, err, want)
	}

	_, err = loadConfig(t, "unknown_key")
	assert.ErrorContains(t, err, "heartbeat")
}

func TestEvalInterval(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.HeartbeatInterval = time.Second
	assert.Equal(t, 500*time.Millisecond, cfg.evalInterval(), "at most half the shortest interval")
}
