package seglog

import (
	"strconv"
	"testing"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// BenchmarkQueueFlow is exporterhelper's persistent queue with the SIEM up: each request is
// offered, read and deleted (three batches), as persistent_queue.go v0.165.0 does.
func BenchmarkQueueFlow(b *testing.B) {
	for _, size := range []int{4 << 10, 64 << 10} {
		for _, fsync := range []bool{false, true} {
			b.Run(strconv.Itoa(size>>10)+"KiB/fsync="+strconv.FormatBool(fsync), func(b *testing.B) {
				l, err := Open(Options{Dir: b.TempDir(), Fsync: fsync})
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				item := randomBytes(size)
				meta := queueMeta{writeIndex: 1}.encode()
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					k := strconv.Itoa(i)
					if err := l.Batch(storage.SetOperation(queueMetaKey, meta), storage.SetOperation(k, item)); err != nil {
						b.Fatal(err)
					}
					get := storage.GetOperation(k)
					if err := l.Batch(storage.SetOperation(queueMetaKey, meta), get); err != nil || len(get.Value) != size {
						b.Fatal(err)
					}
					if err := l.Batch(storage.SetOperation(queueMetaKey, meta), storage.DeleteOperation(k)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
