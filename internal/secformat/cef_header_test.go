package secformat

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// The Signature ID and Name kept from earlier records (appendCategoryHeader) are reused only for
// the same words: records in runs and alternating, with words that differ in the action or the
// outcome alone, that need escaping, that hold '_', alert records in between, all format as a
// formatter that has seen no record before formats them.
func TestCEFCategoryHeaderReuse(t *testing.T) {
	type words struct{ cat, act, outcome string }
	variants := []words{
		{"authentication", "login", "failure"},
		{"authentication", "login", "success"},
		{"authentication", "logout", "failure"},
		{"authentication", "", "failure"},
		{"authentication", "login", ""},
		{"network", "connect", "failure"},
		{"credential_access", "credential_update", "success"},
		{"x|y\\z", "a\nb", "c=d"},
		{"alert", "", ""},
		{"authentication", "login", "fail"},
	}
	type rec struct {
		res pcommon.Resource
		lr  plog.LogRecord
	}
	var recs []rec
	for i, w := range variants {
		attrs := []kv{{secevent.KeyCategory, w.cat}, {secevent.KeyAction, w.act}, {secevent.KeyOutcome, w.outcome}}
		if i == 4 {
			attrs = append(attrs, kv{secevent.KeyAlertRuleName, "rule"}) // an alert record by its rule name
		}
		res, lr := record(t, attrs, []kv{{secevent.KeyHostName, "h"}})
		recs = append(recs, rec{res, lr})
	}
	f := defaultCEF(t)
	for _, order := range []func(i int) int{
		func(i int) int { return i / (2 * paidHits) % len(recs) }, // runs long enough to be kept
		func(i int) int { return i % len(recs) },                  // every record other words
		func(i int) int { return i % 2 },                          // two alternating
		func(i int) int { return (i * 7) % 3 },
	} {
		for i := 0; i < 2*paidHits*len(recs); i++ {
			k := order(i)
			res, lr := recs[k].res, recs[k].lr
			want := string(defaultCEF(t).Append(nil, res, lr))
			require.Equal(t, want, string(f.Append(nil, res, lr)), "record %d (step %d)", k, i)
		}
	}
	assert.NotNil(t, f.hdr.Load())
}
