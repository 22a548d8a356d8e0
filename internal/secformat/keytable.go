package secformat

import "math/bits"

// keyTable maps the fixed set of keys a formatter knows to a small index. It replaces a Go map on the
// hot path, where every attribute of every record is looked up: the hash reads the key's first and
// last 8 bytes and its length instead of the whole key, and the multiplier is chosen when the table is
// built so that no two known keys share a slot (a perfect hash). A lookup is then one slot, hit or
// miss, and the comparison reuses the two words the hash read: a key of 8..16 bytes is compared by
// them alone, a longer one then compares its middle. Should no multiplier separate the keys (two keys
// alike in all the bytes the hash reads), the table falls back to linear probing. It is only read
// after building.
type keyTable struct {
	mult    uint64
	shift   uint8
	perfect bool
	mask    uint32
	slots   []keySlot
}

type keySlot struct {
	key    string
	w0, w1 uint64 // key's first and last 8 bytes (keys of 8 bytes or more)
	idx    uint8
	used   bool
}

func newKeySlot(k string, idx uint8) keySlot {
	s := keySlot{key: k, idx: idx, used: true}
	if len(k) >= 8 {
		s.w0, s.w1 = load64(k, 0), load64(k, len(k)-8)
	}
	return s
}

// keyWord folds a key into one word: its first and last 8 bytes (which overlap for keys of 8..15
// bytes) and its length. Shorter keys are read byte by byte.
func keyWord(s string) uint64 {
	n := len(s)
	var x uint64
	if n >= 8 {
		x = load64(s, 0) ^ bits.RotateLeft64(load64(s, n-8), 29)
	} else {
		for i := 0; i < n; i++ {
			x = x<<8 | uint64(s[i])
		}
	}
	return x ^ uint64(n)*0x9E3779B97F4A7C15 // get repeats this for keys of 8 bytes or more
}

func (t *keyTable) slot(s string) uint32 {
	return uint32((keyWord(s)*t.mult)>>t.shift) & t.mask
}

// splitmix64 gives the candidate multipliers: a fixed sequence, so that a formatter is built the same
// way on every start.
func splitmix64(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ x>>30) * 0xBF58476D1CE4E5B9
	x = (x ^ x>>27) * 0x94D049BB133111EB
	return x ^ x>>31
}

func newKeyTable(m map[string]uint8) keyTable {
	size := 16
	for size < 4*len(m) {
		size *= 2
	}
	// Look for a multiplier that gives every key its own slot, in tables of up to 16 times the
	// minimum size (a few KB); a few hundred tries suffice for the schema's keys.
	for grow := 0; grow < 5; grow, size = grow+1, size*2 {
		b := bits.Len(uint(size - 1))
		t := keyTable{shift: uint8(64 - b), mask: uint32(size - 1), perfect: true, slots: make([]keySlot, size)}
		for try := uint64(0); try < 500; try++ {
			t.mult = splitmix64(try) | 1
			if t.place(m) {
				return t
			}
		}
	}
	// Linear probing over the last (largest) size tried.
	size /= 2
	b := bits.Len(uint(size - 1))
	t := keyTable{mult: splitmix64(0) | 1, shift: uint8(64 - b), mask: uint32(size - 1), slots: make([]keySlot, size)}
	for k, v := range m {
		i := t.slot(k)
		for t.slots[i].used {
			i = (i + 1) & t.mask
		}
		t.slots[i] = newKeySlot(k, v)
	}
	return t
}

// place fills t.slots with m when t.mult separates every key, and reports whether it does.
func (t *keyTable) place(m map[string]uint8) bool {
	clear(t.slots)
	for k, v := range m {
		i := t.slot(k)
		if t.slots[i].used {
			return false
		}
		t.slots[i] = newKeySlot(k, v)
	}
	return true
}

func (t *keyTable) get(k string) (uint8, bool) {
	n := len(k)
	if t.perfect && n >= 8 {
		w0, w1 := load64(k, 0), load64(k, n-8)
		x := w0 ^ bits.RotateLeft64(w1, 29) ^ uint64(n)*0x9E3779B97F4A7C15 // keyWord, words at hand
		s := &t.slots[uint32((x*t.mult)>>t.shift)&t.mask]
		return s.idx, s.used && s.w0 == w0 && s.w1 == w1 && len(s.key) == n && (n <= 16 || s.key[8:n-8] == k[8:n-8])
	}
	i := t.slot(k)
	if t.perfect {
		s := &t.slots[i]
		return s.idx, s.used && s.key == k
	}
	for {
		s := &t.slots[i]
		if !s.used {
			return 0, false
		}
		if s.key == k {
			return s.idx, true
		}
		i = (i + 1) & t.mask
	}
}
