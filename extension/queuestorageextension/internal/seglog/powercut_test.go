package seglog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// pqDriver drives a Log the way exporterhelper's persistent queue (v0.165.0,
// internal/queue/persistent_queue.go) drives its storage client: the same batches, in the same
// order, with the same in-memory metadata updates (done before the batch, kept when it fails).
// Its mutex plays pq.mu: it is held across every batch, so the queue's batches never overlap.
type pqDriver struct {
	mu   sync.Mutex
	l    *Log
	meta queueMeta
	// errs are the batch errors the real queue would only log.
	errs []error
}

func pqKey(i uint64) string { return strconv.FormatUint(i, 10) }

func (q *pqDriver) logErr(what string, err error) {
	q.errs = append(q.errs, fmt.Errorf("%s: %w", what, err))
}

func (q *pqDriver) requestSize() int64 {
	return int64(q.meta.writeIndex-q.meta.readIndex) + int64(len(q.meta.dispatched))
}

// start is initClient: load qmv0 (or the legacy keys), re-enqueue the items left dispatched.
func (q *pqDriver) start() {
	buf, err := q.l.Get(queueMetaKey)
	switch {
	case err != nil:
		q.logErr("get metadata", err)
		q.meta = queueMeta{}
	case len(buf) > 0:
		m, ok := decodeQueueMeta(buf)
		if !ok {
			q.logErr("unmarshal metadata", errors.New("invalid"))
			q.meta = queueMeta{}
			return
		}
		q.meta = m
		q.enqueueNotDispatched(q.meta.dispatched)
		q.meta.dispatched = nil
	default: // loadLegacyMetadata
		ri, wi := storage.GetOperation("ri"), storage.GetOperation("wi")
		if err := q.l.Batch(ri, wi); err != nil || ri.Value == nil || wi.Value == nil {
			q.meta.readIndex, q.meta.writeIndex = 0, 0
		} else {
			q.meta.readIndex, q.meta.writeIndex = binary.LittleEndian.Uint64(ri.Value), binary.LittleEndian.Uint64(wi.Value)
		}
		if di, err := q.l.Get("di"); err == nil && len(di) > 0 { // retrieveAndEnqueueNotDispatchedReqs
			q.logErr("legacy dispatched items", errors.New("never written in this test"))
		}
		if err := q.l.Batch(storage.SetOperation(queueMetaKey, q.meta.encode())); err != nil {
			q.logErr("persist metadata", err)
			return
		}
		if err := q.l.Batch(storage.DeleteOperation("ri"), storage.DeleteOperation("wi"), storage.DeleteOperation("di")); err != nil {
			q.logErr("cleanup legacy keys", err)
		}
	}
}

func (q *pqDriver) enqueueNotDispatched(items []uint64) {
	if len(items) == 0 {
		return
	}
	retrieve := make([]*storage.Operation, len(items))
	cleanup := make([]*storage.Operation, len(items))
	for i, it := range items {
		retrieve[i] = storage.GetOperation(pqKey(it))
		cleanup[i] = storage.DeleteOperation(pqKey(it))
	}
	retrieveErr := q.l.Batch(retrieve...)
	if err := q.l.Batch(cleanup...); err != nil {
		q.logErr("cleanup dispatched", err)
	}
	if retrieveErr != nil {
		q.logErr("retrieve dispatched", retrieveErr)
		return
	}
	for _, op := range retrieve {
		if op.Value == nil {
			continue
		}
		if err := q.putInternal(op.Value); err != nil {
			q.logErr("re-enqueue", err)
		}
	}
}

// offer is Offer with an unbounded capacity.
func (q *pqDriver) offer(val []byte) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.meta.itemsSize++
	q.meta.bytesSize += int64(len(val))
	return q.putInternal(val)
}

func (q *pqDriver) putInternal(val []byte) error {
	q.meta.writeIndex++
	return q.l.Batch(
		storage.SetOperation(queueMetaKey, q.meta.encode()),
		storage.SetOperation(pqKey(q.meta.writeIndex-1), val))
}

// read is Read without the wait: ok is false when the queue is empty.
func (q *pqDriver) read() (index uint64, val []byte, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.meta.readIndex != q.meta.writeIndex {
		index, val, consumed := q.getNextItem()
		if q.requestSize() == 0 {
			q.meta.bytesSize, q.meta.itemsSize = 0, 0
		}
		if consumed {
			return index, val, true
		}
	}
	return 0, nil, false
}

func (q *pqDriver) getNextItem() (uint64, []byte, bool) {
	index := q.meta.readIndex
	q.meta.readIndex++
	q.meta.dispatched = append(q.meta.dispatched, index)
	getOp := storage.GetOperation(pqKey(index))
	err := q.l.Batch(storage.SetOperation(queueMetaKey, q.meta.encode()), getOp)
	if err == nil && getOp.Value == nil {
		err = errors.New("value not set") // what unmarshalling a missing item amounts to
	} else if err != nil {
		q.logErr("read", err)
	}
	if err != nil {
		if err := q.itemDispatchingFinish(index); err != nil {
			q.logErr("finish undeliverable item", err)
		}
		return 0, nil, false
	}
	return index, getOp.Value, true
}

