package seglog

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// faultFS is an in-memory FS that models what a Linux file system (ext4) keeps after a power cut.
//
//   - Every file (inode) has its current content and its durable content: what its last Sync
//     captured. A Sync makes the content the file had when Sync was called durable once it returns.
//   - Creating, removing and renaming a directory entry changes the current namespace at once and
//     the durable namespace only at SyncDir of the directory concerned (both directories for a
//     rename). Directories themselves are durable as soon as MkdirAll returns (a simplification:
//     the log never removes one).
//   - Crash(rng) returns a new faultFS holding what a power cut may leave: the durable namespace
//     plus none, a prefix (journal order), or a random subset of the unsynced directory operations;
//     for each file its durable content plus, at rng's choice, a prefix of the unsynced data, a
//     size that grew without its data (zeros) and a zero-filled or garbage block somewhere in the
//     unsynced region.
//   - A byte limit (0: none), changeable at run time: a WriteAt that would grow the files past it
//     writes what fits and fails with ENOSPC, and creating a file fails with ENOSPC when full.
//   - CrashAt arms a crash at the n-th mutating operation (before the operation takes effect); the
//     file system then keeps running as if nothing happened, and CrashResult returns the image.
type faultFS struct {
	mu      sync.Mutex
	dirs    map[string]bool
	cur     map[string]*ffInode // the namespace as the running system sees it
	durable map[string]*ffInode // the namespace as of the last SyncDir of each directory
	pending []ffDirOp           // namespace changes not yet durable, in order
	inodes  map[*ffInode]bool   // every inode that is linked or open
	limit   int64

	syncDelay time.Duration

	syncs, dirSyncs atomic.Int64
	written         atomic.Int64 // bytes written by WriteAt

	ops       int64 // mutating operations so far
	dirOps    int64 // of which creations, removals, renames and SyncDirs
	crashAt   int64
	crashDir  bool // crashAt counts dirOps
	crashRng  *rand.Rand
	crashImg  *faultFS
	crashed   atomic.Bool
	crashedOp string
}

type ffInode struct {
	data      []byte // current content
	durable   []byte // content as of the last completed Sync
	dirtyFrom int    // data and durable are equal before this offset
	nlink     int
	open      int
	seq       uint64 // bumped by each change of data
	syncedSeq uint64 // seq of the content durable holds
	syncMu    sync.Mutex
}

type ffDirOpKind int

const (
	ffCreate ffDirOpKind = iota
	ffRemove
	ffRename
)

type ffDirOp struct {
	kind     ffDirOpKind
	path, to string
	ino      *ffInode
}

func (op ffDirOp) touches(dir string) bool {
	return filepath.Dir(op.path) == dir || (op.kind == ffRename && filepath.Dir(op.to) == dir)
}

func (op ffDirOp) apply(ns map[string]*ffInode) {
	switch op.kind {
	case ffCreate:
		ns[op.path] = op.ino
	case ffRemove:
		if ns[op.path] == op.ino {
			delete(ns, op.path)
		}
	case ffRename:
		if ns[op.path] == op.ino {
			delete(ns, op.path)
		}
		ns[op.to] = op.ino
	}
}

func newFaultFS() *faultFS {
	return &faultFS{
		dirs:    map[string]bool{"/": true, ".": true},
		cur:     map[string]*ffInode{},
		durable: map[string]*ffInode{},
		inodes:  map[*ffInode]bool{},
	}
}

// SetLimit sets the byte limit of the file system (0: none).
func (fs *faultFS) SetLimit(n int64) {
	fs.mu.Lock()
	fs.limit = n
	fs.mu.Unlock()
}

// Limit returns the byte limit.
func (fs *faultFS) Limit() int64 {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.limit
}

// Used is the bytes the files (linked or still open) hold.
func (fs *faultFS) Used() int64 {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.usedLocked()
}

func (fs *faultFS) usedLocked() int64 {
	var n int64
	for ino := range fs.inodes {
		n += int64(len(ino.data))
	}
	return n
}

