package seglog

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

type countingObserver struct {
	syncs, damagedFrames, damagedBytes, refused, deferred atomic.Int64
}

func (o *countingObserver) Synced(time.Duration) { o.syncs.Add(1) }
func (o *countingObserver) Damaged(f, b int64)   { o.damagedFrames.Add(f); o.damagedBytes.Add(b) }
func (o *countingObserver) Refused()             { o.refused.Add(1) }
func (o *countingObserver) Deferred()            { o.deferred.Add(1) }

func openTest(t *testing.T, dir string, mod func(*Options)) (*Log, *countingObserver) {
	t.Helper()
	obs := &countingObserver{}
	opts := Options{Dir: filepath.Join(dir, "client.qlog"), AsideRoot: dir, Name: "client", SegmentSize: 64 << 10, Observer: obs}
	if mod != nil {
		mod(&opts)
	}
	l, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return l, obs
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func mustBatch(t *testing.T, l *Log, ops ...*storage.Operation) {
	t.Helper()
	if err := l.Batch(ops...); err != nil {
		t.Fatalf("Batch: %v", err)
	}
}

func TestMapSemantics(t *testing.T) {
	l, _ := openTest(t, t.TempDir(), nil)
	defer l.Close()
	if v, err := l.Get("missing"); v != nil || err != nil {
		t.Fatalf("Get(missing) = %q, %v; want nil, nil", v, err)
	}
	mustBatch(t, l, storage.SetOperation("a", []byte("1")), storage.SetOperation("b", []byte("2")))
	mustBatch(t, l, storage.SetOperation("a", []byte("3")), storage.DeleteOperation("b"), storage.DeleteOperation("nothing"))
	get := storage.GetOperation("a")
	before := storage.GetOperation("c")
	after := storage.GetOperation("c")
	mustBatch(t, l, get, before, storage.SetOperation("c", []byte("4")), after)
	if string(get.Value) != "3" || before.Value != nil || string(after.Value) != "4" {
		t.Fatalf("in-batch reads: a=%q c before=%q c after=%q", get.Value, before.Value, after.Value)
	}
	if v, _ := l.Get("b"); v != nil {
		t.Fatalf("deleted key b = %q", v)
	}
	mustBatch(t, l, storage.SetOperation("empty", []byte{}))
	if v, _ := l.Get("empty"); v == nil || len(v) != 0 {
		t.Fatalf("empty value = %#v, want empty non-nil", v)
	}
}

// TestReopenKeepsValues writes across many segments, deletes most, reopens and compares.
func TestReopenKeepsValues(t *testing.T) {
	dir := t.TempDir()
	l, _ := openTest(t, dir, nil)
	want := map[string][]byte{}
	for i := range 500 {
		k := strconv.Itoa(i)
		v := randomBytes(1000 + i)
		mustBatch(t, l, storage.SetOperation("qmv0", []byte(k)), storage.SetOperation(k, v))
		want[k] = v
		if i%3 != 0 {
			mustBatch(t, l, storage.DeleteOperation(k))
			delete(want, k)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, obs := openTest(t, dir, nil)
	defer l.Close()
	for k, v := range want {
		got, err := l.Get(k)
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("key %s: got %d bytes (%v), want %d", k, len(got), err, len(v))
		}
	}
	if st := l.Stats(); st.Records != len(want) {
		t.Fatalf("Records = %d, want %d", st.Records, len(want))
	}
	if obs.damagedFrames.Load() != 0 {
		t.Fatalf("a clean log reported damage")
	}
}

// TestSegmentsGoWhenEmpty: a queue that is written and drained in order keeps about one segment.
func TestSegmentsGoWhenEmpty(t *testing.T) {
	l, _ := openTest(t, t.TempDir(), nil)
	defer l.Close()
	for i := range 2000 {
		k := strconv.Itoa(i)
		mustBatch(t, l, storage.SetOperation("qmv0", []byte(k)), storage.SetOperation(k, randomBytes(2000)))
		if i >= 10 {
			mustBatch(t, l, storage.SetOperation("qmv0", []byte(k)), storage.DeleteOperation(strconv.Itoa(i-10)))
		}
	}
	st := l.Stats()
	if st.Segments > 3 || st.DiskBytes > 3*64<<10 {
		t.Fatalf("after 4 MB written and drained: %d segments, %d bytes on disk", st.Segments, st.DiskBytes)
	}
}

// TestStuckRecordIsCopiedForward: a record that stays (state written once) does not pin its
// segment and everything after it.
func TestStuckRecordIsCopiedForward(t *testing.T) {
	l, _ := openTest(t, t.TempDir(), nil)
	defer l.Close()
	mustBatch(t, l, storage.SetOperation("state", []byte("kept")))
	for i := range 2000 {
		k := strconv.Itoa(i)
		mustBatch(t, l, storage.SetOperation(k, randomBytes(2000)))
		mustBatch(t, l, storage.DeleteOperation(k))
	}
	if st := l.Stats(); st.Segments > 3 {
		t.Fatalf("%d segments kept for one live key", st.Segments)
	}
	if v, _ := l.Get("state"); string(v) != "kept" {
		t.Fatalf("state = %q", v)
	}
}

// queueFixture fills a log the way exporterhelper's persistent queue does and closes it.
func queueFixture(t *testing.T, dir string, n, size int) map[string][]byte {
	t.Helper()
	l, _ := openTest(t, dir, nil)
	items := map[string][]byte{}
	for i := range n {
		k := strconv.Itoa(i)
		v := randomBytes(size)
		meta := queueMeta{readIndex: 0, writeIndex: uint64(i + 1), itemsSize: int64(i + 1)}
		mustBatch(t, l, storage.SetOperation(queueMetaKey, meta.encode()), storage.SetOperation(k, v))
		items[k] = v
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return items
}

func segFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "client.qlog", "*"+segSuffix))
	if err != nil || len(m) == 0 {
		t.Fatalf("no segment files in %s: %v", dir, err)
	}
	return m
}

