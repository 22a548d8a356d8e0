package splunkhecsecexporter

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unified-ot/otelcol-siem/internal/hectest"
	"github.com/unified-ot/otelcol-siem/internal/integrity/integritytest"
)

// hecRaw is what Splunk keeps of each event as its raw text (_raw): the JSON object as sent, or
// the string's text (a CEF line), as one line of an export ({"result":{"_raw":...}}).
func hecRaw(t *testing.T, evs []hectest.Event) [][]byte {
	var out [][]byte
	for _, ev := range evs {
		raw := string(ev.Event)
		if len(ev.Event) > 0 && ev.Event[0] == '"' {
			require.NoError(t, json.Unmarshal(ev.Event, &raw))
		}
		line, err := json.Marshal(map[string]any{"preview": false, "result": map[string]any{"_raw": raw, "sourcetype": ev.Sourcetype}})
		require.NoError(t, err)
		out = append(out, line)
	}
	return out
}

func TestIntegrityHEC(t *testing.T) {
	for _, format := range []string{FormatJSON, FormatCEF} {
		t.Run(format, func(t *testing.T) {
			emu := newEmulator(t, hectest.Config{})
			h := newHarness(t)
			cfg := testConfig(emu)
			cfg.Format = format
			cfg.Integrity.KeyFile = integritytest.KeyFile(t, t.TempDir())
			cfg.QueueConfig.Get().StorageID = &integritytest.StorageID
			require.NoError(t, cfg.Validate())
			exp, err := NewFactory().CreateLogs(context.Background(), h.set, cfg)
			require.NoError(t, err)
			require.NoError(t, exp.Start(context.Background(), integritytest.Host(t, t.TempDir())))
			ld, _ := testLogs("ev", 25)
			require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
			require.Eventually(t, func() bool { return len(emu.Events()) >= 26 }, 10*time.Second, 10*time.Millisecond)
			require.NoError(t, exp.Shutdown(context.Background()))

			evs := emu.Events()
			for _, ev := range evs {
				if format == FormatJSON {
					var m map[string]any
					require.NoError(t, json.Unmarshal(ev.Event, &m), "the stamped event stays a JSON object")
					assert.Contains(t, m, "otsec.integrity.seq")
					assert.Contains(t, m, "otsec.integrity.mac")
				} else {
					var s string
					require.NoError(t, json.Unmarshal(ev.Event, &s))
					assert.Contains(t, s, " flexNumber1Label=otsecIntegritySeq flexNumber1=")
				}
			}
			lines := hecRaw(t, evs)
			require.False(t, integritytest.Verify(t, lines).Failed())
			// The final checkpoint too (it stays in the persistent queue).
			assert.Equal(t, int64(27), h.counter(t, "otelcol_exporter_splunk_hec_sec_integrity_records_stamped"))
		})
	}
}