func (q *pqDriver) onDone(index uint64, bytesSize int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.meta.bytesSize = max(0, q.meta.bytesSize-bytesSize)
	q.meta.itemsSize = max(0, q.meta.itemsSize-1)
	if err := q.itemDispatchingFinish(index); err != nil {
		q.logErr("on done", err)
	}
}

func (q *pqDriver) itemDispatchingFinish(index uint64) error {
	d := q.meta.dispatched
	for i := range d {
		if d[i] == index {
			d[i] = d[len(d)-1]
			q.meta.dispatched = d[:len(d)-1]
			break
		}
	}
	if q.requestSize() == 0 {
		q.meta.bytesSize, q.meta.itemsSize = 0, 0
	}
	setOp := storage.SetOperation(queueMetaKey, q.meta.encode())
	deleteOp := storage.DeleteOperation(pqKey(index))
	err := q.l.Batch(setOp, deleteOp)
	if err == nil {
		return nil
	}
	q.logErr("set metadata and delete", err)
	if err := q.l.Batch(deleteOp); err != nil {
		return fmt.Errorf("failed deleting item from queue: %w", err)
	}
	if err := q.l.Batch(setOp); err != nil {
		return fmt.Errorf("failed updating currently dispatched items: %w", err)
	}
	return nil
}

// drain reads and completes every item, as a restarted queue's consumers would, and returns the
// ids delivered, with their counts.
func (q *pqDriver) drain(t *testing.T) map[uint64]int {
	t.Helper()
	got := map[uint64]int{}
	for {
		index, val, ok := q.read()
		if !ok {
			return got
		}
		id, ok := pcItemID(val)
		if !ok {
			t.Errorf("index %d: a corrupt value was returned as valid (%d bytes)", index, len(val))
		} else {
			got[id]++
		}
		q.onDone(index, int64(len(val)))
	}
}

// pcItem is a queue item: its id, then bytes derived from it, so that a wrong value is caught.
func pcItem(id uint64, size int) []byte {
	size = max(size, 8)
	b := binary.LittleEndian.AppendUint64(make([]byte, 0, size), id)
	for i := 8; i < size; i++ {
		b = append(b, byte(id*131+uint64(i)*7))
	}
	return b
}

func pcItemID(b []byte) (uint64, bool) {
	if len(b) < 8 {
		return 0, false
	}
	id := binary.LittleEndian.Uint64(b)
	for i := 8; i < len(b); i++ {
		if b[i] != byte(id*131+uint64(i)*7) {
			return id, false
		}
	}
	return id, true
}

// pcObserver counts what Open found damaged.
type pcObserver struct{ frames, bytes, refused, deferred atomic.Int64 }

func (o *pcObserver) Synced(time.Duration) {}
func (o *pcObserver) Damaged(f, b int64)   { o.frames.Add(f); o.bytes.Add(b) }
func (o *pcObserver) Refused()             { o.refused.Add(1) }
func (o *pcObserver) Deferred()            { o.deferred.Add(1) }
func (o *pcObserver) damaged() (int64, bool) {
	return o.frames.Load(), o.frames.Load()+o.bytes.Load() > 0
}

// presentItems returns the ids of the queue items the log holds (Open's view).
func presentItems(l *Log) map[uint64]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := map[uint64]string{}
	for key, e := range l.index {
		if _, ok := queueIndex(key); !ok {
			continue
		}
		v, err := l.read(e)
		if err != nil {
			continue
		}
		if id, ok := pcItemID(v); ok {
			ids[id] = key
		}
	}
	return ids
}

// powerCutRun is the outcome of one cut.
type powerCutRun struct {
	seed                uint64
	cutOp, cutOp2       string
	openOps             int64 // mutating operations of Open after the first cut
	cutInOpen           bool  // the second cut came during Open
	ops                 int64
	acked, required     int
	lost                []uint64 // required but not delivered after the restart
	strandedPresent     []uint64 // present after Open, not done before the cut, not delivered
	duplicates          int      // delivered again although done before the cut, or twice
	delivered           int
	damaged             bool
	segmentsBeforeCrash int
}

