// Package seglog is the storage engine of the queue_storage extension: a key-value store kept as
// an append-only log of checksummed frames in numbered segment files, one log per storage client,
// with an in-memory index from key to the frame that holds its value.
//
// It is made for the collector's persistent queue, which writes a record once, reads it once and
// deletes it, so segments empty in the order they were written and are removed whole: there is no
// background compaction. What it promises:
//   - A damaged file never stops it. Open verifies every frame, keeps the intact ones, copies the
//     live values out of damaged segments and moves those files aside for forensics; a value that
//     fails its checksum later is skipped (Get answers "not found") and counted.
//   - With Fsync, a Batch that stores a new key returns only after it is on disk; concurrent callers
//     share one fsync. Overwrites and deletes (the queue's read position, delivered records) are
//     synced within FlushInterval: a power cut can bring a delivered record back (a duplicate),
//     never lose an accepted one.
//   - Overwrites and deletes are never refused for lack of space: when the disk is full they are
//     held in memory and written with the next write that finds room, while new keys are refused
//     with storage.ErrStorageFull past the Budget or when the disk is full. A crash meanwhile can
//     only bring back a delivered record (the queue's positions are repaired at Open to cover
//     every record there is).
//   - Open moves the records a persistent queue had handed to its consumers back into the queue,
//     one frame each, so that the queue's own move at start (several batches) has nothing left
//     that a power cut could lose.
package seglog // import "github.com/unified-ot/otelcol-siem/extension/queuestorageextension/internal/seglog"

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
)

// Defaults of Options.
const (
	DefaultSegmentSize   = 16 << 20
	DefaultFlushInterval = time.Second
)

// reclaimRatio: an oldest segment whose current values are at most 1/reclaimRatio of its size has
// them copied forward so that it can go.
const reclaimRatio = 16

// ErrClosed is returned by a Log after Close.
var ErrClosed = errors.New("queue storage: closed")

// errChecksum is a frame that no longer matches its checksum.
var errChecksum = errors.New("checksum mismatch")

// Observer receives what the log's metrics count. Its methods must be cheap and safe for
// concurrent use.
type Observer interface {
	// Synced is one fsync of a segment and how long it took.
	Synced(d time.Duration)
	// Damaged is data that could not be read: frames (a damaged region counts as one) and bytes.
	Damaged(frames, bytes int64)
	// Refused is a write of new data refused for lack of space.
	Refused()
	// Deferred is an overwrite or delete held in memory because the disk was full.
	Deferred()
}

type nopObserver struct{}

func (nopObserver) Synced(time.Duration) {}
func (nopObserver) Damaged(int64, int64) {}
func (nopObserver) Refused()             {}
func (nopObserver) Deferred()            {}

// Options configure a Log.
type Options struct {
	// FS is the file system; nil means OSFS.
	FS FS
	// Dir is the log's own directory, created if missing.
	Dir string
	// AsideRoot is where damaged segment files are moved: AsideRoot/damaged-<UTC time>/Name/.
	AsideRoot string
	// Name names the log in AsideRoot and in log lines.
	Name string
	// Fsync makes every new key durable before Batch returns.
	Fsync bool
	// FlushInterval bounds how long an overwrite or delete stays unsynced with Fsync.
	FlushInterval time.Duration
	// SegmentSize is the size at which the log starts a new segment file.
	SegmentSize int64
	// Budget is the byte limit this log shares with the storage's other logs; nil means none.
	Budget   *Budget
	Logger   *zap.Logger
	Observer Observer
	// Now is the clock of frame times; nil means time.Now.
	Now func() time.Time
}

// Budget is a byte limit shared by the logs of one storage. Max 0 means no limit.
type Budget struct {
	max  int64
	used atomic.Int64
}

// NewBudget returns a budget of max bytes (0: unlimited).
func NewBudget(max int64) *Budget { return &Budget{max: max} }

// Used is the bytes the logs hold on disk.
func (b *Budget) Used() int64 { return b.used.Load() }

