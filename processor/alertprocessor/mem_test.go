package alertprocessor

import (
	"os"
	"runtime"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

func pcommonTS(t time.Time) pcommon.Timestamp { return pcommon.NewTimestampFromTime(t) }

// runtimeMem measures live-heap growth across a test (after a GC on both sides, so garbage does
// not count) and reads the process RSS from /proc when there is one.
type runtimeMem struct{ heap0 uint64 }

func (m *runtimeMem) before() {
	runtime.GC()
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.heap0 = s.HeapAlloc
}

func (m *runtimeMem) after() (growth int64, rss string) {
	runtime.GC()
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	rss = "n/a"
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "VmRSS:") || strings.HasPrefix(line, "VmHWM:") {
				if rss == "n/a" {
					rss = ""
				} else {
					rss += ", "
				}
				rss += strings.Join(strings.Fields(line), " ")
			}
		}
	}
	return int64(s.HeapAlloc) - int64(m.heap0), rss
}