// runPowerCut runs the queue workload on a faultFS until a power cut at a random mutating file
// system operation, reopens the log on what survives, restarts the queue and drains it.
// With recoveryOps > 0, a second power cut comes within the first recoveryOps operations of the
// restart (Open's recovery, the queue's start, its drain).
func runPowerCut(t *testing.T, seed uint64, fsync bool, maxOps, recoveryOps int64) (run powerCutRun) {
	t.Helper()
	run.seed = seed
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("seed %d: panic: %v", seed, r)
		}
	}()
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	fs := newFaultFS()
	opts := Options{
		FS:            fs,
		Dir:           "/q/exp",
		AsideRoot:     "/q/aside",
		Name:          "exp",
		Fsync:         fsync,
		SegmentSize:   64 << 10,
		FlushInterval: time.Duration(1+rng.IntN(20)) * time.Millisecond,
	}
	l, err := Open(opts)
	if err != nil {
		t.Fatalf("seed %d: first Open: %v", seed, err)
	}
	q := &pqDriver{l: l}
	q.start()

	// Let the workload start, then arm the cut within the next maxOps operations.
	// A third of the cuts come at a directory operation (rotation, reclaim), which are rare.
	if rng.IntN(3) == 0 {
		run.ops = 1 + rng.Int64N(maxOps/100)
		fs.CrashAtDirOp(run.ops, rand.New(rand.NewPCG(seed, 0xc0ffee)))
	} else {
		run.ops = 1 + rng.Int64N(maxOps)
		fs.CrashAt(run.ops, rand.New(rand.NewPCG(seed, 0xc0ffee)))
	}
	backlog := int64(rng.IntN(300)) // the consumer lets this many items pile up
	maxInflight := 1 + rng.IntN(8)
	maxSize := 64 + rng.IntN(4000)

	var (
		stateMu sync.Mutex
		acked   = map[uint64]bool{}
		done    = map[uint64]bool{} // OnDone started before the cut
		nextID  atomic.Uint64
		wg      sync.WaitGroup
		stop    atomic.Bool // the run is over, with or without a cut
	)
	deadline := time.Now().Add(10 * time.Second)
	running := func() bool { return !fs.Crashed() && !stop.Load() && time.Now().Before(deadline) }
	guard := func(who string) {
		if r := recover(); r != nil {
			t.Errorf("seed %d: %s panicked: %v", seed, who, r)
			stop.Store(true)
		}
	}
	const producers = 3
	for p := range producers {
		wg.Go(func() {
			defer guard("producer")
			prng := rand.New(rand.NewPCG(seed, uint64(p)+100))
			for running() {
				id := nextID.Add(1)
				err := q.offer(pcItem(id, 8+prng.IntN(maxSize)))
				if err == nil && !fs.Crashed() { // Offer returned nil before the cut
					stateMu.Lock()
					acked[id] = true
					stateMu.Unlock()
				}
				if prng.IntN(4) == 0 {
					runtime.Gosched()
				}
			}
		})
	}
	wg.Go(func() {
		defer guard("consumer")
		crng := rand.New(rand.NewPCG(seed, 99))
		type taken struct {
			index, id uint64
			size      int64
		}
		var inflight []taken
		for running() {
			q.mu.Lock()
			queued := q.requestSize()
			q.mu.Unlock()
			if queued < backlog && len(inflight) == 0 {
				runtime.Gosched()
				continue
			}
			if len(inflight) < maxInflight && crng.IntN(3) != 0 {
				index, val, ok := q.read()
				if !ok {
					runtime.Gosched()
					continue
				}
				id, ok := pcItemID(val)
				if !ok {
					t.Errorf("seed %d: index %d: corrupt value returned before the cut", seed, index)
				}
				inflight = append(inflight, taken{index, id, int64(len(val))})
				continue
			}
			if len(inflight) == 0 {
				continue
			}
			i := crng.IntN(len(inflight))
			it := inflight[i]
			inflight = slices.Delete(inflight, i, i+1)
			stateMu.Lock()
			done[it.id] = true
			stateMu.Unlock()
			q.onDone(it.index, it.size)
		}
	})
	wg.Wait()
	if !fs.Crashed() {
		t.Fatalf("seed %d: the workload stopped before the cut at operation %d (%d done)", seed, run.ops, fs.Ops())
	}
	run.segmentsBeforeCrash = l.Stats().Segments
	_ = l.Close() // on the pre-cut file system; stops the flush loop
	img, cutOp := fs.CrashResult()
	run.cutOp = cutOp

	if recoveryOps > 0 {
		// A second power cut while the restarted queue recovers and drains.
		// Half the time the cut comes during Open itself: count Open's operations on a copy.
		dry := img.Crash(rng) // an exact copy: everything on img is durable
		if l, err := Open(Options{FS: dry, Dir: opts.Dir, AsideRoot: opts.AsideRoot, Name: opts.Name, Fsync: fsync,
			SegmentSize: opts.SegmentSize, FlushInterval: time.Hour}); err == nil {
			run.openOps = dry.Ops()
			_ = l.Close()
		}
		cut2 := 1 + rng.Int64N(recoveryOps)
		if run.openOps > 0 && rng.IntN(2) == 0 {
			cut2 = 1 + rng.Int64N(run.openOps)
		}
		img.CrashAt(cut2, rand.New(rand.NewPCG(seed, 0xbad)))
		func() {
			opts.FS = img
			l2, err := Open(opts)
			if err != nil {
				t.Errorf("seed %d: Open after a power cut before %q: %v", seed, cutOp, err)
				return
			}
			defer l2.Close()
			run.cutInOpen = img.Crashed()
			q2 := &pqDriver{l: l2}
			q2.start()
			for !img.Crashed() {
				index, val, ok := q2.read()
				if !ok {
					break
				}
				if id, ok := pcItemID(val); ok && !img.Crashed() {
					done[id] = true
				}
				q2.onDone(index, int64(len(val)))
			}
		}()
		if img.Crashed() {
			img, run.cutOp2 = img.CrashResult()
		} else {
			img, run.cutOp2 = img.Crash(rand.New(rand.NewPCG(seed, 0xbad))), "the end of the drain"
		}
	}

	obs := &pcObserver{}
	opts.FS, opts.Observer = img, obs
	l2, err := Open(opts)
	if err != nil {
		t.Errorf("seed %d: Open after a power cut before %q: %v", seed, cutOp, err)
		return run
	}
	defer l2.Close()
	_, run.damaged = obs.damaged()
	present := presentItems(l2)
	q2 := &pqDriver{l: l2}
	q2.start()
	got := q2.drain(t)
	for _, err := range q2.errs {
		t.Errorf("seed %d: restarted queue: %v", seed, err)
	}

	for id := range acked {
		if !done[id] {
			run.required++
			if got[id] == 0 {
				run.lost = append(run.lost, id)
			}
		}
	}
	for id := range present {
		if !done[id] && got[id] == 0 {
			run.strandedPresent = append(run.strandedPresent, id)
		}
	}
	for id, n := range got {
		run.delivered += n
		if done[id] {
			run.duplicates += n
		} else {
			run.duplicates += n - 1
		}
	}
	run.acked = len(acked)
	slices.Sort(run.lost)
	slices.Sort(run.strandedPresent)

	// The restarted log takes new records and gives them back.
	q3 := &pqDriver{l: l2, meta: q2.meta}
	const fresh = 20
	base := uint64(1) << 40
	for i := range uint64(fresh) {
		if err := q3.offer(pcItem(base+i, 100+int(i)*97)); err != nil {
			t.Errorf("seed %d: offer after the restart: %v", seed, err)
		}
	}
	again := q3.drain(t)
	for i := range uint64(fresh) {
		if again[base+i] != 1 {
			t.Errorf("seed %d: new record %d delivered %d times after the restart", seed, i, again[base+i])
		}
	}
	for _, err := range q3.errs {
		t.Errorf("seed %d: restarted queue, new records: %v", seed, err)
	}
	return run
}