// SetSyncDelay makes every file Sync take d (outside the file system's lock).
func (fs *faultFS) SetSyncDelay(d time.Duration) {
	fs.mu.Lock()
	fs.syncDelay = d
	fs.mu.Unlock()
}

// Syncs is the number of File.Sync calls; DirSyncs of SyncDir calls; Written the bytes written.
func (fs *faultFS) Syncs() int64    { return fs.syncs.Load() }
func (fs *faultFS) DirSyncs() int64 { return fs.dirSyncs.Load() }
func (fs *faultFS) Written() int64  { return fs.written.Load() }

// Ops is the number of mutating operations so far.
func (fs *faultFS) Ops() int64 {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.ops
}

// CrashAt arms a power cut just before the n-th mutating operation from now (n >= 1).
func (fs *faultFS) CrashAt(n int64, rng *rand.Rand) {
	fs.mu.Lock()
	fs.crashAt, fs.crashRng, fs.crashDir = fs.ops+n, rng, false
	fs.mu.Unlock()
}

// CrashAtDirOp arms a power cut just before the n-th directory operation from now (creation,
// removal, rename, SyncDir), where the rare steps of a log are: rotation, reclaim, moving aside.
func (fs *faultFS) CrashAtDirOp(n int64, rng *rand.Rand) {
	fs.mu.Lock()
	fs.crashAt, fs.crashRng, fs.crashDir = fs.dirOps+n, rng, true
	fs.mu.Unlock()
}

// Crashed reports whether the armed power cut happened.
func (fs *faultFS) Crashed() bool { return fs.crashed.Load() }

// CrashResult returns the image of the armed power cut and the operation it preceded.
func (fs *faultFS) CrashResult() (*faultFS, string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.crashImg, fs.crashedOp
}

// tick counts a mutating operation and takes the armed crash image before it. Callers hold mu.
func (fs *faultFS) tick(what string) {
	fs.ops++
	n := fs.ops
	if strings.HasPrefix(what, "create ") || strings.HasPrefix(what, "remove ") ||
		strings.HasPrefix(what, "rename ") || strings.HasPrefix(what, "syncdir ") {
		fs.dirOps++
		if fs.crashDir {
			n = fs.dirOps
		}
	} else if fs.crashDir {
		return
	}
	if fs.crashAt > 0 && n == fs.crashAt && !fs.crashed.Load() {
		fs.crashImg = fs.crashLocked(fs.crashRng)
		fs.crashedOp = what
		fs.crashed.Store(true)
	}
}

// Crash returns what a power cut now would leave on disk, as a new faultFS with no limit.
func (fs *faultFS) Crash(rng *rand.Rand) *faultFS {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.crashLocked(rng)
}

func (fs *faultFS) crashLocked(rng *rand.Rand) *faultFS {
	ns := make(map[string]*ffInode, len(fs.durable))
	for p, ino := range fs.durable {
		ns[p] = ino
	}
	switch rng.IntN(3) {
	case 0: // no unsynced directory operation survives
	case 1: // a prefix of them does, as a journal commits them in order
		for _, op := range fs.pending[:rng.IntN(len(fs.pending)+1)] {
			op.apply(ns)
		}
	default: // any subset does
		for _, op := range fs.pending {
			if rng.IntN(2) == 0 {
				op.apply(ns)
			}
		}
	}
	out := newFaultFS()
	for d := range fs.dirs {
		out.dirs[d] = true
	}
	paths := make([]string, 0, len(ns))
	for p := range ns {
		paths = append(paths, p)
	}
	slices.Sort(paths) // rng draws in a fixed order
	made := map[*ffInode]*ffInode{}
	for _, p := range paths {
		old := ns[p]
		ino, ok := made[old]
		if !ok {
			data := crashContent(old, rng)
			ino = &ffInode{data: data, durable: slices.Clone(data), dirtyFrom: len(data)}
			made[old] = ino
			out.inodes[ino] = true
		}
		ino.nlink++
		out.cur[p] = ino
		out.durable[p] = ino
	}
	return out
}

