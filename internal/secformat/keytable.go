package secformat

// keyTable maps the fixed set of keys a formatter knows to a small index. It replaces a Go map on the
// hot path: the hash reads four bytes and the length instead of the whole key, and a miss (an
// attribute the formatter does not map) usually ends at an empty slot without comparing strings.
// Collisions are resolved by linear probing; the table is built once and only read afterwards.
type keyTable struct {
	mask  uint32
	slots []keySlot
}

type keySlot struct {
	key  string
	idx  uint8
	used bool
}

func keyHash(s string) uint32 {
	n := len(s)
	if n == 0 {
		return 0
	}
	h := uint32(n) | uint32(s[0])<<8 | uint32(s[n-1])<<16 | uint32(s[n/2])<<24
	h ^= uint32(s[n*3/4]) << 5
	h *= 0x9E3779B1
	return h ^ h>>15
}

func newKeyTable(m map[string]uint8) keyTable {
	size := 16
	for size < 4*len(m) {
		size *= 2
	}
	t := keyTable{mask: uint32(size - 1), slots: make([]keySlot, size)}
	for k, v := range m {
		i := keyHash(k) & t.mask
		for t.slots[i].used {
			i = (i + 1) & t.mask
		}
		t.slots[i] = keySlot{key: k, idx: v, used: true}
	}
	return t
}

func (t *keyTable) get(k string) (uint8, bool) {
	i := keyHash(k) & t.mask
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