func reportPowerCuts(t *testing.T, scenario string, runs []powerCutRun) {
	t.Helper()
	var acked, required, delivered, dups, damaged int
	kinds := map[string]int{}
	maxSegs := 0
	for _, r := range runs {
		acked += r.acked
		required += r.required
		delivered += r.delivered
		dups += r.duplicates
		if r.damaged {
			damaged++
		}
		kind := r.cutOp
		for i, c := range kind {
			if c == ' ' {
				kind = kind[:i]
				break
			}
		}
		kinds[kind]++
		maxSegs = max(maxSegs, r.segmentsBeforeCrash)
	}
	t.Logf("%d cuts: %d offers acknowledged, %d required after the cut, %d delivered, %d duplicates; "+
		"Open found damage after %d cuts; up to %d segments; cut before: %v",
		len(runs), acked, required, delivered, dups, damaged, maxSegs, kinds)
	lost := 0
	for _, r := range runs {
		lost += len(r.lost)
	}
	recordReliability(t, scenario, required, required-lost, lost, dups, fmt.Sprintf(
		"%d cuts at random points (fault-injecting file system that forgets every unsynced write); %d offers acknowledged; "+
			"sent = acknowledged and not yet delivered at the cut; Open found damage after %d cuts; cut before: %s",
		len(runs), acked, damaged, countsText(kinds)))
}

// countsText writes counts as "a 3, b 1", in key order.
func countsText(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, counts[k])
	}
	return strings.Join(parts, ", ")
}

// recordReliability appends a row to the zero-loss table named by $RELIABILITY_TABLE (make
// reliability), like the end-to-end suite's rows.
func recordReliability(t *testing.T, scenario string, sent, received, lost, dup int, notes string) {
	t.Helper()
	path := os.Getenv("RELIABILITY_TABLE")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Errorf("reliability table: %v", err)
		return
	}
	defer f.Close()
	notes = strings.NewReplacer("|", "/", "\n", " ").Replace(notes)
	if _, err := fmt.Fprintf(f, "| %s | %d | %d | %d | %d | %s |\n", scenario, sent, received, lost, dup, notes); err != nil {
		t.Errorf("reliability table: %v", err)
	}
}