// fits reports whether n more bytes stay within the limit.
func (b *Budget) fits(n int64) bool {
	return b == nil || b.max == 0 || b.used.Load()+n <= b.max
}

func (b *Budget) add(n int64) {
	if b != nil {
		b.used.Add(n)
	}
}

type segment struct {
	id      uint64
	path    string
	f       File
	size    int64
	live    int64 // bytes of the keys and values that are still current
	damaged bool  // moved aside rather than deleted when it goes
}

// entry is where the current value of a key is: a frame in a segment, or, while the disk is full,
// memory (seg is nil and mem holds the value). A value in memory pins the segment holding the
// key's last value on disk, so that segment stays until the new value is written.
type entry struct {
	seg      *segment
	mem      []byte
	pin      *segment
	pinBytes int64
	frameOff int64
	frameLen int32
	valOff   int32 // from the frame's start
	valLen   int32
	at       int64 // write time, Unix ns
}

func (e entry) liveBytes(key string) int64 { return int64(e.valLen) + int64(len(key)) }

// unlink takes e's bytes off its segment's live count.
func (e entry) unlink(key string) {
	if e.seg != nil {
		e.seg.live -= e.liveBytes(key)
	}
	if e.pin != nil {
		e.pin.live -= e.pinBytes
	}
}

// Log is one client's key-value store. It is safe for concurrent use.
type Log struct {
	opts Options
	fs   FS
	log  *zap.Logger
	obs  Observer

	mu    sync.Mutex
	index map[string]entry
	// deferred holds the keys whose last write (a set in index, or a delete) is only in memory.
	deferred map[string]bool
	segs     []*segment // by id; the last one is appended to
	pos      int64      // bytes appended since Open (group commit compares positions)
	buf      []byte
	writes   []writeOp
	closed   bool

	syncMu sync.Mutex
	synced atomic.Int64

	lastAside string // the folder damaged files last went to

	closeOnce sync.Once
	stopFlush chan struct{}
	flushDone chan struct{}
}

// Stats is what the log's gauges report.
type Stats struct {
	DiskBytes int64
	// Records counts the keys, less a persistent queue's positions.
	Records  int
	Segments int
	// Oldest is the write time of the oldest current value (zero when there is none).
	Oldest time.Time
}

