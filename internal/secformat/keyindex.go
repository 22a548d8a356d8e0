package secformat

import "math/bits"

// keyIndex maps the fixed set of attribute keys a formatter knows to their index. Every attribute
// of every record is looked up, and a Go map hashes the whole key; this hashes the key's length and
// its first and last 8 bytes, with a multiplier chosen when the index is built so that no two known
// keys share a slot (a perfect hash). A lookup is one slot and one comparison. Should no multiplier
// separate the keys (keys alike in every byte the hash reads), it uses the map. Read-only once built.
type keyIndex struct {
	mult  uint64
	shift uint
	slots []keySlot      // nil: no multiplier separated the keys
	byKey map[string]int // the keys, when slots is nil
}

type keySlot struct {
	key string
	idx int // index + 1; 0 marks an empty slot
}

// newKeyIndex builds the index of m (key -> index).
func newKeyIndex(m map[string]int) keyIndex {
	// Tables of 4 to 64 slots per key, 500 multipliers each: the schema's keys need a few tries.
	size := 16
	for size < 4*len(m) {
		size *= 2
	}
	for end := 16 * size; size <= end; size *= 2 {
		t := keyIndex{shift: uint(64 - bits.Len(uint(size-1))), slots: make([]keySlot, size)}
		for try := uint64(0); try < 500; try++ {
			t.mult = splitmix64(try) | 1
			if t.place(m) {
				return t
			}
		}
	}
	return keyIndex{byKey: m}
}

// place fills t.slots with m when t.mult separates every key, and reports whether it does.
func (t *keyIndex) place(m map[string]int) bool {
	clear(t.slots)
	for k, idx := range m {
		s := &t.slots[t.slot(k)]
		if s.idx != 0 {
			return false
		}
		*s = keySlot{k, idx + 1}
	}
	return true
}

func (t *keyIndex) slot(k string) uint64 {
	n := len(k)
	x := uint64(n) * 0x9E3779B97F4A7C15
	if n >= 8 {
		x ^= load64(k, 0) ^ bits.RotateLeft64(load64(k, n-8), 29)
	} else {
		for i := 0; i < n; i++ {
			x ^= uint64(k[i]) << (8 * i)
		}
	}
	return (x * t.mult) >> t.shift
}

// get returns the index of key k, and whether k is a known key.
func (t *keyIndex) get(k string) (int, bool) {
	if t.slots == nil {
		idx, ok := t.byKey[k]
		return idx, ok
	}
	s := &t.slots[t.slot(k)]
	return s.idx - 1, s.idx != 0 && s.key == k
}

// splitmix64 gives the candidate multipliers: a fixed sequence, so that an index is built the same
// way on every start.
func splitmix64(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ x>>30) * 0xBF58476D1CE4E5B9
	x = (x ^ x>>27) * 0x94D049BB133111EB
	return x ^ x>>31
}
