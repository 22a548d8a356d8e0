package splunkhecsecexporter

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.uber.org/zap/zapcore"

	"github.com/unified-ot/otelcol-siem/internal/destlog"
)

// The start-up line names the HEC event URL, the format, acknowledgement, the index and the queue;
// never the token, a header or user information in the URL.
func TestStartLogNamesDestinationNoSecret(t *testing.T) {
	h := newHarness(t)
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = "https://hecuser:hecpass@splunk.example.com:8088/services/collector"
	cfg.ClientConfig.Headers.Set("X-Extra-Auth", configopaque.String("headersecret"))
	cfg.Token = testToken
	cfg.HealthCheck = false
	cfg.Format = FormatCEF
	cfg.Index = "ot_security"
	storage := component.MustNewID("queue_storage")
	cfg.QueueConfig.Get().StorageID = &storage
	h.startExporter(t, cfg)

	lines := h.logs.FilterMessage(destlog.Message).All()
	require.Len(t, lines, 1, "one start-up line naming the destination")
	assert.Equal(t, zapcore.InfoLevel, lines[0].Level)
	assert.Equal(t, map[string]any{
		"transport": "https", "endpoint": "https://splunk.example.com:8088/services/collector/event",
		"format": "cef", "ack": false, "index": "ot_security", "queue": "persistent", "storage": "queue_storage",
	}, lines[0].ContextMap())
	for _, l := range h.logs.All() {
		text := l.Message + fmt.Sprint(l.ContextMap())
		for _, s := range []string{testToken, "hecuser", "hecpass", "headersecret"} {
			assert.NotContains(t, text, s)
		}
	}
}
