package secformat

import (
	"testing"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// Every known key is found with its index; keys that differ from a known one in a byte the hash does
// not read, or in length, and the empty key are not. The schema's keys get a perfect table.
func TestKeyIndex(t *testing.T) {
	m := map[string]int{}
	for i, fld := range secevent.Fields {
		m[fld.Key] = i
	}
	m["a"], m["ab"], m["abcdefgh"] = 100, 101, 102
	perfect := newKeyIndex(m)
	if perfect.slots == nil {
		t.Fatal("the schema's keys did not get a perfect table")
	}
	for name, idx := range map[string]keyIndex{"perfect": perfect, "map": {byKey: m}} {
		for k, want := range m {
			if got, ok := idx.get(k); !ok || got != want {
				t.Errorf("%s: get(%q) = %d, %v; want %d", name, k, got, ok, want)
			}
			for _, other := range []string{k + "x", k[:len(k)-1], "x" + k, mid(k)} {
				if _, known := m[other]; known {
					continue
				}
				if got, ok := idx.get(other); ok {
					t.Errorf("%s: get(%q) = %d, found; it is not a known key", name, other, got)
				}
			}
		}
		if _, ok := idx.get(""); ok {
			t.Errorf("%s: the empty key was found", name)
		}
	}
}

// mid is k with a byte in its middle changed: for keys over 16 bytes, one the hash does not read.
func mid(k string) string {
	b := []byte(k)
	b[len(b)/2] ^= 1
	return string(b)
}
