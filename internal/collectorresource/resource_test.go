package collectorresource

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/unified-ot/otelcol-siem/secevent"
)

func TestNew(t *testing.T) {
	host, _ := os.Hostname()

	res := New(component.TelemetrySettings{}, component.BuildInfo{Command: "otelcol-siem", Version: "1.2.3"})
	assert.Equal(t, map[string]any{
		secevent.KeyServiceName: "otelcol-siem", secevent.KeyServiceVersion: "1.2.3", secevent.KeyHostName: host,
	}, res.Attributes().AsRaw())

	// What service::telemetry::resource sets wins, and the component's resource is not changed.
	own := pcommon.NewResource()
	own.Attributes().PutStr(secevent.KeyServiceName, "site-a-collector")
	own.Attributes().PutStr(secevent.KeyHostName, "box-1")
	res = New(component.TelemetrySettings{Resource: own}, component.BuildInfo{})
	assert.Equal(t, map[string]any{secevent.KeyServiceName: "site-a-collector", secevent.KeyHostName: "box-1"}, res.Attributes().AsRaw())
	assert.Equal(t, 2, own.Attributes().Len())

	assert.Equal(t, "otelcol-siem", New(component.TelemetrySettings{}, component.BuildInfo{}).Attributes().AsRaw()[secevent.KeyServiceName])
}
