package httpdelivery

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// AppendFunc appends one record's encoding to dst and reports whether it had to be cut.
type AppendFunc func(dst []byte, res pcommon.Resource, lr plog.LogRecord) ([]byte, bool)

// Encode encodes every record of ld, in order, into one buffer and returns the items (slices of
// that buffer) and how many were cut. One buffer for the whole request keeps allocations per
// record at zero in the steady state.
func Encode(ld plog.Logs, appendRecord AppendFunc) ([]Item, int) {
	n := ld.LogRecordCount()
	items := make([]Item, 0, n)
	ends := make([]int, 0, n)
	var arena []byte
	truncated := 0
	rls := ld.ResourceLogs()
	for r := 0; r < rls.Len(); r++ {
		rl := rls.At(r)
		sls := rl.ScopeLogs()
		for s := 0; s < sls.Len(); s++ {
			lrs := sls.At(s).LogRecords()
			for l := 0; l < lrs.Len(); l++ {
				var cut bool
				arena, cut = appendRecord(arena, rl.Resource(), lrs.At(l))
				if cut {
					truncated++
				}
				ends = append(ends, len(arena))
				items = append(items, Item{Ref: Ref{Resource: r, Scope: s, Record: l}})
			}
		}
	}
	// The buffer has stopped growing: slice it now, so no item points into a buffer append replaced.
	start := 0
	for i := range items {
		items[i].Data = arena[start:ends[i]:ends[i]]
		start = ends[i]
	}
	return items, truncated
}

// Record returns the resource and the log record ref points at.
func Record(ld plog.Logs, ref Ref) (pcommon.Resource, plog.LogRecord) {
	rl := ld.ResourceLogs().At(ref.Resource)
	return rl.Resource(), rl.ScopeLogs().At(ref.Scope).LogRecords().At(ref.Record)
}