// crashContent is what a power cut leaves of a file's content.
func crashContent(ino *ffInode, rng *rand.Rand) []byte {
	dur, cur := ino.durable, ino.data
	d := ffFirstDiff(dur, cur)
	hi := max(len(dur), len(cur))
	if d == hi {
		return slices.Clone(dur)
	}
	var n int // the size the file ends up with
	switch rng.IntN(4) {
	case 0:
		n = len(dur)
	case 1:
		n = len(cur)
	default:
		n = d + rng.IntN(hi-d+1)
	}
	out := make([]byte, n) // beyond the durable content: zeros (size grew, data not written)
	copy(out, dur)
	// A prefix of the unsynced data reached the disk.
	if top := min(n, len(cur)); top > d {
		p := top
		if rng.IntN(3) != 0 {
			p = d + rng.IntN(top-d+1)
		}
		copy(out[d:p], cur[d:p])
	}
	// A block of the unsynced region holds zeros or garbage.
	if n > d && rng.IntN(3) == 0 {
		const sector = 512
		start := d + rng.IntN(n-d)
		start -= start % sector
		start = max(start, d)
		end := min(n, start+sector*(1+rng.IntN(8)))
		if rng.IntN(2) == 0 {
			clear(out[start:end])
		} else {
			for i := start; i < end; i++ {
				out[i] = byte(rng.Uint32())
			}
		}
	}
	return out
}

func ffFirstDiff(a, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; {
		j := min(n, i+4096)
		if !bytes.Equal(a[i:j], b[i:j]) {
			for ; i < j; i++ {
				if a[i] != b[i] {
					return i
				}
			}
		}
		i = j
	}
	return n
}

func ffErr(op, path string, err error) error { return &os.PathError{Op: op, Path: path, Err: err} }

func (fs *faultFS) OpenFile(name string, flag int, _ os.FileMode) (File, error) {
	name = filepath.Clean(name)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	ino, ok := fs.cur[name]
	switch {
	case ok && flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0:
		return nil, ffErr("open", name, syscall.EEXIST)
	case ok:
		if flag&os.O_TRUNC != 0 && len(ino.data) > 0 {
			fs.tick("truncate-on-open " + name)
			ino.data = ino.data[:0:0]
			ino.dirtyFrom = 0
			ino.seq++
		}
	case flag&os.O_CREATE == 0:
		return nil, ffErr("open", name, syscall.ENOENT)
	case !fs.dirs[filepath.Dir(name)]:
		return nil, ffErr("open", name, syscall.ENOENT)
	case fs.limit > 0 && fs.usedLocked() >= fs.limit:
		return nil, ffErr("open", name, syscall.ENOSPC)
	default:
		fs.tick("create " + name)
		ino = &ffInode{nlink: 1}
		fs.inodes[ino] = true
		fs.cur[name] = ino
		fs.pending = append(fs.pending, ffDirOp{kind: ffCreate, path: name, ino: ino})
	}
	ino.open++
	fs.inodes[ino] = true
	return &ffFile{fs: fs, ino: ino, name: name}, nil
}

func (fs *faultFS) ReadDir(dir string) ([]string, error) {
	dir = filepath.Clean(dir)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if !fs.dirs[dir] {
		return nil, ffErr("open", dir, syscall.ENOENT)
	}
	var names []string
	for p := range fs.cur {
		if filepath.Dir(p) == dir {
			names = append(names, filepath.Base(p))
		}
	}
	for d := range fs.dirs {
		if d != dir && filepath.Dir(d) == dir {
			names = append(names, filepath.Base(d))
		}
	}
	slices.Sort(names)
	return names, nil
}

func (fs *faultFS) MkdirAll(dir string) error {
	dir = filepath.Clean(dir)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for d := dir; !fs.dirs[d]; d = filepath.Dir(d) {
		if _, ok := fs.cur[d]; ok {
			return ffErr("mkdir", d, syscall.ENOTDIR)
		}
		fs.dirs[d] = true
	}
	return nil
}

