package queuestorageextension

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/unified-ot/otelcol-siem/extension/queuestorageextension/internal/metadata"
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
	want := createDefaultConfig().(*Config)
	want.Directory = "/var/lib/otelcol-siem/queue"
	assert.Equal(t, want, cfg)
	assert.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, ByteSize(1<<30), cfg.MaxSize, "max_size defaults to 1 GiB")
	assert.True(t, cfg.ImportFileStorage)

	cfg, err = loadConfig(t, "all")
	require.NoError(t, err)
	assert.Equal(t, &Config{
		Directory: "/var/lib/otelcol-siem/queue", Fsync: true, FlushInterval: 500 * time.Millisecond,
		MaxSize: 2 << 30, SegmentSize: 8 << 20, ImportFileStorage: false,
	}, cfg)
	assert.NoError(t, confmap.Validate(cfg))

	cfg, err = loadConfig(t, "plain_number")
	require.NoError(t, err)
	assert.Equal(t, ByteSize(128<<20), cfg.MaxSize)

	_, err = loadConfig(t, "bad_size")
	assert.ErrorContains(t, err, `max_size`)
	assert.ErrorContains(t, err, `invalid size "2 gigabytes"`)

	cfg, err = loadConfig(t, "invalid")
	require.NoError(t, err)
	err = confmap.Validate(cfg)
	for _, want := range []string{"directory: must not be empty", "flush_interval: must be positive", "max_size: must be 0 or at least twice segment_size"} {
		assert.ErrorContains(t, err, want)
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{"0": 0, "1024": 1024, "1KiB": 1024, "64 MiB": 64 << 20, "2GiB": 2 << 30, "1GB": 1e9, "10B": 10} {
		var b ByteSize
		require.NoError(t, b.UnmarshalText([]byte(in)), in)
		assert.Equal(t, want, b, in)
	}
	for _, in := range []string{"", "-1", "1.5GiB", "GiB", "99999999999TiB", "1 XB"} {
		var b ByteSize
		assert.Error(t, b.UnmarshalText([]byte(in)), in)
	}
}
