package destlog

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestLogQueue(t *testing.T) {
	storage := component.MustNewIDWithName("queue_storage", "siem")
	persistent := exporterhelper.NewDefaultQueueConfig()
	persistent.StorageID = &storage
	for _, tc := range []struct {
		name  string
		queue configoptional.Optional[exporterhelper.QueueBatchConfig]
		want  map[string]any
	}{
		{"persistent", configoptional.Some(persistent), map[string]any{"queue": QueuePersistent, "storage": "queue_storage/siem"}},
		{"memory", configoptional.Some(exporterhelper.NewDefaultQueueConfig()), map[string]any{"queue": QueueMemory}},
		{"none", configoptional.None[exporterhelper.QueueBatchConfig](), map[string]any{"queue": QueueNone}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.InfoLevel)
			Log(zap.New(core), tc.queue, zap.String("transport", "tcp"))
			require.Equal(t, 1, logs.Len())
			e := logs.All()[0]
			assert.Equal(t, zapcore.InfoLevel, e.Level)
			assert.Equal(t, Message, e.Message)
			tc.want["transport"] = "tcp"
			assert.Equal(t, tc.want, e.ContextMap())
		})
	}
}

func TestURLs(t *testing.T) {
	u, err := url.Parse("https://user:s3cret@siem.example.com:8443/hooks/T0/B0/XYZ?token=abc#frag")
	require.NoError(t, err)
	assert.Equal(t, "https://siem.example.com:8443", Origin(u))
	assert.Equal(t, "https://siem.example.com:8443/hooks/T0/B0/XYZ", WithoutSecrets(u))
}