func (fs *faultFS) unlinkLocked(ino *ffInode) {
	ino.nlink--
	if ino.nlink == 0 && ino.open == 0 {
		delete(fs.inodes, ino)
	}
}

func (fs *faultFS) Remove(name string) error {
	name = filepath.Clean(name)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	ino, ok := fs.cur[name]
	if !ok {
		return ffErr("remove", name, syscall.ENOENT)
	}
	fs.tick("remove " + name)
	delete(fs.cur, name)
	fs.unlinkLocked(ino)
	fs.pending = append(fs.pending, ffDirOp{kind: ffRemove, path: name, ino: ino})
	return nil
}

func (fs *faultFS) Rename(oldpath, newpath string) error {
	oldpath, newpath = filepath.Clean(oldpath), filepath.Clean(newpath)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	ino, ok := fs.cur[oldpath]
	if !ok {
		return ffErr("rename", oldpath, syscall.ENOENT)
	}
	if !fs.dirs[filepath.Dir(newpath)] {
		return ffErr("rename", newpath, syscall.ENOENT)
	}
	if oldpath == newpath {
		return nil
	}
	fs.tick("rename " + oldpath)
	if old, ok := fs.cur[newpath]; ok {
		fs.unlinkLocked(old)
	}
	fs.cur[newpath] = ino
	delete(fs.cur, oldpath)
	fs.pending = append(fs.pending, ffDirOp{kind: ffRename, path: oldpath, to: newpath, ino: ino})
	return nil
}

func (fs *faultFS) SyncDir(dir string) error {
	dir = filepath.Clean(dir)
	fs.dirSyncs.Add(1)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if !fs.dirs[dir] {
		return ffErr("open", dir, syscall.ENOENT)
	}
	fs.tick("syncdir " + dir)
	rest := fs.pending[:0]
	for _, op := range fs.pending {
		if op.touches(dir) {
			op.apply(fs.durable)
		} else {
			rest = append(rest, op)
		}
	}
	clear(fs.pending[len(rest):])
	fs.pending = rest
	return nil
}

type ffFile struct {
	fs     *faultFS
	ino    *ffInode
	name   string
	closed bool
}