// TestPowerCutLosesNoAcknowledgedRecord: with Fsync, a power cut at any point loses no record whose
// Offer returned, and the restarted queue delivers every record it had not finished.
func TestPowerCutLosesNoAcknowledgedRecord(t *testing.T) {
	const cuts = 100
	var runs []powerCutRun
	for seed := range uint64(cuts) {
		r := runPowerCut(t, seed, true, 6000, 0)
		runs = append(runs, r)
		if len(r.lost) > 0 {
			t.Errorf("seed %d (cut before %q at operation %d, damage found %v): %d of %d acknowledged, unfinished records lost: %v",
				seed, r.cutOp, r.ops, r.damaged, len(r.lost), r.required, pcHead(r.lost))
		}
		if len(r.strandedPresent) > 0 {
			t.Errorf("seed %d (cut before %q at operation %d): %d records present after Open were never delivered: %v",
				seed, r.cutOp, r.ops, len(r.strandedPresent), pcHead(r.strandedPresent))
		}
		if t.Failed() && testing.Short() {
			break
		}
	}
	reportPowerCuts(t, "5. power cut, fsync: true (queue_storage on a fault-injecting file system, 100 cut points)", runs)
}

// TestPowerCutWithoutFsyncStillOpens: without Fsync a power cut may lose records, but the log
// always opens, every record it kept is delivered, and it takes and returns new records.
func TestPowerCutWithoutFsyncStillOpens(t *testing.T) {
	const cuts = 100
	var runs []powerCutRun
	for seed := range uint64(cuts) {
		r := runPowerCut(t, 1000+seed, false, 4000, 0)
		runs = append(runs, r)
		if len(r.strandedPresent) > 0 {
			t.Errorf("seed %d (cut before %q at operation %d): %d records present after Open were never delivered: %v",
				r.seed, r.cutOp, r.ops, len(r.strandedPresent), pcHead(r.strandedPresent))
		}
	}
	reportPowerCuts(t, "5. power cut, fsync: false (queue_storage on a fault-injecting file system, 100 cut points): may lose the unsynced tail, always opens", runs)
}

// TestPowerCutDuringRecovery: with Fsync, a second power cut while the log recovers from the first
// (repairing damage, moving files aside) or while the restarted queue drains loses nothing either.
func TestPowerCutDuringRecovery(t *testing.T) {
	const cuts = 60
	var runs []powerCutRun
	kinds := map[string]int{}
	inOpen := 0
	for seed := range uint64(cuts) {
		r := runPowerCut(t, 2000+seed, true, 6000, 800)
		runs = append(runs, r)
		if r.cutInOpen {
			inOpen++
		}
		if f := strings.Fields(r.cutOp2); len(f) > 0 {
			kinds[f[0]]++
		}
		if len(r.lost) > 0 {
			t.Errorf("seed %d (cuts before %q and %q): %d of %d acknowledged, unfinished records lost: %v",
				r.seed, r.cutOp, r.cutOp2, len(r.lost), r.required, pcHead(r.lost))
		}
		if len(r.strandedPresent) > 0 {
			t.Errorf("seed %d (cuts before %q and %q): %d records present after Open were never delivered: %v",
				r.seed, r.cutOp, r.cutOp2, len(r.strandedPresent), pcHead(r.strandedPresent))
		}
	}
	reportPowerCuts(t, "5. power cut during the restart's recovery, fsync: true (queue_storage, fault-injecting file system, 60 double cuts)", runs)
	t.Logf("second cut during Open %d times; before: %v", inOpen, kinds)
}

func pcHead(ids []uint64) []uint64 {
	if len(ids) > 10 {
		return ids[:10]
	}
	return ids
}

// fillUntilFull offers records until an Offer is refused, and returns the ids stored.
func fillUntilFull(t *testing.T, q *pqDriver, rng *rand.Rand, id *uint64) map[uint64]bool {
	t.Helper()
	stored := map[uint64]bool{}
	for {
		*id++
		err := q.offer(pcItem(*id, 200+rng.IntN(1800)))
		if err != nil {
			if !errors.Is(err, storage.ErrStorageFull) {
				t.Fatalf("offer refused with %v, want storage.ErrStorageFull", err)
			}
			return stored
		}
		stored[*id] = true
	}
}

