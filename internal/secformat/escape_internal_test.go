package secformat

import (
	"math/rand/v2"
	"testing"
)

// randomTexts are strings of every length up to about 40 drawn mostly from lower-case letters, with
// the pieces the escapers and repairs must notice (controls, DEL, C1 controls, invalid and cut-off
// UTF-8, U+2028, the specials of every format, '_', space) put in at every position.
func randomTexts(seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 1))
	odd := []string{"\x00", "\t", "\n", "\r", "\x1f", " ", "!", "~", "\x7f", "\x80", "\xc3", "\xdf", "\xff",
		"\\", "=", "|", "\"", "]", "_", "ü", "\u0085", "\u2028", "€", "😀", "\xe2\x82", "\\\\", "\r\n"}
	var out []string
	for n := 0; n <= 40; n++ {
		for k := 0; k < 40; k++ {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte('a' + r.IntN(26))
			}
			s := string(b)
			for j := 0; n > 0 && k > 0 && j < 1+k%3; j++ {
				i := r.IntN(len(s) + 1)
				s = s[:i] + odd[r.IntN(len(odd))] + s[i:]
			}
			out = append(out, s)
		}
	}
	return out
}

// The fuzz targets' properties (independent parsers against the documented repairs) for texts with
// every piece the escapers treat specially at every position, in every input of each property.
func TestRoundTripPropertiesOverTexts(t *testing.T) {
	texts := randomTexts(7)
	cef, json, syslog := newCEFProperty(t), jsonProperty{NewJSON()}, newSyslogProperty(t)
	for i, s := range texts {
		u := texts[(i*7+3)%len(texts)]
		cef.check(t, s, u, s, u, s, u, u, s)
		cef.check(t, u, s, u, s, u, s, s, u)
		json.check(t, s, u, s, u)
		syslog.check(t, s, u, s, u, s, u)
		syslog.check(t, u, s, u, s, u, s)
	}
}

// isPlain's word-wise scan agrees with a byte-by-byte scan (and plainLen finds the first non-plain
// byte) for every escaper, on the random texts and on every byte value at every position of a
// 20-byte text.
func TestIsPlainMatchesByteScan(t *testing.T) {
	classes := []*byteClass{&jsonClass, &textModes[inCEFHeader].cls, &textModes[inCEFExt].cls, &textModes[inSDValue].cls}
	texts := randomTexts(7)
	for c := 0; c < 256; c++ {
		for i := 0; i < 20; i++ {
			b := []byte("abcdefghijklmnopqrst")
			b[i] = byte(c)
			texts = append(texts, string(b))
		}
	}
	for ci, cls := range classes {
		for _, s := range texts {
			want := len(s)
			for i := 0; i < len(s); i++ {
				if cls.of[s[i]] != clsPlain {
					want = i
					break
				}
			}
			if got := plainLen(s, cls); got != want {
				t.Fatalf("class %d: plainLen(%q) = %d, want %d", ci, s, got, want)
			}
			if got := isPlain(s, cls); got != (want == len(s)) {
				t.Fatalf("class %d: isPlain(%q) = %v, want %v", ci, s, got, want == len(s))
			}
		}
	}
}
