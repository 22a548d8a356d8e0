// Package collectorresource gives the records the collector writes itself (alerts, audit records,
// integrity checkpoints) one resource: the collector's own service identity, since the collector,
// not an OT service, is what speaks in them.
package collectorresource // import "github.com/unified-ot/otelcol-siem/internal/collectorresource"

import (
	"os"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// New returns a copy of the component's telemetry resource (service::telemetry::resource), with
// service.name (the command, default otelcol-siem), service.version and host.name added where it
// has none.
func New(set component.TelemetrySettings, info component.BuildInfo) pcommon.Resource {
	res := pcommon.NewResource()
	if set.Resource != (pcommon.Resource{}) {
		set.Resource.CopyTo(res)
	}
	a := res.Attributes()
	if _, ok := a.Get(secevent.KeyServiceName); !ok {
		name := info.Command
		if name == "" {
			name = "otelcol-siem"
		}
		a.PutStr(secevent.KeyServiceName, name)
	}
	if _, ok := a.Get(secevent.KeyServiceVersion); !ok && info.Version != "" {
		a.PutStr(secevent.KeyServiceVersion, info.Version)
	}
	if _, ok := a.Get(secevent.KeyHostName); !ok {
		if h, err := os.Hostname(); err == nil && h != "" {
			a.PutStr(secevent.KeyHostName, h)
		}
	}
	return res
}
