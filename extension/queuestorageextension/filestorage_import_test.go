package queuestorageextension

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"go.opentelemetry.io/collector/component"
)

// Names checked against contrib filestorage v0.165.1 (extension.go GetClient + sanitize); the same
// literals were produced by the real filestorage factory's GetClient in a scratch module.
func TestFileStorageFileName(t *testing.T) {
	cases := []struct {
		kind        component.Kind
		id          component.ID
		storageName string
		want        string
	}{
		{component.KindExporter, component.MustNewIDWithName("cef_syslog", "siem"), "logs", "exporter_cef_syslog_siem_logs"},
		{component.KindProcessor, component.MustNewID("alert"), "", "processor_alert_"},
		{component.KindReceiver, component.MustNewID("filelog"), "", "receiver_filelog_"},
		{component.KindExtension, component.MustNewIDWithName("x", "a/b~c d"), "", "extension_x_a~002Fb~007Ec~0020d"},
		{component.KindConnector, component.MustNewIDWithName("y", "é"), "s/1", "connector_y_~00E9_s~002F1"},
	}
	for _, c := range cases {
		if got := fileStorageFileName(c.kind, c.id, c.storageName); got != c.want {
			t.Errorf("fileStorageFileName(%v, %v, %q) = %q, want %q", c.kind, c.id, c.storageName, got, c.want)
		}
	}
	// ENAMETOOLONG fallback: hex sha256 of the sanitised name.
	sum := sha256.Sum256([]byte("exporter_cef_syslog_siem_logs"))
	if got, want := fileStorageHashedFileName(component.KindExporter, component.MustNewIDWithName("cef_syslog", "siem"), "logs"), fmt.Sprintf("%x", sum); got != want {
		t.Errorf("hashed name %q, want %q", got, want)
	}
}

// fsTestDB is a file_storage database shaped like an exporterhelper persistent queue, plus every value
// each key ever had in a committed transaction.
type fsTestDB struct {
	Final   map[string][]byte
	History map[string][][]byte
}

// bbolt options of contrib filestorage v0.165.1 client.go bboltOptions with the default config
// (timeout 1s, fsync false, no max size).
func fileStorageTestOptions() *bbolt.Options {
	return &bbolt.Options{
		Timeout:        time.Second,
		NoSync:         true,
		NoFreelistSync: true,
		FreelistType:   bbolt.FreelistMapType,
	}
}

