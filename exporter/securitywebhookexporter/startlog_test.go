package securitywebhookexporter

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.uber.org/zap/zapcore"

	"github.com/unified-ot/otelcol-siem/internal/destlog"
)

// The start-up line names the webhook's server, the format and the queue, and none of the places a
// webhook keeps a secret: user information, path, query, headers, proxy credentials.
func TestStartLogNamesDestinationNoSecret(t *testing.T) {
	storage := component.MustNewIDWithName("queue_storage", "webhook")
	for _, tc := range []struct {
		name  string
		queue configoptional.Optional[exporterhelper.QueueBatchConfig]
		want  map[string]any
	}{
		{"persistent", func() configoptional.Optional[exporterhelper.QueueBatchConfig] {
			q := exporterhelper.NewDefaultQueueConfig()
			q.StorageID = &storage
			return configoptional.Some(q)
		}(), map[string]any{"queue": "persistent", "storage": "queue_storage/webhook"}},
		{"no queue", configoptional.None[exporterhelper.QueueBatchConfig](), map[string]any{"queue": "none"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			cfg := createDefaultConfig().(*Config)
			cfg.ClientConfig.Endpoint = "https://soc:pathpass@siem.example.com:8443/hooks/T0/B0/pathsecret?sig=querysecret"
			cfg.ClientConfig.Headers.Set("Authorization", configopaque.String(bearer))
			cfg.ClientConfig.ProxyURL = "http://proxyuser:proxypass@127.0.0.1:3128"
			cfg.Format = FormatNDJSON
			cfg.QueueConfig = tc.queue
			h.startExporter(t, cfg)

			lines := h.logs.FilterMessage(destlog.Message).All()
			require.Len(t, lines, 1, "one start-up line naming the destination")
			assert.Equal(t, zapcore.InfoLevel, lines[0].Level)
			want := map[string]any{"transport": "https", "endpoint": "https://siem.example.com:8443", "format": "ndjson"}
			for k, v := range tc.want {
				want[k] = v
			}
			assert.Equal(t, want, lines[0].ContextMap())
			for _, l := range h.logs.All() {
				text := l.Message + fmt.Sprint(l.ContextMap())
				for _, s := range []string{"s3cr3t-webhook-token", "pathpass", "pathsecret", "querysecret", "proxyuser", "proxypass"} {
					assert.NotContains(t, text, s)
				}
			}
		})
	}
}
