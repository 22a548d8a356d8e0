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