// TestDiskFullKeepsBookkeeping fills the disk with the queue's records until an Offer is refused,
// then drains it: the queue's reads and deletes (overwrites of qmv0 and deletes) must all succeed,
// no stored record may be lost, and once the drain freed space new records must be taken again.
// Ten fill/drain cycles in a row, the log and disk shared by them all.
//
// The disk is 8 segments; the log holds what does not fit in memory (Observer.Deferred).
func TestDiskFullKeepsBookkeeping(t *testing.T) {
	fs := newFaultFS()
	fs.SetLimit(512 << 10)
	obs := &pcObserver{}
	l, err := Open(Options{FS: fs, Dir: "/q/exp", AsideRoot: "/q/aside", Name: "exp", Fsync: true,
		SegmentSize: 64 << 10, FlushInterval: 5 * time.Millisecond, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	q := &pqDriver{l: l}
	q.start()
	rng := rand.New(rand.NewPCG(7, 7))
	id := uint64(0)
	for cycle := range 10 {
		stored := fillUntilFull(t, q, rng, &id)
		if len(stored) == 0 {
			t.Fatalf("cycle %d: no offer succeeded after the previous drain freed space (%d of %d bytes used)",
				cycle, fs.Used(), fs.Limit())
		}
		q.errs = nil
		fullAt, deferredBefore := fs.Used(), obs.deferred.Load()
		got := q.drain(t)
		lost := 0
		for id := range stored {
			if got[id] == 0 {
				lost++
			}
		}
		if len(q.errs) > 0 || lost > 0 {
			var first error
			if len(q.errs) > 0 {
				first = q.errs[0]
			}
			t.Fatalf("cycle %d: %d stored, %d lost, %d bookkeeping batches refused; first: %v (disk %d used of %d)",
				cycle, len(stored), lost, len(q.errs), first, fs.Used(), fs.Limit())
		}
		t.Logf("cycle %d: %d records stored (%d KiB used when full), all delivered; %d bookkeeping batches held in memory; %d KiB used after the drain",
			cycle, len(stored), fullAt>>10, obs.deferred.Load()-deferredBefore, fs.Used()>>10)
		id++
		if err := q.offer(pcItem(id, 1000)); err != nil {
			t.Fatalf("cycle %d: offer after the drain: %v", cycle, err)
		}
		if got := q.drain(t); got[id] != 1 {
			t.Fatalf("cycle %d: the record offered after the drain came back %d times", cycle, got[id])
		}
	}
	if obs.deferred.Load() == 0 {
		t.Fatal("the disk never refused a bookkeeping write: the test does not test what it says")
	}
}

// TestPowerCutWhileDiskFull: a power cut while the disk is full and the queue's bookkeeping is held
// in memory loses no stored record that was not delivered: the restarted queue delivers them all.
func TestPowerCutWhileDiskFull(t *testing.T) {
	deferred := int64(0)
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 3))
		fs := newFaultFS()
		fs.SetLimit(int64(256+rng.IntN(256)) << 10)
		obs := &pcObserver{}
		opts := Options{FS: fs, Dir: "/q/exp", AsideRoot: "/q/aside", Name: "exp", Fsync: true,
			SegmentSize: 64 << 10, FlushInterval: time.Duration(1+rng.IntN(10)) * time.Millisecond, Observer: obs}
		l, err := Open(opts)
		if err != nil {
			t.Fatal(err)
		}
		q := &pqDriver{l: l}
		q.start()
		id := uint64(0)
		stored := fillUntilFull(t, q, rng, &id)
		done := map[uint64]bool{}
		// Drain, completing items out of order, and cut the power after a random number of steps.
		steps := rng.IntN(2*len(stored) + 1)
		var img *faultFS
		type taken struct {
			index, id uint64
			size      int64
		}
		var inflight []taken
		for step := 0; img == nil; step++ {
			if step == steps {
				img = fs.Crash(rand.New(rand.NewPCG(seed, 4)))
				break
			}
			if len(inflight) < 4 && rng.IntN(2) == 0 {
				index, val, ok := q.read()
				if ok {
					item, _ := pcItemID(val)
					inflight = append(inflight, taken{index, item, int64(len(val))})
					continue
				}
				if len(inflight) == 0 {
					img = fs.Crash(rand.New(rand.NewPCG(seed, 4)))
					break
				}
			}
			if len(inflight) > 0 {
				i := rng.IntN(len(inflight))
				done[inflight[i].id] = true
				q.onDone(inflight[i].index, inflight[i].size)
				inflight = slices.Delete(inflight, i, i+1)
			}
		}
		deferred += obs.deferred.Load()
		for _, err := range q.errs {
			t.Errorf("seed %d: before the cut: %v", seed, err)
		}
		_ = l.Close()

		opts.FS, opts.Observer = img, &pcObserver{}
		l2, err := Open(opts)
		if err != nil {
			t.Errorf("seed %d: Open after a power cut on a full disk: %v", seed, err)
			continue
		}
		q2 := &pqDriver{l: l2}
		q2.start()
		got := q2.drain(t)
		var lost []uint64
		for id := range stored {
			if !done[id] && got[id] == 0 {
				lost = append(lost, id)
			}
		}
		slices.Sort(lost)
		if len(lost) > 0 {
			t.Errorf("seed %d: cut after %d drain steps: %d of %d stored, undelivered records lost: %v",
				seed, steps, len(lost), len(stored)-len(done), pcHead(lost))
		}
		for _, err := range q2.errs {
			t.Errorf("seed %d: restarted queue: %v", seed, err)
		}
		_ = l2.Close()
	}
	if deferred == 0 {
		t.Fatal("no bookkeeping write was ever held in memory: the test does not test what it says")
	}
	t.Logf("%d bookkeeping batches held in memory over the runs", deferred)
}

