package alertprocessor // import "github.com/unified-ot/otelcol-siem/processor/alertprocessor"

import "encoding/binary"

// node is one group in an intrusive doubly linked list, for the kinds other than threshold (whose
// group type predates this and is tuned for its hot path). The lists order groups by last update
// (distinct) or by deadline (absence), so that eviction, expiry and the timer look at the tail
// only: O(1) per group they act on, never a scan of every group.
type node[V any] struct {
	key string
	// values are the group_by values, substrings of key (ownValues).
	values []string
	// touched is the processing time (Unix ns) the node was last moved to the front.
	touched    int64
	prev, next *node[V] // prev is more recent
	v          V
}

// list is an intrusive doubly linked list of nodes, most recent first.
type list[V any] struct {
	head, tail *node[V]
}

func (l *list[V]) pushFront(n *node[V]) {
	n.prev, n.next = nil, l.head
	if l.head != nil {
		l.head.prev = n
	}
	l.head = n
	if l.tail == nil {
		l.tail = n
	}
}

func (l *list[V]) unlink(n *node[V]) {
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		l.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else {
		l.tail = n.prev
	}
	n.prev, n.next = nil, nil
}

func (l *list[V]) moveToFront(n *node[V], now int64) {
	n.touched = now
	if l.head != n {
		l.unlink(n)
		l.pushFront(n)
	}
}

// newNode makes the node of an encoded group key (appendGroupKey of values); its values share the
// key's memory, so the node keeps no reference into the record's pdata.
func newNode[V any](key []byte, values []string, now int64) *node[V] {
	n := &node[V]{key: string(key), touched: now}
	n.values = ownValues(n.key, len(values))
	return n
}

// ownValues splits a key made by appendGroupKey back into its n values, as substrings of key.
func ownValues(key string, n int) []string {
	values := make([]string, n)
	off := 0
	for i := range values {
		l, w := binary.Uvarint([]byte(key[off:min(len(key), off+binary.MaxVarintLen64)]))
		off += w
		values[i] = key[off : off+int(l)]
		off += int(l)
	}
	return values
}
