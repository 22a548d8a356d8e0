package alertprocessor

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/processor/alertprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// The distinct rule's worst case: 20 000 sources each trying 9 names (one short of firing) fill
// max_groups_per_rule groups of threshold-1 values each, and no more.
func TestDistinctBoundedMemory(t *testing.T) {
	h := newHarness(t, sprayConfig())
	h.clock.now = t0.Add(time.Hour)
	const sources, names = 20_000, 9
	var ms runtimeMem
	ms.before()
	for b := 0; b < sources; b += 1000 {
		ld := plog.NewLogs()
		lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
		for s := b; s < b+1000; s++ {
			for u := range names {
				lr := lrs.AppendEmpty()
				lr.SetTimestamp(pcommonTS(t0.Add(time.Duration(u) * time.Second)))
				a := lr.Attributes()
				a.PutStr(secevent.KeyCategory, "authentication")
				a.PutStr(secevent.KeyOutcome, "failure")
				a.PutStr(secevent.KeyUserName, fmt.Sprintf("operator%02d@plant.example", u))
				a.PutStr(secevent.KeySourceAddress, fmt.Sprintf("10.%d.%d.%d", s>>16, (s>>8)&255, s&255))
				a.PutStr(secevent.KeyEventID, fmt.Sprintf("%08d-0000-4000-8000-%012d", s, u))
			}
		}
		require.NoError(t, h.p.ConsumeLogs(context.Background(), ld))
		require.Empty(t, alertsIn(h.sink.AllLogs()[len(h.sink.AllLogs())-1]))
		h.sink.Reset()
	}
	heap, rss := ms.after()
	ev := h.p.rules[0].eval.(*distinctEvaluator)
	t.Logf("%d sources x %d names: groups kept %d, evicted %d, live heap growth %.1f MiB (%.0f B per group of %d values), RSS %s",
		sources, names, len(ev.groups), h.counter(metadata.MetricGroupsEvicted, "password_spraying"),
		float64(heap)/(1<<20), float64(heap)/float64(len(ev.groups)), names, rss)
	assert.Len(t, ev.groups, defaultMaxGroupsPerRule)
	assert.Equal(t, int64(sources-defaultMaxGroupsPerRule), h.counter(metadata.MetricGroupsEvicted, "password_spraying"))
	assert.Less(t, heap, int64(64<<20))
}

// A flood of invented service names: max_groups_per_rule watched, the rest refused, memory bounded.
func TestAbsenceBoundedMemory(t *testing.T) {
	h := newHarness(t, absenceConfig())
	const services = 100_000
	var ms runtimeMem
	ms.before()
	for b := 0; b < services; b += 10_000 {
		ld := plog.NewLogs()
		for s := b; s < b+10_000; s++ {
			rl := ld.ResourceLogs().AppendEmpty()
			rl.Resource().Attributes().PutStr(secevent.KeyServiceName, fmt.Sprintf("invented-service-%06d", s))
			rl.Resource().Attributes().PutStr(secevent.KeyHostName, "edge-01")
			rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Attributes().PutStr(secevent.KeyCategory, "operational")
		}
		require.NoError(t, h.p.ConsumeLogs(context.Background(), ld))
		h.sink.Reset()
	}
	heap, rss := ms.after()
	ev := h.p.rules[0].eval.(*absenceEvaluator)
	t.Logf("%d service names: watched %d, refused %d, live heap growth %.1f MiB (%.0f B per group), RSS %s",
		services, len(ev.groups), h.counter(metadata.MetricGroupsRefused, "ot_service_silent"),
		float64(heap)/(1<<20), float64(heap)/float64(len(ev.groups)), rss)
	assert.Len(t, ev.groups, defaultMaxGroupsPerRule)
	assert.Equal(t, int64(services-defaultMaxGroupsPerRule), h.counter(metadata.MetricGroupsRefused, "ot_service_silent"))
	assert.Less(t, heap, int64(16<<20))
}
