package siemauditreceiver

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

// The site configuration keeps the audit records in a pipeline of their own whose exporters are
// the events' pipeline's (the same ${env:...} expression), so that changing OTELCOL_SIEM_RECEIVERS
// or OTELCOL_SIEM_EXPORTERS cannot drop them; and config_digest runs, so collector_started carries
// the digest.
func TestSiteConfigWiresAudit(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("..", "..", "otelcol-config.yaml"))
	require.NoError(t, err)
	assert.True(t, cm.IsSet("receivers::siem_audit"))
	assert.Equal(t, []any{"siem_audit"}, cm.Get("service::pipelines::logs/audit::receivers"))
	assert.Nil(t, cm.Get("service::pipelines::logs/audit::processors"), "audit records pass no processor")
	events := cm.Get("service::pipelines::logs::exporters")
	require.NotNil(t, events)
	assert.Equal(t, events, cm.Get("service::pipelines::logs/audit::exporters"))
	assert.Contains(t, cm.Get("service::extensions"), "config_digest")
	assert.True(t, cm.IsSet("extensions::config_digest"))
	assert.Equal(t, "${env:OTELCOL_SIEM_HEARTBEAT_INTERVAL:-5m}", cm.Get("receivers::siem_audit::heartbeat_interval"))
	assert.Equal(t, "${env:OTELCOL_SIEM_UNREACHABLE_AFTER:-5m}", cm.Get("receivers::siem_audit::unreachable_after"))
}