// Open opens (or creates) the log in opts.Dir, recovering what it can from damaged files.
func Open(opts Options) (*Log, error) {
	if opts.FS == nil {
		opts.FS = OSFS{}
	}
	if opts.SegmentSize <= 0 {
		opts.SegmentSize = DefaultSegmentSize
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := &Log{opts: opts, fs: opts.FS, log: opts.Logger, obs: opts.Observer, index: map[string]entry{}, deferred: map[string]bool{}}
	_, err := l.fs.ReadDir(opts.Dir)
	existed := err == nil
	if err := l.fs.MkdirAll(opts.Dir); err != nil {
		return nil, err
	}
	if err := l.recover(existed); err != nil {
		l.closeFiles()
		return nil, err
	}
	if opts.Fsync {
		l.stopFlush, l.flushDone = make(chan struct{}), make(chan struct{})
		go l.flushLoop()
	}
	return l, nil
}

// damage is what Open found unreadable.
type damage struct {
	frames, bytes int64
	missing       []uint64 // ids of segments absent between present ones
	unreadable    []string // segment files that could not be opened or read
	maxID         uint64   // the highest id of a damaged, missing or unreadable segment
}

func (d *damage) any() bool {
	return d.frames > 0 || d.bytes > 0 || len(d.missing) > 0 || len(d.unreadable) > 0
}

func (d *damage) mark(id uint64) { d.maxID = max(d.maxID, id) }

// recover loads every segment, then repairs what damage it found. existed says whether the log's
// directory was there before Open: a log always keeps a segment, so one with none lost them all.
func (l *Log) recover(existed bool) error {
	names, err := l.fs.ReadDir(l.opts.Dir)
	if err != nil {
		return err
	}
	var ids []uint64
	for _, name := range names {
		if id, ok := parseSegName(name); ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	var d damage
	if existed && len(ids) == 0 {
		d.missing = append(d.missing, 0)
	}
	for i, id := range ids {
		if i > 0 {
			for gap := ids[i-1] + 1; gap < id; gap++ {
				d.missing = append(d.missing, gap)
				d.mark(gap)
			}
		}
		seg, err := l.load(id, &d)
		if err != nil {
			d.unreadable = append(d.unreadable, filepath.Join(l.opts.Dir, segName(id)))
			d.mark(id)
			l.log.Error("queue storage: cannot read segment", zap.String("path", filepath.Join(l.opts.Dir, segName(id))), zap.Error(err))
			continue
		}
		if seg.damaged {
			d.mark(id)
		}
		l.segs = append(l.segs, seg)
		l.opts.Budget.add(seg.size)
	}
	// Append to the last segment only if it is the last file, intact, and has room.
	if n := len(l.segs); n == 0 || l.segs[n-1].id != ids[len(ids)-1] || l.segs[n-1].damaged || l.segs[n-1].size >= l.opts.SegmentSize {
		next := uint64(1)
		if len(ids) > 0 {
			next = ids[len(ids)-1] + 1
		}
		if err := l.addSegment(next); err != nil {
			return err
		}
	}
	if err := l.repairQueueMeta(); err != nil {
		return err
	}
	l.requeueDispatched()
	if !d.any() {
		l.reclaim()
		return nil
	}
	d.frames += int64(len(d.missing)) // a missing segment held at least one record
	l.obs.Damaged(d.frames, d.bytes)
	fields := []zap.Field{zap.String("path", l.opts.Dir), zap.Int64("damaged_frames", d.frames),
		zap.Int64("damaged_bytes", d.bytes), zap.Int("live_records", len(l.index))}
	if len(d.missing) > 0 {
		fields = append(fields, zap.Int("missing_segments", len(d.missing)))
	}
	if err := l.rewriteThrough(d.maxID); err != nil {
		return err
	}
	aside := ""
	for _, p := range d.unreadable {
		aside = l.moveAside(p)
	}
	if aside == "" {
		aside = l.lastAside
	}
	fields = append(fields, zap.String("moved_aside_to", aside))
	l.log.Error("queue storage: damaged data found; intact records kept, damaged files moved aside", fields...)
	l.reclaim()
	return nil
}

// load reads segment id whole and indexes its intact frames.
func (l *Log) load(id uint64, d *damage) (*segment, error) {
	path := filepath.Join(l.opts.Dir, segName(id))
	f, err := l.fs.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	size, err := f.Size()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	b := make([]byte, size)
	if n, err := f.ReadAt(b, 0); err != nil && !(errors.Is(err, io.EOF) && int64(n) == size) {
		_ = f.Close()
		return nil, err
	}
	seg := &segment{id: id, path: path, f: f, size: size}
	off := 0
	if validSegHeader(b, id) {
		off = segHeaderLen
	} else {
		// The header alone is not a lost record: count its bytes, then look for frames.
		seg.damaged = true
		next := nextFrame(b, 0)
		if next < 0 {
			next = len(b)
		}
		d.bytes += int64(next)
		if next > segHeaderLen {
			d.frames++
		}
		off = next
	}
	for off < len(b) {
		n := frameAt(b[off:])
		var writes []writeOp
		var at int64
		ok := n > 0
		if ok {
			at, writes, ok = decodeFrame(b[off:off+n], l.writes[:0])
		}
		if !ok {
			next := nextFrame(b, off+1)
			if next < 0 {
				next = len(b)
			}
			d.frames++
			d.bytes += int64(next - off)
			seg.damaged = true
			off = next
			continue
		}
		l.apply(seg, int64(off), n, at, writes)
		off += n
	}
	return seg, nil
}

// apply points the index at the writes of the frame at off in seg.
func (l *Log) apply(seg *segment, off int64, n int, at int64, writes []writeOp) {
	for _, w := range writes {
		if old, ok := l.index[w.key]; ok {
			old.unlink(w.key)
		}
		delete(l.deferred, w.key) // this write supersedes one held in memory
		if w.kind == opDelete {
			delete(l.index, w.key)
			continue
		}
		e := entry{seg: seg, frameOff: off, frameLen: int32(n), valOff: int32(w.valOff), valLen: int32(w.valLen), at: at}
		l.index[w.key] = e
		seg.live += e.liveBytes(w.key)
	}
}

func (l *Log) active() *segment { return l.segs[len(l.segs)-1] }

// addSegment creates segment id and makes it the one appended to.
func (l *Log) addSegment(id uint64) error {
	path := filepath.Join(l.opts.Dir, segName(id))
	f, err := l.fs.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	hdr := appendSegHeader(nil, id)
	if _, err := f.WriteAt(hdr, 0); err != nil {
		_ = f.Close()
		_ = l.fs.Remove(path)
		return err
	}
	if l.opts.Fsync {
		if err := l.fs.SyncDir(l.opts.Dir); err != nil {
			_ = f.Close()
			_ = l.fs.Remove(path)
			return err
		}
	}
	l.segs = append(l.segs, &segment{id: id, path: path, f: f, size: segHeaderLen})
	l.opts.Budget.add(segHeaderLen)
	l.pos += segHeaderLen
	return nil
}

// write appends one frame, starting a new segment first when the active one is full. On failure
// the segment is cut back, so a half-written frame never stays. Callers hold mu.
func (l *Log) write(frame []byte) (*segment, int64, error) {
	if seg := l.active(); seg.size >= l.opts.SegmentSize {
		if l.opts.Fsync {
			if err := l.syncSegment(seg); err != nil {
				return nil, 0, err
			}
		}
		if err := l.addSegment(seg.id + 1); err != nil {
			if isNoSpace(err) {
				err = fmt.Errorf("%w: %w", storage.ErrStorageFull, err)
			}
			return nil, 0, err
		}
	}
	seg := l.active()
	off := seg.size
	if _, err := seg.f.WriteAt(frame, off); err != nil {
		_ = seg.f.Truncate(off)
		if isNoSpace(err) {
			err = fmt.Errorf("%w: %w", storage.ErrStorageFull, err)
		}
		return nil, 0, err
	}
	seg.size += int64(len(frame))
	l.pos += int64(len(frame))
	l.opts.Budget.add(int64(len(frame)))
	return seg, off, nil
}

// store writes ops as one frame stamped at and points the index at it. Callers hold mu.
func (l *Log) store(at int64, ops ...*storage.Operation) error {
	frame, writes := appendFrame(nil, at, ops, nil)
	seg, off, err := l.write(frame)
	if err != nil {
		return err
	}
	l.apply(seg, off, len(frame), at, writes)
	return nil
}

func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// syncSegment fsyncs seg, which holds everything appended so far when it is the active one.
func (l *Log) syncSegment(seg *segment) error {
	pos := l.pos
	start := time.Now()
	err := seg.f.Sync()
	l.obs.Synced(time.Since(start))
	if err == nil && seg == l.active() {
		storeMax(&l.synced, pos)
	}
	return err
}

func storeMax(v *atomic.Int64, n int64) {
	for {
		old := v.Load()
		if old >= n || v.CompareAndSwap(old, n) {
			return
		}
	}
}

// Batch applies ops in order, as one frame: the writes land together or not at all, and each Get
// sees the writes before it.
func (l *Log) Batch(ops ...*storage.Operation) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	l.writeDeferred()
	writes, newData := 0, false
	for i, op := range ops {
		switch op.Type {
		case storage.Get:
			op.Value = l.getLocked(op.Key, ops[:i])
		case storage.Set:
			writes++
			if _, ok := l.index[op.Key]; !ok {
				newData = true
			}
		case storage.Delete:
			writes++
		}
	}
	if writes == 0 {
		l.mu.Unlock()
		return nil
	}
	at := l.opts.Now().UnixNano()
	l.buf, l.writes = appendFrame(l.buf[:0], at, ops, l.writes[:0])
	n := int64(len(l.buf))
	if n > maxFrameLen {
		l.mu.Unlock()
		return fmt.Errorf("queue storage: a batch of %d bytes is larger than the %d a frame may hold", n, maxFrameLen)
	}
	if newData && !l.opts.Budget.fits(n) {
		l.mu.Unlock()
		l.obs.Refused()
		return fmt.Errorf("%w: max_size reached", storage.ErrStorageFull)
	}
	seg, off, err := l.write(l.buf)
	if err != nil {
		if !newData && errors.Is(err, storage.ErrStorageFull) {
			l.deferWrites(ops, at)
			l.reclaim()
			l.mu.Unlock()
			return nil
		}
		l.mu.Unlock()
		if errors.Is(err, storage.ErrStorageFull) {
			l.obs.Refused()
		}
		return err
	}
	l.apply(seg, off, int(n), at, l.writes)
	pos := l.pos
	l.reclaim()
	l.mu.Unlock()
	if l.opts.Fsync && newData {
		return l.syncThrough(pos)
	}
	return nil
}

// deferWrites applies the writes among ops in memory only, for writeDeferred to store later.
func (l *Log) deferWrites(ops []*storage.Operation, at int64) {
	for _, op := range ops {
		if op.Type != storage.Set && op.Type != storage.Delete {
			continue
		}
		old, had := l.index[op.Key]
		if op.Type == storage.Delete {
			// Losing a delete in a crash only brings a delivered record back: nothing to pin.
			old.unlink(op.Key)
			delete(l.index, op.Key)
			l.deferred[op.Key] = true
			continue
		}
		e := entry{mem: slices.Clone(op.Value), valLen: int32(len(op.Value)), at: at}
		switch {
		case had && old.seg != nil:
			e.pin, e.pinBytes = old.seg, old.liveBytes(op.Key)
		case had:
			e.pin, e.pinBytes = old.pin, old.pinBytes
		}
		l.index[op.Key] = e
		l.deferred[op.Key] = true
	}
	l.obs.Deferred()
}

// writeDeferred stores the writes held in memory, if there is room now. Callers hold mu.
func (l *Log) writeDeferred() {
	if len(l.deferred) == 0 {
		return
	}
	ops := make([]*storage.Operation, 0, len(l.deferred))
	for k := range l.deferred {
		if e, ok := l.index[k]; ok {
			ops = append(ops, storage.SetOperation(k, e.mem))
		} else {
			ops = append(ops, storage.DeleteOperation(k))
		}
	}
	if l.store(l.opts.Now().UnixNano(), ops...) == nil {
		clear(l.deferred)
	}
}

// Get returns the value of key, or nil if it has none (or its value was damaged).
func (l *Log) Get(key string) ([]byte, error) {
	op := storage.GetOperation(key)
	err := l.Batch(op)
	return op.Value, err
}

// getLocked returns key's value as the writes among earlier (ops of the same batch) left it.
func (l *Log) getLocked(key string, earlier []*storage.Operation) []byte {
	for i := len(earlier) - 1; i >= 0; i-- {
		if op := earlier[i]; op.Key == key {
			switch op.Type {
			case storage.Set:
				return slices.Clone(op.Value)
			case storage.Delete:
				return nil
			}
		}
	}
	e, ok := l.index[key]
	if !ok {
		return nil
	}
	v, err := l.read(e)
	if err != nil {
		l.dropDamaged(key, e, err)
		return nil
	}
	return v
}

// read returns the value e points to, after checking its frame.
func (l *Log) read(e entry) ([]byte, error) {
	if e.seg == nil {
		return slices.Clone(e.mem), nil
	}
	b := make([]byte, e.frameLen)
	if _, err := e.seg.f.ReadAt(b, e.frameOff); err != nil {
		return nil, err
	}
	if frameAt(b) != len(b) {
		return nil, errChecksum
	}
	return b[e.valOff : e.valOff+e.valLen : e.valOff+e.valLen], nil
}

// dropDamaged forgets a key whose value cannot be read, counts it and says so once.
func (l *Log) dropDamaged(key string, e entry, err error) {
	delete(l.index, key)
	e.unlink(key)
	e.seg.damaged = true
	l.obs.Damaged(1, int64(e.frameLen))
	l.log.Error("queue storage: a record cannot be read and is skipped",
		zap.String("path", e.seg.path), zap.Int64("offset", e.frameOff), zap.String("key", key), zap.Error(err))
}

// syncThrough returns once everything up to position pos is on disk. Concurrent callers share one
// fsync: whoever syncs covers everything appended before it started.
func (l *Log) syncThrough(pos int64) error {
	if l.synced.Load() >= pos {
		return nil
	}
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	if l.synced.Load() >= pos {
		return nil
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	seg, target := l.active(), l.pos
	l.mu.Unlock()
	start := time.Now()
	err := seg.f.Sync()
	l.obs.Synced(time.Since(start))
	if err != nil {
		if l.synced.Load() >= pos { // a segment switch synced it meanwhile
			return nil
		}
		return err
	}
	storeMax(&l.synced, target)
	return nil
}

func (l *Log) flushLoop() {
	defer close(l.flushDone)
	t := time.NewTicker(l.opts.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-l.stopFlush:
			return
		case <-t.C:
			l.mu.Lock()
			l.writeDeferred()
			pos := l.pos
			l.mu.Unlock()
			if err := l.syncThrough(pos); err != nil && !errors.Is(err, ErrClosed) {
				l.log.Warn("queue storage: periodic sync failed", zap.String("path", l.opts.Dir), zap.Error(err))
			}
		}
	}
}

// reclaim removes the oldest segments while they hold nothing current, and copies the few current
// values out of an oldest segment that is mostly garbage. Only the oldest segment ever goes, so
// a delete never disappears while an older segment still holds the value it deleted.
func (l *Log) reclaim() {
	for len(l.segs) > 1 {
		s := l.segs[0]
		if s.live > 0 {
			// A queue drains its oldest segment in order: copy only what is clearly stuck there.
			if s.live*reclaimRatio > s.size-segHeaderLen {
				return
			}
			if err := l.rewriteThrough(s.id); err != nil {
				if !errors.Is(err, storage.ErrStorageFull) {
					l.log.Warn("queue storage: cannot reclaim a segment", zap.String("path", s.path), zap.Error(err))
				}
				return
			}
			continue
		}
		// An overwrite that emptied s may not be synced yet: sync it before s goes.
		if l.opts.Fsync && l.synced.Load() < l.pos {
			if err := l.syncSegment(l.active()); err != nil {
				return
			}
		}
		l.dropOldest()
	}
}

// rewriteThrough copies the current values held in segments up to id maxID to the end of the log,
// makes the copies durable, then removes those segments (moving damaged ones aside).
func (l *Log) rewriteThrough(maxID uint64) error {
	if l.writeDeferred(); len(l.deferred) > 0 {
		return fmt.Errorf("%w: writes held in memory", storage.ErrStorageFull)
	}
	type moved struct {
		key string
		e   entry
	}
	var move []moved
	for k, e := range l.index {
		if e.seg != nil && e.seg.id <= maxID {
			move = append(move, moved{k, e})
		}
	}
	slices.SortFunc(move, func(a, b moved) int {
		if c := cmp.Compare(a.e.seg.id, b.e.seg.id); c != 0 {
			return c
		}
		return cmp.Compare(a.e.frameOff, b.e.frameOff)
	})
	for _, m := range move {
		v, err := l.read(m.e)
		if err != nil {
			l.dropDamaged(m.key, m.e, err)
			continue
		}
		if err := l.store(m.e.at, storage.SetOperation(m.key, v)); err != nil {
			return err
		}
	}
	if len(move) > 0 {
		if err := l.syncSegment(l.active()); err != nil {
			return err
		}
	}
	for len(l.segs) > 1 && l.segs[0].id <= maxID {
		l.dropOldest()
	}
	return nil
}

// dropOldest closes and removes the oldest segment, or moves it aside if it was damaged.
func (l *Log) dropOldest() {
	s := l.segs[0]
	l.segs = l.segs[1:]
	_ = s.f.Close()
	l.opts.Budget.add(-s.size)
	if s.damaged {
		l.moveAside(s.path)
	} else if err := l.fs.Remove(s.path); err != nil {
		l.log.Warn("queue storage: cannot remove a segment", zap.String("path", s.path), zap.Error(err))
	}
	if l.opts.Fsync {
		_ = l.fs.SyncDir(l.opts.Dir)
	}
}

// AsideDir is where damaged files of client name found at t go: root/damaged-<UTC time>/name.
func AsideDir(root string, t time.Time, name string) string {
	return filepath.Join(root, "damaged-"+t.UTC().Format("20060102T150405Z"), name)
}

// moveAside moves a damaged file to AsideDir and returns that folder.
func (l *Log) moveAside(path string) string {
	dir := AsideDir(l.opts.AsideRoot, l.opts.Now(), l.opts.Name)
	err := l.fs.MkdirAll(dir)
	if err == nil {
		err = l.fs.Rename(path, filepath.Join(dir, filepath.Base(path)))
	}
	if err != nil {
		l.log.Error("queue storage: cannot move a damaged file aside; removing it", zap.String("path", path), zap.Error(err))
		_ = l.fs.Remove(path)
		return ""
	}
	l.lastAside = dir
	return dir
}

// Stats reports the log's size and contents.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := Stats{Segments: len(l.segs), DiskBytes: l.diskBytes()}
	var oldest int64
	for k, e := range l.index {
		if k == queueMetaKey { // the queue's positions are not a record
			continue
		}
		st.Records++
		if oldest == 0 || e.at < oldest {
			oldest = e.at
		}
	}
	if oldest != 0 {
		st.Oldest = time.Unix(0, oldest)
	}
	return st
}