// TestDamageModes damages a closed queue in each way the issue names and checks that Open
// succeeds, every intact record is still there byte for byte, the damage is counted, the damaged
// files are moved aside, the queue positions cover what is left, and new writes work.
func TestDamageModes(t *testing.T) {
	modes := map[string]func(t *testing.T, files []string){
		"random bytes every 16 KiB": func(t *testing.T, files []string) {
			for _, f := range files {
				b, _ := os.ReadFile(f)
				for off := 8 << 10; off+64 <= len(b); off += 16 << 10 {
					copy(b[off:], randomBytes(64))
				}
				_ = os.WriteFile(f, b, 0o600)
			}
		},
		"each file cut to half": func(t *testing.T, files []string) {
			for _, f := range files {
				st, _ := os.Stat(f)
				_ = os.Truncate(f, st.Size()/2)
			}
		},
		"zero-filled tail": func(t *testing.T, files []string) {
			f := files[len(files)-1]
			b, _ := os.ReadFile(f)
			clear(b[len(b)-4096:])
			_ = os.WriteFile(f, b, 0o600)
		},
		"a file replaced by garbage": func(t *testing.T, files []string) {
			st, _ := os.Stat(files[1])
			_ = os.WriteFile(files[1], randomBytes(int(st.Size())), 0o600)
		},
		"a file missing": func(t *testing.T, files []string) {
			_ = os.Remove(files[1])
		},
		"the newest file missing": func(t *testing.T, files []string) {
			_ = os.Remove(files[len(files)-1])
		},
		"every file missing": func(t *testing.T, files []string) {
			for _, f := range files {
				_ = os.Remove(f)
			}
		},
	}
	for name, damage := range modes {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			items := queueFixture(t, dir, 400, 1500)
			files := segFiles(t, dir)
			if len(files) < 4 {
				t.Fatalf("fixture has %d segments, want several", len(files))
			}
			damage(t, files)
			l, obs := openTest(t, dir, nil)
			defer l.Close()
			intact, lost := 0, 0
			for k, v := range items {
				got, err := l.Get(k)
				switch {
				case err != nil:
					t.Fatalf("Get(%s): %v", k, err)
				case got == nil:
					lost++
				case !bytes.Equal(got, v):
					t.Fatalf("key %s: value changed by damage was returned", k)
				default:
					intact++
				}
			}
			t.Logf("%s: %d intact, %d lost; damaged frames %d, bytes %d", name, intact, lost, obs.damagedFrames.Load(), obs.damagedBytes.Load())
			if name == "every file missing" {
				if obs.damagedFrames.Load() == 0 {
					t.Fatalf("a log whose segments are all gone reported no damage")
				}
				return
			}
			if intact == 0 {
				t.Fatalf("nothing intact was kept")
			}
			if lost > 0 && obs.damagedFrames.Load() == 0 && name != "a file missing" && name != "the newest file missing" {
				t.Fatalf("records lost but no damage counted")
			}
			if name != "the newest file missing" {
				aside, _ := filepath.Glob(filepath.Join(dir, "damaged-*", "client", "*"))
				if name != "a file missing" && len(aside) == 0 {
					t.Fatalf("no damaged file moved aside")
				}
			}
			// The positions cover every record left.
			meta, _ := l.Get(queueMetaKey)
			m, ok := decodeQueueMeta(meta)
			if !ok {
				t.Fatalf("queue positions unreadable after repair")
			}
			for k := range items {
				if v, _ := l.Get(k); v != nil {
					i, _ := strconv.ParseUint(k, 10, 64)
					if i < m.readIndex || i >= m.writeIndex {
						t.Fatalf("record %d outside the positions [%d, %d)", i, m.readIndex, m.writeIndex)
					}
				}
			}
			mustBatch(t, l, storage.SetOperation("new", []byte("after damage")))
			if v, _ := l.Get("new"); string(v) != "after damage" {
				t.Fatalf("new write after damage = %q", v)
			}
			// A second open finds nothing more to repair.
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			l2, obs2 := openTest(t, dir, nil)
			defer l2.Close()
			if obs2.damagedFrames.Load() != 0 || obs2.damagedBytes.Load() != 0 {
				t.Fatalf("second open reported damage again: %d frames", obs2.damagedFrames.Load())
			}
			if v, _ := l2.Get("new"); string(v) != "after damage" {
				t.Fatalf("new write lost at reopen")
			}
		})
	}
}