// writeFileStorageTestDB writes a database the way file_storage + exporterhelper's persistent queue do:
// newClient opens with bboltOptions and creates bucket "default"; each Offer is one transaction
// putting item key strconv.FormatUint(writeIndex) and "qmv0"; each consumed item is deleted with a
// "qmv0" update. items items of 4 KiB random bytes are written, the first consumed are deleted.
func writeFileStorageTestDB(t testing.TB, path string, items, consumed int) *fsTestDB {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, fileStorageTestOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}()
	if err := db.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte(fileStorageBucket))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewChaCha8([32]byte{1, 2, 3}))
	st := &fsTestDB{Final: map[string][]byte{}, History: map[string][][]byte{}}
	put := func(b *bbolt.Bucket, k string, v []byte) error {
		st.Final[k] = v
		st.History[k] = append(st.History[k], v)
		return b.Put([]byte(k), v)
	}
	meta := func(read, write int) []byte {
		return binary.AppendUvarint(binary.AppendUvarint([]byte{0x08}, uint64(read)), uint64(write))
	}
	read := 0
	for write := 0; write < items; write++ {
		v := make([]byte, 4096)
		for i := range v {
			v[i] = byte(rng.Uint32())
		}
		if err := db.Update(func(tx *bbolt.Tx) error {
			b := tx.Bucket([]byte(fileStorageBucket))
			if err := put(b, strconv.Itoa(write), v); err != nil {
				return err
			}
			return put(b, "qmv0", meta(read, write+1))
		}); err != nil {
			t.Fatal(err)
		}
		if read < consumed && write%5 == 4 {
			if err := db.Update(func(tx *bbolt.Tx) error {
				b := tx.Bucket([]byte(fileStorageBucket))
				delete(st.Final, strconv.Itoa(read))
				if err := b.Delete([]byte(strconv.Itoa(read))); err != nil {
					return err
				}
				read++
				return put(b, "qmv0", meta(read, write+1))
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return st
}

func fileSHA(t testing.TB, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestReadFileStorageDBIntact(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, fileStorageFileName(component.KindExporter, component.MustNewIDWithName("cef_syslog", "siem"), "logs"))
	st := writeFileStorageTestDB(t, path, 3000, 500)
	before := fileSHA(t, path)
	fiBefore, _ := os.Stat(path)

	got, err := readFileStorageDB(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(st.Final) {
		t.Fatalf("got %d entries, want %d", len(got), len(st.Final))
	}
	for k, v := range st.Final {
		if !bytes.Equal(got[k], v) {
			t.Fatalf("key %q: value differs", k)
		}
	}
	if fileSHA(t, path) != before {
		t.Fatal("file content changed")
	}
	if fiAfter, _ := os.Stat(path); !fiAfter.ModTime().Equal(fiBefore.ModTime()) || fiAfter.Size() != fiBefore.Size() {
		t.Fatal("file mtime or size changed")
	}

	// The file is released: file_storage can open it read-write afterwards (no lock left behind).
	db, err := bbolt.Open(path, 0o600, fileStorageTestOptions())
	if err != nil {
		t.Fatal(err)
	}
	_ = db.Close()
}

func TestReadFileStorageDBSmallEmptyBadAndLocked(t *testing.T) {
	dir := t.TempDir()
	// Inline bucket (few small values) and empty bucket.
	for _, n := range []int{0, 3} {
		path := filepath.Join(dir, fmt.Sprintf("db%d", n))
		db, err := bbolt.Open(path, 0o600, fileStorageTestOptions())
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]byte{}
		if err := db.Update(func(tx *bbolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte(fileStorageBucket))
			if err != nil {
				return err
			}
			for i := 0; i < n; i++ {
				k, v := strconv.Itoa(i), []byte("v"+strconv.Itoa(i))
				want[k] = v
				if err := b.Put([]byte(k), v); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		_ = db.Close()
		got, err := readFileStorageDB(path)
		if err != nil {
			t.Fatal(err)
		}
		if got == nil || len(got) != len(want) {
			t.Fatalf("n=%d: got %v", n, got)
		}
		for k, v := range want {
			if !bytes.Equal(got[k], v) {
				t.Fatalf("key %q differs", k)
			}
		}
	}
	if _, err := readFileStorageDB(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
	tiny := filepath.Join(dir, "tiny")
	if err := os.WriteFile(tiny, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := readFileStorageDB(tiny); got != nil || !errors.Is(err, errFileStorageDBDamaged) {
		t.Fatalf("tiny file: %v %v", got, err)
	}

	// A file held by a running file_storage (exclusive lock) is refused after the lock timeout.
	locked := filepath.Join(dir, "db3")
	db, err := bbolt.Open(locked, 0o600, fileStorageTestOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	old := fileStorageImportLockTimeout
	fileStorageImportLockTimeout = 100 * time.Millisecond
	defer func() { fileStorageImportLockTimeout = old }()
	if got, err := readFileStorageDB(locked); got != nil || !errors.Is(err, berrors.ErrTimeout) {
		t.Fatalf("locked file: %v %v", got, err)
	}
}

// Damage cases, each run in a child process (this test binary re-executed) so that a panic in a
// goroutine, which no recover can catch, fails the case instead of killing the test run.

const (
	fsChildDirEnv  = "QUEUESTORAGE_FSIMPORT_CHILD_DIR"
	fsChildCaseEnv = "QUEUESTORAGE_FSIMPORT_CHILD_CASE"
)

var fileStorageDamageCases = []string{
	"random64every64KiB",
	"random64every64KiBUnaligned",
	"zeroHighestLivePage",
	"truncatedHalf",
	"randomSameSize",
	"zeroLast4KiB",
	"zeroLength",
	"branchPageID",
}

type fsRange struct{ Off, End int64 }

// damageFileStorageCopy writes the damaged copy of orig for case name and returns the damaged ranges
// (offsets in the original whose bytes may differ).
func damageFileStorageCopy(t testing.TB, orig []byte, name, dst string) []fsRange {
	t.Helper()
	rng := rand.New(rand.NewChaCha8([32]byte{byte(len(name)), 9}))
	b := bytes.Clone(orig)
	var rs []fsRange
	switch name {
	case "random64every64KiB", "random64every64KiBUnaligned":
		start := 0
		if name == "random64every64KiBUnaligned" {
			start = 1000 // inside element arrays, keys and values rather than on page headers
		}
		for off := start; off < len(b); off += 64 << 10 {
			end := min(off+64, len(b))
			for i := off; i < end; i++ {
				b[i] = byte(rng.Uint32())
			}
			rs = append(rs, fsRange{int64(off), int64(end)})
		}
	case "truncatedHalf":
		rs = append(rs, fsRange{int64(len(b) / 2), int64(len(b))})
		b = b[:len(b)/2]
	case "randomSameSize":
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		rs = append(rs, fsRange{0, int64(len(b))})
	case "zeroLast4KiB":
		off := max(len(b)-4096, 0)
		clear(b[off:])
		rs = append(rs, fsRange{int64(off), int64(len(b))})
	case "zeroLength":
		rs = append(rs, fsRange{0, int64(len(b))})
		b = nil
	case "zeroHighestLivePage":
		// The highest-numbered leaf or branch page of the live tree.
		w := &fileStorageWalker{r: bytes.NewReader(orig), fileSize: uint64(len(orig)), pageSize: uint64(os.Getpagesize()), visited: map[uint64]struct{}{}}
		if err := w.chooseMeta(); err != nil {
			t.Fatal(err)
		}
		if _, err := w.walk(); err != nil || w.damageCount != 0 {
			t.Fatal(err, w.damageCount)
		}
		last := 0
		for id := range w.visited {
			p := orig[int(id)*os.Getpagesize():]
			if fl := binary.NativeEndian.Uint16(p[8:]); binary.NativeEndian.Uint64(p) == id && (fl == 0x01 || fl == 0x02) {
				last = max(last, int(id))
			}
		}
		off := last * os.Getpagesize()
		clear(b[off : off+os.Getpagesize()])
		rs = append(rs, fsRange{int64(off), int64(off + os.Getpagesize())})
	case "branchPageID":
		// The reported crash: a branch page that identifies itself as another page id.
		// Pick the highest-numbered branch page that is part of the live tree.
		ps := os.Getpagesize()
		w := &fileStorageWalker{r: bytes.NewReader(orig), fileSize: uint64(len(orig)), pageSize: uint64(ps), visited: map[uint64]struct{}{}}
		if err := w.chooseMeta(); err != nil {
			t.Fatal(err)
		}
		if _, err := w.walk(); err != nil || w.damageCount != 0 {
			t.Fatal(err, w.damageCount)
		}
		branch := -1
		for id := range w.visited {
			p := b[int(id)*ps:]
			if binary.NativeEndian.Uint64(p) == id && binary.NativeEndian.Uint16(p[8:]) == 0x01 && int(id) > branch && id != w.meta.root {
				branch = int(id)
			}
		}
		if branch < 0 {
			t.Fatal("no branch page found")
		}
		binary.NativeEndian.PutUint64(b[branch*ps:], uint64(branch)+256)
		rs = append(rs, fsRange{int64(branch * ps), int64(branch*ps + 8)})
	default:
		t.Fatalf("unknown case %q", name)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestReadFileStorageDBDamaged(t *testing.T) {
	if os.Getenv(fsChildDirEnv) != "" { // this binary re-executed by runFileStorageChild
		fileStorageDamageChild(t)
		return
	}
	dir := t.TempDir()
	orig := filepath.Join(dir, "orig.db")
	st := writeFileStorageTestDB(t, orig, 3000, 500)
	f, err := os.Create(filepath.Join(dir, "state.gob"))
	if err != nil {
		t.Fatal(err)
	}
	if err := gob.NewEncoder(f).Encode(st); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()

	for _, name := range fileStorageDamageCases {
		t.Run(name, func(t *testing.T) {
			out, err := runFileStorageChild(dir, name)
			t.Logf("child output:\n%s", out)
			if err != nil {
				t.Fatalf("child process failed (a crash here is what the import must never do): %v", err)
			}
			if !strings.Contains(out, "FSIMPORT-RESULT") {
				t.Fatal("child did not run the case")
			}
		})
	}
}

func runFileStorageChild(dir, name string) (string, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestReadFileStorageDBDamaged$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), fsChildDirEnv+"="+dir, fsChildCaseEnv+"="+name)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// fileStorageDamageChild runs one damage case, in the child process.
func fileStorageDamageChild(t *testing.T) {
	dir, name := os.Getenv(fsChildDirEnv), os.Getenv(fsChildCaseEnv)
	orig, err := os.ReadFile(filepath.Join(dir, "orig.db"))
	if err != nil {
		t.Fatal(err)
	}
	var st fsTestDB
	f, err := os.Open(filepath.Join(dir, "state.gob"))
	if err != nil {
		t.Fatal(err)
	}
	if err := gob.NewDecoder(f).Decode(&st); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()

	path := filepath.Join(dir, name+".db")
	ranges := damageFileStorageCopy(t, orig, name, path)

	start := time.Now()
	got, rerr := readFileStorageDB(path)
	elapsed := time.Since(start)

	damaged := func(off, n int64) bool {
		for _, r := range ranges {
			if off < r.End && r.Off < off+n {
				return true
			}
		}
		return false
	}
	// onlyDamagedDiffer: v differs from the committed value h only at bytes of the file that were damaged.
	onlyDamagedDiffer := func(h, v []byte) bool {
		if len(h) != len(v) || len(h) < 64 {
			return false
		}
		for from := 0; ; {
			i := bytes.Index(orig[from:], h)
			if i < 0 {
				return false
			}
			off := int64(from + i)
			ok := true
			for j := range h {
				if h[j] != v[j] && !damaged(off+int64(j), 1) {
					ok = false
					break
				}
			}
			if ok {
				return true
			}
			from += i + 1
		}
	}

	exact, explained := 0, 0
	for k, v := range got {
		hist, known := st.History[k]
		if !known {
			t.Errorf("key %q was never written", k)
			continue
		}
		matched := false
		for _, h := range hist {
			if bytes.Equal(h, v) {
				matched = true
				break
			}
		}
		if matched {
			exact++
			continue
		}
		if len(hist) == 1 && onlyDamagedDiffer(hist[0], v) {
			explained++
			continue
		}
		t.Errorf("key %q: value of %d bytes is no committed value and not explained by damaged bytes", k, len(v))
	}
	switch name {
	case "zeroLength":
		if !errors.Is(rerr, errFileStorageDBEmpty) {
			t.Errorf("zero-length file: err = %v", rerr)
		}
	case "randomSameSize", "truncatedHalf", "branchPageID", "zeroHighestLivePage":
		if rerr == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if rerr != nil && got != nil && !errors.Is(rerr, errFileStorageDBDamaged) {
		t.Errorf("entries returned with a non-damage error: %v", rerr)
	}
	errLine := "<nil>"
	if rerr != nil {
		errLine = strings.SplitN(rerr.Error(), "\n", 2)[0]
	}
	fmt.Printf("FSIMPORT-RESULT case=%s entries=%d/%d exact=%d damagedValues=%d elapsed=%s err=%s\n",
		name, len(got), len(st.Final), exact, explained, elapsed.Round(time.Millisecond), errLine)
}