// TestDeferredWriteKeepsNewerValue: an overwrite held in memory for lack of space must not, when
// it is finally written, replace a newer value of the same key that was written meanwhile.
func TestDeferredWriteKeepsNewerValue(t *testing.T) {
	fs := newFaultFS()
	l, err := Open(Options{FS: fs, Dir: "/q/exp", AsideRoot: "/q/aside", Name: "exp", SegmentSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	set := func(ops ...*storage.Operation) {
		t.Helper()
		if err := l.Batch(ops...); err != nil {
			t.Fatal(err)
		}
	}
	set(storage.SetOperation("meta", []byte("v1")), storage.SetOperation("big", make([]byte, 8<<10)))
	fs.SetLimit(fs.Used())                                                                    // full
	set(storage.SetOperation("big", pcItem(1, 8<<10)))                                        // held in memory
	set(storage.SetOperation("meta", []byte("v2")))                                           // held in memory
	fs.SetLimit(fs.Used() + 512)                                                              // room for a small frame, not for the held ones
	set(storage.SetOperation("meta", []byte("v3")), storage.SetOperation("new", []byte("x"))) // a new key: written
	fs.SetLimit(0)                                                                            // room for all
	if v, err := l.Get("meta"); err != nil || string(v) != "v3" {
		t.Fatalf(`Get("meta") = %q, %v; want "v3"`, v, err)
	}
	if v, err := l.Get("big"); err != nil {
		t.Fatal(err)
	} else if id, ok := pcItemID(v); !ok || id != 1 {
		t.Fatalf(`Get("big"): the overwrite held in memory was lost`)
	}
	// And on disk.
	l.Close()
	l2, err := Open(Options{FS: fs, Dir: "/q/exp", AsideRoot: "/q/aside", Name: "exp", SegmentSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if v, err := l2.Get("meta"); err != nil || string(v) != "v3" {
		t.Fatalf(`after reopening, Get("meta") = %q, %v; want "v3"`, v, err)
	}
	if v, _ := l2.Get("big"); len(v) != 8<<10 {
		t.Fatalf(`after reopening, Get("big") has %d bytes`, len(v))
	}
}

// TestOverwriteSurvivesSegmentDrop: with Fsync, a power cut never loses a key that was overwritten:
// after it the key holds its old or its new value. Overwrites are synced only within FlushInterval,
// so the segment holding the old value must not be removed (durably) before the frame that
// superseded it is on disk.
func TestOverwriteSurvivesSegmentDrop(t *testing.T) {
	lost := 0
	for seed := range uint64(20) {
		fs := newFaultFS()
		opts := Options{FS: fs, Dir: "/q/exp", AsideRoot: "/q/aside", Name: "exp", Fsync: true,
			FlushInterval: time.Hour, SegmentSize: 64 << 10}
		l, err := Open(opts)
		if err != nil {
			t.Fatal(err)
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(l.Batch(storage.SetOperation("cfg", []byte("v1")))) // a new key: synced
		var dels []*storage.Operation
		for n := 0; l.Stats().Segments < 2; n++ { // fill segment 1 with records
			key := "r" + strconv.Itoa(n)
			must(l.Batch(storage.SetOperation(key, make([]byte, 1000))))
			dels = append(dels, storage.DeleteOperation(key))
		}
		must(l.Batch(storage.SetOperation("cfg", []byte("v2")))) // an overwrite: not synced yet
		must(l.Batch(dels...))                                   // segment 1 holds nothing current: it goes
		if segs := l.Stats().Segments; segs != 1 {
			t.Fatalf("%d segments; the test wants segment 1 removed", segs)
		}
		img := fs.Crash(rand.New(rand.NewPCG(seed, 9)))
		_ = l.Close()
		opts.FS = img
		l2, err := Open(opts)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := l2.Get("cfg"); err != nil || (string(v) != "v1" && string(v) != "v2") {
			lost++
			t.Errorf("seed %d: after a power cut, cfg = %q, %v; want v1 or v2", seed, v, err)
		}
		_ = l2.Close()
	}
	if lost > 0 {
		t.Logf("the overwritten key was lost in %d of 20 power cuts", lost)
	}
}

// TestConcurrentBatchesShareFsync: with Fsync, concurrent Batch calls that store new keys share
// fsyncs (group commit) rather than syncing one by one.
func TestConcurrentBatchesShareFsync(t *testing.T) {
	fs := newFaultFS()
	fs.SetSyncDelay(2 * time.Millisecond)
	l, err := Open(Options{FS: fs, Dir: "/q/exp", AsideRoot: "/q/aside", Name: "exp", Fsync: true,
		FlushInterval: time.Hour, SegmentSize: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const n = 32
	before := fs.Syncs()
	var wg sync.WaitGroup
	startGate := make(chan struct{})
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			<-startGate
			errs[i] = l.Batch(storage.SetOperation("k"+strconv.Itoa(i), pcItem(uint64(i), 500)))
		})
	}
	close(startGate)
	wg.Wait()
	syncs := fs.Syncs() - before
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Batch %d: %v", i, err)
		}
	}
	t.Logf("%d concurrent new-key batches: %d fsyncs", n, syncs)
	if syncs >= n {
		t.Fatalf("%d concurrent new-key batches caused %d fsyncs: no group commit", n, syncs)
	}
	// Every one of them is durable.
	img := fs.Crash(rand.New(rand.NewPCG(1, 1)))
	l2, err := Open(Options{FS: img, Dir: "/q/exp", AsideRoot: "/q/aside", Name: "exp"})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	for i := range n {
		v, err := l2.Get("k" + strconv.Itoa(i))
		if id, ok := pcItemID(v); err != nil || !ok || id != uint64(i) {
			t.Fatalf("k%d after a power cut: %d bytes, %v", i, len(v), err)
		}
	}
}

// TestPowerCutWhileQueueRequeues: a restarted exporterhelper queue deletes the records its
// consumers had not finished in one batch, then stores each again in a batch of its own. A power
// cut before any operation of that restart (Open, the queue's start) must lose none of them.
func TestPowerCutWhileQueueRequeues(t *testing.T) {
	opts := Options{FS: newFaultFS(), Dir: "/q/exp", AsideRoot: "/q/aside", Name: "exp", Fsync: true,
		FlushInterval: time.Hour, SegmentSize: 64 << 10} // no timer: the cut points are the same every run
	base := opts.FS.(*faultFS)
	l, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	q := &pqDriver{l: l}
	q.start()
	const offered = 12
	for id := uint64(1); id <= offered; id++ {
		if err := q.offer(pcItem(id, 300+int(id)*50)); err != nil {
			t.Fatal(err)
		}
	}
	// Consumers take five records and finish one: four are left unfinished ("dispatched").
	done := map[uint64]bool{}
	var taken [][2]uint64
	for range 5 {
		index, val, ok := q.read()
		id, idOK := pcItemID(val)
		if !ok || !idOK {
			t.Fatal("read failed")
		}
		taken = append(taken, [2]uint64{index, id})
	}
	done[taken[1][1]] = true
	q.onDone(taken[1][0], 0)
	if err := l.Close(); err != nil { // everything durable: the restart is what is cut
		t.Fatal(err)
	}
	if len(q.errs) > 0 {
		t.Fatal(q.errs)
	}
	if len(q.meta.dispatched) != 4 { // as the last batch stored them
		t.Fatalf("the queue lists %d unfinished records, the test wants 4", len(q.meta.dispatched))
	}

	restart := func(fs *faultFS) {
		o := opts
		o.FS = fs
		l, err := Open(o)
		if err != nil {
			t.Fatal(err)
		}
		(&pqDriver{l: l}).start()
		_ = l.Close()
	}
	probe := base.Crash(rand.New(rand.NewPCG(0, 0))) // everything on base is durable: an exact copy
	restart(probe)
	restartOps := probe.Ops()
	cuts := 0
	for cut := int64(1); cut <= restartOps; cut++ {
		for variant := range uint64(4) { // what survives of the unsynced writes
			img := base.Crash(rand.New(rand.NewPCG(0, 0)))
			img.CrashAt(cut, rand.New(rand.NewPCG(uint64(cut), variant)))
			restart(img)
			after, op := img.CrashResult()
			if after == nil {
				t.Fatalf("cut %d of %d: no cut", cut, restartOps)
			}
			cuts++
			o := opts
			o.FS = after
			l, err := Open(o)
			if err != nil {
				t.Fatalf("cut before %q (%d of %d): Open: %v", op, cut, restartOps, err)
			}
			q := &pqDriver{l: l}
			q.start()
			got := q.drain(t)
			_ = l.Close()
			var lost []uint64
			for id := uint64(1); id <= offered; id++ {
				if !done[id] && got[id] == 0 {
					lost = append(lost, id)
				}
			}
			if len(lost) > 0 || len(q.errs) > 0 {
				t.Fatalf("cut before %q (operation %d of the restart's %d, variant %d): unfinished records lost: %v; queue errors: %v",
					op, cut, restartOps, variant, lost, q.errs)
			}
		}
	}
	t.Logf("%d cuts over the restart's %d operations: no record lost", cuts, restartOps)
}