// TestDamageWhileRunning: a record whose bytes change on disk after it was written is skipped
// when read, counted, and the log goes on.
func TestDamageWhileRunning(t *testing.T) {
	dir := t.TempDir()
	l, obs := openTest(t, dir, nil)
	defer l.Close()
	for i := range 10 {
		mustBatch(t, l, storage.SetOperation(strconv.Itoa(i), bytes.Repeat([]byte{byte('a' + i)}, 1000)))
	}
	f := segFiles(t, dir)[0]
	b, _ := os.ReadFile(f)
	i := bytes.Index(b, bytes.Repeat([]byte{'e'}, 1000))
	fh, _ := os.OpenFile(f, os.O_WRONLY, 0)
	_, _ = fh.WriteAt([]byte("X"), int64(i+500))
	_ = fh.Close()
	if v, err := l.Get("4"); v != nil || err != nil {
		t.Fatalf("damaged record: got %d bytes, %v; want nil, nil", len(v), err)
	}
	if obs.damagedFrames.Load() != 1 {
		t.Fatalf("damaged frames = %d, want 1", obs.damagedFrames.Load())
	}
	for _, k := range []string{"3", "5"} {
		if v, _ := l.Get(k); len(v) != 1000 {
			t.Fatalf("neighbour %s lost", k)
		}
	}
}

func TestMaxSizeRefusesNewRecordsOnly(t *testing.T) {
	dir := t.TempDir()
	budget := NewBudget(256 << 10)
	l, obs := openTest(t, dir, func(o *Options) { o.Budget = budget })
	defer l.Close()
	stored := 0
	var err error
	for i := 0; err == nil; i++ {
		err = l.Batch(storage.SetOperation("qmv0", []byte{byte(i)}), storage.SetOperation(strconv.Itoa(i), randomBytes(4000)))
		if err == nil {
			stored++
		}
	}
	if !isFull(err) || obs.refused.Load() != 1 {
		t.Fatalf("err = %v, refused = %d; want ErrStorageFull once", err, obs.refused.Load())
	}
	if budget.Used() > 256<<10 {
		t.Fatalf("used %d > max", budget.Used())
	}
	// Bookkeeping still works, and deleting makes room again.
	for i := range stored {
		mustBatch(t, l, storage.SetOperation("qmv0", []byte{1}), storage.DeleteOperation(strconv.Itoa(i)))
	}
	mustBatch(t, l, storage.SetOperation("again", randomBytes(4000)))
}

func isFull(err error) bool { return err != nil && errors.Is(err, storage.ErrStorageFull) }

func TestSegName(t *testing.T) {
	for _, id := range []uint64{1, 255, 1 << 40} {
		got, ok := parseSegName(segName(id))
		if !ok || got != id {
			t.Fatalf("segName(%d) = %s parses to %d %v", id, segName(id), got, ok)
		}
	}
	for _, bad := range []string{"reserve", "0000000000000001.seg.tmp", "000000000000000g.seg"} {
		if _, ok := parseSegName(bad); ok {
			t.Fatalf("%q parsed as a segment", bad)
		}
	}
	_ = fmt.Sprint()
}

// TestImportMovesUnfinishedRecords: records an imported queue lists as handed to its consumers are
// moved back into the queue by Import itself, so the queue's own move (delete, then store again,
// in batches a power cut can separate) finds nothing to do.
func TestImportMovesUnfinishedRecords(t *testing.T) {
	l, _ := openTest(t, t.TempDir(), nil)
	defer l.Close()
	meta := queueMeta{itemsSize: 2, bytesSize: 16, readIndex: 2, writeIndex: 3, dispatched: []uint64{0, 1}}
	if err := l.Import([]*storage.Operation{
		storage.SetOperation(queueMetaKey, meta.encode()),
		storage.SetOperation("0", []byte("unfinished")),
		storage.SetOperation("2", []byte("queued")),
	}); err != nil {
		t.Fatal(err)
	}
	v, err := l.Get(queueMetaKey)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := decodeQueueMeta(v)
	want := queueMeta{itemsSize: 2, bytesSize: 16, readIndex: 2, writeIndex: 4}
	if !ok || got.readIndex != want.readIndex || got.writeIndex != want.writeIndex || len(got.dispatched) != 0 ||
		got.itemsSize != want.itemsSize || got.bytesSize != want.bytesSize {
		t.Fatalf("positions after Import = %+v, want %+v", got, want)
	}
	for key, want := range map[string]string{"0": "", "1": "", "2": "queued", "3": "unfinished"} {
		if v, err := l.Get(key); err != nil || string(v) != want {
			t.Errorf("%q = %q, %v; want %q", key, v, err, want)
		}
	}
}