func (f *ffFile) ReadAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return 0, ffErr("read", f.name, os.ErrClosed)
	}
	if off < 0 {
		return 0, ffErr("read", f.name, syscall.EINVAL)
	}
	if off >= int64(len(f.ino.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.ino.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *ffFile) WriteAt(p []byte, off int64) (int, error) {
	fs := f.fs
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f.closed {
		return 0, ffErr("write", f.name, os.ErrClosed)
	}
	if off < 0 {
		return 0, ffErr("write", f.name, syscall.EINVAL)
	}
	ino := f.ino
	oldLen := int64(len(ino.data))
	n, full := int64(len(p)), false
	if end := off + n; fs.limit > 0 && end > oldLen {
		room := fs.limit - fs.usedLocked() // bytes the file may still grow by
		if end-oldLen > room {
			full = true
			n = max(0, min(n, oldLen+room-off))
		}
	}
	if n > 0 {
		fs.tick("write " + f.name)
		if end := off + n; end > oldLen {
			ino.data = slices.Grow(ino.data, int(end-oldLen))[:end]
			clear(ino.data[oldLen:end])
		}
		copy(ino.data[off:], p[:n])
		fs.written.Add(n)
		ino.dirtyFrom = min(ino.dirtyFrom, int(min(off, oldLen)))
		ino.seq++
	}
	if full {
		return int(n), ffErr("write", f.name, syscall.ENOSPC)
	}
	return int(n), nil
}

func (f *ffFile) Truncate(size int64) error {
	fs := f.fs
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f.closed {
		return ffErr("truncate", f.name, os.ErrClosed)
	}
	ino := f.ino
	oldLen := int64(len(ino.data))
	switch {
	case size < 0:
		return ffErr("truncate", f.name, syscall.EINVAL)
	case size == oldLen:
		return nil
	case size > oldLen && fs.limit > 0 && size-oldLen > fs.limit-fs.usedLocked():
		return ffErr("truncate", f.name, syscall.ENOSPC)
	}
	fs.tick("truncate " + f.name)
	if size < oldLen {
		ino.data = ino.data[:size]
	} else {
		ino.data = slices.Grow(ino.data, int(size-oldLen))[:size]
		clear(ino.data[oldLen:])
	}
	ino.dirtyFrom = min(ino.dirtyFrom, int(min(size, oldLen)))
	ino.seq++
	return nil
}

// Sync makes the content the file has now durable when it returns; a power cut during the
// (optionally slow) Sync finds it not yet durable.
func (f *ffFile) Sync() error {
	fs, ino := f.fs, f.ino
	fs.syncs.Add(1)
	ino.syncMu.Lock()
	defer ino.syncMu.Unlock()
	fs.mu.Lock()
	if f.closed {
		fs.mu.Unlock()
		return ffErr("sync", f.name, os.ErrClosed)
	}
	fs.tick("sync " + f.name)
	from := min(ino.dirtyFrom, len(ino.durable))
	tail := slices.Clone(ino.data[from:])
	seq := ino.seq
	delay := fs.syncDelay
	fs.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if seq > ino.syncedSeq || seq == 0 {
		// durable[:from] is still what data[:from] was when Sync began: only Syncs change durable,
		// and they are serialised by syncMu.
		ino.durable = append(ino.durable[:from], tail...)
		ino.syncedSeq = seq
		ino.dirtyFrom = from + ffFirstDiff(ino.durable[from:], ino.data[min(from, len(ino.data)):])
		ino.dirtyFrom = min(ino.dirtyFrom, len(ino.durable), len(ino.data))
	}
	return nil
}

func (f *ffFile) Size() (int64, error) {
	f.fs.mu.Lock()
	defer f.fs.mu.Unlock()
	if f.closed {
		return 0, ffErr("stat", f.name, os.ErrClosed)
	}
	return int64(len(f.ino.data)), nil
}

func (f *ffFile) Close() error {
	fs := f.fs
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f.closed {
		return ffErr("close", f.name, os.ErrClosed)
	}
	f.closed = true
	f.ino.open--
	if f.ino.open == 0 && f.ino.nlink == 0 {
		delete(fs.inodes, f.ino)
	}
	return nil
}

// TestFaultFSModel checks the fault file system itself: what a power cut keeps and loses, and
// the byte limit.
func TestFaultFSModel(t *testing.T) {
	t.Run("synced data and entries survive, unsynced may not", func(t *testing.T) {
		sawLostFile, sawLostTail, sawTail, sawDamage := false, false, false, false
		for seed := range uint64(400) {
			fs := newFaultFS()
			if err := fs.MkdirAll("/d"); err != nil {
				t.Fatal(err)
			}
			f, err := fs.OpenFile("/d/a", os.O_RDWR|os.O_CREATE, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			synced := bytes.Repeat([]byte{'s'}, 3000)
			mustWriteAt(t, f, synced, 0)
			if err := f.Sync(); err != nil {
				t.Fatal(err)
			}
			if err := fs.SyncDir("/d"); err != nil {
				t.Fatal(err)
			}
			tail := bytes.Repeat([]byte{'u'}, 5000)
			mustWriteAt(t, f, tail, 3000)
			g, err := fs.OpenFile("/d/b", os.O_RDWR|os.O_CREATE, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			mustWriteAt(t, g, []byte("hello"), 0)
			if err := g.Sync(); err != nil { // data synced, entry not
				t.Fatal(err)
			}

			img := fs.Crash(rand.New(rand.NewPCG(seed, 1)))
			a := ffContent(t, img, "/d/a")
			if len(a) < 3000 || !bytes.Equal(a[:3000], synced) {
				t.Fatalf("seed %d: synced content lost: %d bytes", seed, len(a))
			}
			if len(a) > 8000 {
				t.Fatalf("seed %d: file grew past what was written: %d", seed, len(a))
			}
			rest := a[3000:]
			if len(rest) == 0 {
				sawLostTail = true
			}
			if bytes.Equal(rest, tail) {
				sawTail = true
			}
			for _, c := range rest {
				if c != 'u' {
					sawDamage = true
					break
				}
			}
			if b := ffContent(t, img, "/d/b"); b == nil {
				sawLostFile = true
			} else if string(b) != "hello" {
				t.Fatalf("seed %d: synced content of b is %q", seed, b)
			}
		}
		if !sawLostFile || !sawLostTail || !sawTail || !sawDamage {
			t.Fatalf("crash model too tame: lost file %v, lost tail %v, whole tail %v, damage %v",
				sawLostFile, sawLostTail, sawTail, sawDamage)
		}
	})

	t.Run("removal and rename are durable only after SyncDir", func(t *testing.T) {
		sawBack := false
		for seed := range uint64(100) {
			fs := newFaultFS()
			for _, d := range []string{"/d", "/x"} {
				if err := fs.MkdirAll(d); err != nil {
					t.Fatal(err)
				}
			}
			for _, n := range []string{"/d/a", "/d/b"} {
				f, err := fs.OpenFile(n, os.O_RDWR|os.O_CREATE, 0o600)
				if err != nil {
					t.Fatal(err)
				}
				mustWriteAt(t, f, []byte(n), 0)
				if err := f.Sync(); err != nil {
					t.Fatal(err)
				}
				if err := f.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if err := fs.SyncDir("/d"); err != nil {
				t.Fatal(err)
			}
			if err := fs.Remove("/d/a"); err != nil {
				t.Fatal(err)
			}
			if err := fs.Rename("/d/b", "/x/b"); err != nil {
				t.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(seed, 2))
			img := fs.Crash(rng)
			if ffContent(t, img, "/d/a") != nil {
				sawBack = true
			}
			if err := fs.SyncDir("/d"); err != nil {
				t.Fatal(err)
			}
			img = fs.Crash(rng)
			if ffContent(t, img, "/d/a") != nil || ffContent(t, img, "/d/b") != nil {
				t.Fatalf("seed %d: synced removal or rename undone", seed)
			}
			if string(ffContent(t, img, "/x/b")) != "/d/b" {
				t.Fatalf("seed %d: renamed file lost", seed)
			}
		}
		if !sawBack {
			t.Fatal("an unsynced removal always survived")
		}
	})

	t.Run("limit", func(t *testing.T) {
		fs := newFaultFS()
		fs.SetLimit(100)
		f, err := fs.OpenFile("/a", os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		n, err := f.WriteAt(make([]byte, 60), 0)
		if n != 60 || err != nil {
			t.Fatalf("WriteAt = %d, %v", n, err)
		}
		n, err = f.WriteAt(make([]byte, 60), 60)
		if n != 40 || !isNoSpace(err) {
			t.Fatalf("WriteAt past the limit = %d, %v; want 40, ENOSPC", n, err)
		}
		if _, err := fs.OpenFile("/b", os.O_RDWR|os.O_CREATE, 0o600); !isNoSpace(err) {
			t.Fatalf("create on a full disk: %v", err)
		}
		fs.SetLimit(200)
		if _, err := f.WriteAt(make([]byte, 60), 100); err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(10); err != nil {
			t.Fatal(err)
		}
		if fs.Used() != 10 {
			t.Fatalf("Used = %d after truncate", fs.Used())
		}
	})
}

func mustWriteAt(t *testing.T, f File, p []byte, off int64) {
	t.Helper()
	if n, err := f.WriteAt(p, off); err != nil || n != len(p) {
		t.Fatalf("WriteAt: %d, %v", n, err)
	}
}

// ffContent returns the content of name in fs, or nil if it does not exist.
func ffContent(t *testing.T, fs *faultFS, name string) []byte {
	t.Helper()
	f, err := fs.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	size, _ := f.Size()
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	return b
}
