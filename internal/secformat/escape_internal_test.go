package secformat

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// randomTexts are strings of every length up to 40 drawn mostly from plain ASCII, with the bytes the
// word-at-a-time tests must notice (controls, DEL, 0x80 and 0xff, the specials, '_') sprinkled in at
// every position, so that each lands in every byte of a word and in the overlapping tail.
func randomTexts(seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 1))
	odd := []byte{0, '\t', '\n', 0x1f, 0x20, 0x21, 0x7e, 0x7f, 0x80, 0xc3, 0xdf, 0xff, '\\', '=', '|', '"', ']', '_'}
	var out []string
	for n := 0; n <= 40; n++ {
		for k := 0; k < 40; k++ {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte('a' + r.IntN(26))
			}
			if n > 0 && k > 0 {
				b[r.IntN(n)] = odd[r.IntN(len(odd))]
				if k%3 == 0 {
					b[r.IntN(n)] = odd[r.IntN(len(odd))]
				}
			}
			out = append(out, string(b))
		}
	}
	return out
}

func TestWordAtATimeScansMatchBytes(t *testing.T) {
	for _, s := range randomTexts(7) {
		// plainRun against its byte table, from every start.
		for _, c := range []struct {
			c2  byte
			cls *byteClass
		}{{'=', cefExtClass}, {'|', cefHeaderClass}, {'"', jsonClass}} {
			for i := 0; i <= len(s); i++ {
				want := i
				for want < len(s) && c.cls[s[want]] == clsPlain {
					want++
				}
				require.Equal(t, want, plainRun(s, i, len(s), '\\', c.c2, c.cls), "%q from %d", s, i)
				require.Equal(t, want == len(s), isPlain(s[i:], '\\', c.c2, c.cls), "isPlain %q from %d", s, i)
			}
		}
		// isPlain3: no control, DEL, non-ASCII, '\', '"' or '='.
		want := true
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c >= 0x7f || c == '\\' || c == '"' || c == '=' {
				want = false
			}
		}
		require.Equal(t, want, isPlain3(s, '\\', '"', '='), "%q", s)
		// printRun: the printable US-ASCII prefix.
		n := 0
		for n < len(s) && s[n] >= 33 && s[n] <= 126 {
			n++
		}
		require.Equal(t, n, printRun(s), "%q", s)
		// wordsToName: '_' to ' ', and whether the header escaper leaves it as it is.
		b := []byte(s)
		plain := wordsToName(b)
		require.Equal(t, strings.ReplaceAll(s, "_", " "), string(b), "%q", s)
		wantPlain := true
		for i := 0; i < len(s); i++ {
			if cefHeaderClass[s[i]] != clsPlain {
				wantPlain = false
			}
		}
		require.Equal(t, wantPlain, plain, "%q", s)
	}
}

func TestAppendMillis(t *testing.T) {
	for _, ms := range []uint64{0, 1, 9, 10, 99, 100, 99999999, 1e8, 1e8 + 1, 1795688103123, 9999999999999, 1e13, 1e15 + 7, 1e16 - 1, 1e16, 1<<63 - 1} {
		require.Equal(t, strconv.FormatUint(ms, 10), string(appendMillis([]byte{}, ms)))
	}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 10000; i++ {
		ms := r.Uint64N(1 << uint(r.IntN(63)+1))
		require.Equal(t, strconv.FormatUint(ms, 10), string(appendMillis([]byte("x"), ms))[1:])
	}
}

// TestIsPlainEveryByte puts every byte value at every position of plain texts of 1..40 bytes, so
// that each lands in every byte of a word, in the 4..7-byte form and in the overlapping last word:
// isPlain's word tests are exact, so each must agree with the byte table.
func TestIsPlainEveryByte(t *testing.T) {
	for _, c := range []struct {
		c2  byte
		cls *byteClass
	}{{'=', cefExtClass}, {'|', cefHeaderClass}, {'"', jsonClass}} {
		for n := 1; n <= 40; n++ {
			b := []byte(strings.Repeat("a0 ~", 10)[:n])
			for i := 0; i < n; i++ {
				for v := 0; v < 256; v++ {
					b[i] = byte(v)
					want := true
					for _, x := range b {
						if c.cls[x] != clsPlain {
							want = false
						}
					}
					require.Equal(t, want, isPlain(string(b), '\\', c.c2, c.cls), "%q", b)
				}
				b[i] = "a0 ~"[i%4]
			}
		}
	}
}