// Close syncs and closes the log. Its files stay.
func (l *Log) Close() error {
	l.closeOnce.Do(func() {
		if l.stopFlush != nil {
			close(l.stopFlush)
			<-l.flushDone
		}
	})
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	l.writeDeferred()
	err := l.active().f.Sync()
	l.closeFiles()
	l.opts.Budget.add(-l.diskBytes())
	return err
}

func (l *Log) diskBytes() int64 {
	var n int64
	for _, s := range l.segs {
		n += s.size
	}
	return n
}

func (l *Log) closeFiles() {
	for _, s := range l.segs {
		_ = s.f.Close()
	}
}

// Import stores ops (Sets) in frames of about a segment's size each and syncs them, whatever
// Fsync says: the caller removes their source next.
func (l *Log) Import(ops []*storage.Operation) error {
	for len(ops) > 0 {
		n, size := 0, int64(0)
		for n < len(ops) && (n == 0 || size+int64(len(ops[n].Value)) < l.opts.SegmentSize/2) {
			size += int64(len(ops[n].Value))
			n++
		}
		if err := l.Batch(ops[:n]...); err != nil {
			return err
		}
		ops = ops[n:]
	}
	// The imported queue may list records its consumers had not finished.
	l.mu.Lock()
	if !l.closed {
		l.requeueDispatched()
	}
	l.mu.Unlock()
	return l.Sync()
}

// Sync makes everything written so far durable.
func (l *Log) Sync() error {
	l.mu.Lock()
	pos := l.pos
	l.mu.Unlock()
	return l.syncThrough(pos)
}
