package seglog // import "github.com/unified-ot/otelcol-siem/extension/queuestorageextension/internal/seglog"

import (
	"math"
	"strconv"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
	"google.golang.org/protobuf/encoding/protowire"
)

// The persistent queue of exporterhelper v0.165.0 keeps its read and write positions under one key
// (internal/queue/meta.proto) and each record under its decimal index. After damage the log may
// hold an older copy of that key than of the records, or none: the queue would then overwrite
// records it does not know of, or start empty beside them. repairQueueMeta makes the positions
// cover every record that is left, so each is delivered (a record read twice is a duplicate; a
// position with no record is skipped by the queue).
const queueMetaKey = "qmv0"

// queueMeta is exporterhelper's PersistentMetadata, field for field.
type queueMeta struct {
	itemsSize, bytesSize  int64
	readIndex, writeIndex uint64
	dispatched            []uint64
}

func decodeQueueMeta(b []byte) (queueMeta, bool) {
	var m queueMeta
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return m, false
		}
		b = b[n:]
		switch {
		case num >= 1 && num <= 5 && typ == protowire.Fixed64Type:
			v, n := protowire.ConsumeFixed64(b)
			if n < 0 {
				return m, false
			}
			b = b[n:]
			switch num {
			case 1:
				m.itemsSize = int64(v)
			case 2:
				m.bytesSize = int64(v)
			case 3:
				m.readIndex = v
			case 4:
				m.writeIndex = v
			case 5:
				m.dispatched = append(m.dispatched, v)
			}
		case num == 5 && typ == protowire.BytesType:
			p, n := protowire.ConsumeBytes(b)
			if n < 0 || len(p)%8 != 0 {
				return m, false
			}
			b = b[n:]
			for len(p) > 0 {
				v, k := protowire.ConsumeFixed64(p)
				m.dispatched = append(m.dispatched, v)
				p = p[k:]
			}
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return m, false
			}
			b = b[n:]
		}
	}
	return m, true
}

func (m queueMeta) encode() []byte {
	var b []byte
	for i, v := range []uint64{uint64(m.itemsSize), uint64(m.bytesSize), m.readIndex, m.writeIndex} {
		if v != 0 {
			b = protowire.AppendTag(b, protowire.Number(i+1), protowire.Fixed64Type)
			b = protowire.AppendFixed64(b, v)
		}
	}
	if len(m.dispatched) > 0 {
		b = protowire.AppendTag(b, 5, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(8*len(m.dispatched)))
		for _, v := range m.dispatched {
			b = protowire.AppendFixed64(b, v)
		}
	}
	return b
}

// queueIndex returns the index of a persistent-queue record key.
func queueIndex(key string) (uint64, bool) {
	v, err := strconv.ParseUint(key, 10, 64)
	return v, err == nil && strconv.FormatUint(v, 10) == key
}

// repairQueueMeta widens the queue's read and write positions to cover every record key left.
// It does nothing for a log that is not a persistent queue's, nor when the positions already cover
// every record. Callers hold mu (Open).
func (l *Log) repairQueueMeta() error {
	var m queueMeta
	metaOK := false
	if e, ok := l.index[queueMetaKey]; ok {
		if v, err := l.read(e); err == nil {
			m, metaOK = decodeQueueMeta(v)
		}
	}
	dispatched := make(map[uint64]bool, len(m.dispatched))
	for _, i := range m.dispatched {
		dispatched[i] = true
	}
	lowest, highest, records := uint64(math.MaxUint64), uint64(0), 0
	for key := range l.index {
		i, ok := queueIndex(key)
		if !ok || dispatched[i] {
			continue
		}
		records++
		lowest, highest = min(lowest, i), max(highest, i)
	}
	if records == 0 {
		return nil
	}
	fixed := m
	if !metaOK {
		fixed = queueMeta{readIndex: lowest}
	}
	fixed.readIndex = min(fixed.readIndex, lowest)
	fixed.writeIndex = max(fixed.writeIndex, highest+1)
	if metaOK && fixed.readIndex == m.readIndex && fixed.writeIndex == m.writeIndex {
		return nil
	}
	l.log.Warn("queue storage: queue positions repaired to cover the records left",
		zap.String("path", l.opts.Dir), zap.Bool("positions_found", metaOK),
		zap.Uint64("read_index", fixed.readIndex), zap.Uint64("write_index", fixed.writeIndex), zap.Int("records", records))
	return l.store(l.opts.Now().UnixNano(), storage.SetOperation(queueMetaKey, fixed.encode()))
}

// requeueDispatched does, one record per frame, what the queue's start would otherwise do in
// batches that a power cut can separate. exporterhelper v0.165.0 (enqueueNotDispatchedReqs)
// deletes every record its consumers had not finished in one batch, then stores each again under a
// new index in a batch of its own: a cut in between loses the records not yet stored again, on any
// storage. Here one frame holds a record's copy under the next write index, its delete, and the
// positions that no longer list it, so every state on disk keeps every record; the queue's start
// then finds nothing to move. It gives up quietly (the queue moves the rest itself) when the disk
// refuses a frame. Callers hold mu (Open, Import).
func (l *Log) requeueDispatched() {
	e, ok := l.index[queueMetaKey]
	if !ok {
		return
	}
	v, err := l.read(e)
	if err != nil {
		return
	}
	m, ok := decodeQueueMeta(v)
	if !ok || len(m.dispatched) == 0 {
		return
	}
	// A copy must never land on a record the queue has yet to move or read.
	for key := range l.index {
		if i, ok := queueIndex(key); ok {
			m.writeIndex = max(m.writeIndex, i+1)
		}
	}
	moved, firstNew := 0, m.writeIndex
	for len(m.dispatched) > 0 {
		key := strconv.FormatUint(m.dispatched[0], 10)
		m.dispatched = m.dispatched[1:]
		var ops []*storage.Operation
		if re, ok := l.index[key]; ok {
			val, err := l.read(re)
			if err != nil {
				l.dropDamaged(key, re, err)
			} else {
				ops = append(ops, storage.SetOperation(strconv.FormatUint(m.writeIndex, 10), val), storage.DeleteOperation(key))
				m.writeIndex++
				moved++
			}
		}
		ops = append(ops, storage.SetOperation(queueMetaKey, m.encode()))
		if err := l.store(l.opts.Now().UnixNano(), ops...); err != nil {
			l.log.Warn("queue storage: cannot move the records the queue's consumers had not finished; the queue moves them itself",
				zap.String("path", l.opts.Dir), zap.Error(err))
			return
		}
	}
	if l.opts.Fsync && moved > 0 {
		if err := l.syncSegment(l.active()); err != nil {
			l.log.Warn("queue storage: sync after moving unfinished records failed", zap.String("path", l.opts.Dir), zap.Error(err))
		}
	}
	if moved > 0 {
		l.log.Info("queue storage: records the queue's consumers had not finished moved back into the queue",
			zap.String("path", l.opts.Dir), zap.Int("records", moved), zap.Uint64("first_index", firstNew))
	}
}
