package secformat

import (
	"unicode/utf8"
	"unsafe"
)

// TruncationMarker ends every value this package shortens (CEF header and extension values over
// their limit, RFC 5424 SD values) and is the marker exporters should pass to TruncateUTF8 when they
// cap a whole message (UDP). It is plain ASCII without any character CEF or JSON escape, so it
// reads the same in every format once decoded (inside an RFC 5424 SD value its ']' is escaped).
const TruncationMarker = "[truncated]"

// Substitutes for characters that must not pass raw. They are documented in README.md; the tests
// re-implement them independently.
const (
	replacementChar = "\uFFFD" // invalid UTF-8 and C1 controls (U+0080..U+009F, which include NEL)
)

// controlPicture returns the Unicode "control picture" (U+2400..U+241F, U+2421 for DEL) that stands
// in for a C0 control or DEL where the format has no escape for it (CEF, SD values). Visible to an
// analyst, never a line break, accepted by liblognorm (a raw TAB or NUL is not, or truncates).
func appendControlPicture(dst []byte, c byte) []byte {
	if c == 0x7f {
		return append(dst, 0xe2, 0x90, 0xa1) // U+2421 SYMBOL FOR DELETE
	}
	return append(dst, 0xe2, 0x90, 0x80+c) // U+2400 + c
}

// Byte classes for the escapers' fast path: bytes of class 0 are copied as they are.
const (
	clsPlain   = 0
	clsSpecial = 1 // needs escaping or substitution in this context
	clsHigh    = 2 // first byte of a multi-byte sequence, or invalid: decode it
)

type byteClass [256]uint8

func newByteClass(specials string) *byteClass {
	var t byteClass
	for c := 0; c < 0x20; c++ {
		t[c] = clsSpecial
	}
	t[0x7f] = clsSpecial
	for c := 0x80; c < 0x100; c++ {
		t[c] = clsHigh
	}
	for i := 0; i < len(specials); i++ {
		t[specials[i]] = clsSpecial
	}
	return &t
}

var (
	cefHeaderClass = newByteClass(`\|`)
	cefExtClass    = newByteClass(`\=`)
	jsonClass      = newByteClass(`\"`)
	sdClass        = newByteClass(`\"]`)
)

// SWAR ("SIMD within a register") constants: the plain-run scanners test 8 bytes at a time.
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// plainRun returns the index of the first byte at or after i (before end) that is not plain for an
// escaper whose specials are the C0 controls, DEL, non-ASCII, c1 and c2 (the table cls says the same
// byte by byte). Plain text, the common case, is skipped 16 bytes at a time (two words whose tests
// are independent, so the CPU runs them side by side, and one branch for both); a short tail is tested
// as the last 8 bytes of the range (overlapping bytes already known plain). Only a word that holds a
// special byte goes to the byte loop.
func plainRun(s string, i, end int, c1, c2 byte, cls *byteClass) int {
	r1, r2 := lsb*uint64(c1), lsb*uint64(c2)
	for ; i+16 <= end; i += 16 {
		if notPlain(load64(s, i), r1, r2)|notPlain(load64(s, i+8), r1, r2) != 0 {
			return plainBytes(s, i, end, cls)
		}
	}
	if i+8 <= end {
		if notPlain(load64(s, i), r1, r2) != 0 {
			return plainBytes(s, i, end, cls)
		}
		i += 8
	}
	if i < end && end >= 8 && notPlain(load64(s, end-8), r1, r2) == 0 {
		return end
	}
	return plainBytes(s, i, end, cls)
}

// isPlain reports whether plainRun(s, 0, len(s), c1, c2, cls) == len(s): the common question for a
// whole value (c1 and c2 must be ASCII). Without an index to return, no word needs its own answer:
// the words' tests are folded into two accumulators (see plainAcc) that are looked at once, at the
// end, and a value of 4..7 bytes is tested as one word made of its first and last four bytes
// (instead of byte by byte). The answer is exact, so it needs no byte loop.
func isPlain(s string, c1, c2 byte, cls *byteClass) bool {
	r1, r2 := lsb*uint64(c1), lsb*uint64(c2)
	n := len(s)
	if n >= 8 {
		last := load64(s, n-8)
		or, and := plainAcc(last, r1, r2, 0, ^uint64(0))
		for ; len(s) >= 16; s = s[16:] {
			or, and = plainAcc(load64(s, 0), r1, r2, or, and)
			or, and = plainAcc(load64(s, 8), r1, r2, or, and)
		}
		if len(s) >= 8 {
			or, and = plainAcc(load64(s, 0), r1, r2, or, and)
		}
		return (or|^and)&msb == 0
	}
	if n >= 4 {
		or, and := plainAcc(uint64(load32(s, 0))|uint64(load32(s, n-4))<<32, r1, r2, 0, ^uint64(0))
		return (or|^and)&msb == 0
	}
	for i := 0; i < n; i++ {
		if cls[s[i]] != clsPlain {
			return false
		}
	}
	return true
}

// plainAcc folds the word x into isPlain's accumulators: afterwards a byte's top bit is set in or, or
// clear in and, when that byte of x (or of a word folded before) is a control, DEL, non-ASCII, or
// equal to the (ASCII) bytes repeated in r1 or r2. The tests work on l, x's bytes without their top
// bit (x's own top bits flag non-ASCII bytes), so that no sum carries into the next byte and every
// test is exact: l+0x01 reaches 0x80 for DEL alone, l+0x60 stays below 0x80 for controls alone, and
// (l^r)+0x7f stays below 0x80 when l equals r's byte alone. It takes fewer operations than notPlain,
// and the words' tests need not be masked one by one.
func plainAcc(x, r1, r2, or, and uint64) (uint64, uint64) {
	const low7 = lsb * 0x7f
	l := x & low7
	// The word's terms are combined first, so that the accumulators (chains from word to word) take
	// one operation per word each.
	return or | (x | (l + lsb)), and & ((l + lsb*0x60) & ((l ^ r1) + low7) & ((l ^ r2) + low7))
}

// load32 reads s[i:i+4] as a little-endian word (see load64).
func load32(s string, i int) uint32 {
	w := s[i : i+4]
	return uint32(w[0]) | uint32(w[1])<<8 | uint32(w[2])<<16 | uint32(w[3])<<24
}

func plainBytes(s string, i, end int, cls *byteClass) int {
	for i < end && cls[s[i]] == clsPlain {
		i++
	}
	return i
}

// load64 reads s[i:i+8] as a little-endian word. Slicing first leaves one bounds check (i+7 alone
// would not prove i >= 0, so every byte was checked) and constant indexes the compiler merges into
// one 8-byte load.
func load64(s string, i int) uint64 {
	w := s[i : i+8]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// notPlain is zero when none of the 8 bytes in x is a control (< 0x20), DEL, non-ASCII, or equal to
// the bytes repeated in r1 or r2. (x | x+1) has a byte's top bit set for DEL and for any byte >= 0x80
// (a carry out of a 0xff byte can only add false alarms, which the byte loop then clears); the other
// terms are the classic "has a zero byte" test on x-0x20.., x^r1 and x^r2, exact as to whether any byte
// matches. The top bits are masked once, after the terms are combined.
func notPlain(x, r1, r2 uint64) uint64 {
	y1, y2 := x^r1, x^r2
	return (x | (x + lsb) | (x-lsb*0x20)&^x | (y1-lsb)&^y1 | (y2-lsb)&^y2) & msb
}

// notPlain3 is notPlain with a third special byte (r3).
func notPlain3(x, r1, r2, r3 uint64) uint64 {
	y1, y2, y3 := x^r1, x^r2, x^r3
	return (x | (x + lsb) | (x-lsb*0x20)&^x | (y1-lsb)&^y1 | (y2-lsb)&^y2 | (y3-lsb)&^y3) & msb
}

// isPlain3 reports whether s has no control, DEL, non-ASCII byte and none of c1, c2, c3: a string
// that is written as it is both as a JSON string and inside a CEF extension value.
func isPlain3(s string, c1, c2, c3 byte) bool {
	r1, r2, r3 := lsb*uint64(c1), lsb*uint64(c2), lsb*uint64(c3)
	i := 0
	for ; i+16 <= len(s); i += 16 {
		if notPlain3(load64(s, i), r1, r2, r3)|notPlain3(load64(s, i+8), r1, r2, r3) != 0 {
			return false
		}
	}
	if len(s) >= 8 {
		if i+8 <= len(s) {
			if notPlain3(load64(s, i), r1, r2, r3) != 0 {
				return false
			}
			i += 8
		}
		return i == len(s) || notPlain3(load64(s, len(s)-8), r1, r2, r3) == 0
	}
	for ; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == c1 || c == c2 || c == c3 {
			return false
		}
	}
	return true
}

// decodeHigh decodes the non-ASCII sequence at s[i:]. It returns the bytes to write for it
// (s[i:i+n] itself when it is valid and allowed, else a substitute) and its length n in s.
// C1 controls (U+0080..U+009F) are replaced: NEL (U+0085) is a line break to some readers.
func decodeHigh(s string, i int) (repl string, n int, valid bool) {
	r, n := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && n <= 1 {
		return replacementChar, 1, false
	}
	if r >= 0x80 && r <= 0x9f {
		return replacementChar, n, false
	}
	return s[i : i+n], n, true
}

// repairedLen is the byte length s has once invalid UTF-8 and control characters are replaced
// (before any escaping): the length the limits are measured in. crlf is the width CR and LF take:
// 1 in CEF (an escape, or a space in headers), 3 in SD values (a control picture).
func repairedLen(s string, crlf int) int {
	// Printable ASCII (all but two characters of it plain for the extension escaper) keeps its length.
	i := plainRun(s, 0, len(s), '\\', '=', cefExtClass)
	n := i
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\n' || c == '\r':
			n += crlf
			i++
		case c < 0x20, c == 0x7f:
			n += 3
			i++
		case c < 0x80:
			n++
			i++
		default:
			repl, w, _ := decodeHigh(s, i)
			n += len(repl)
			i += w
		}
	}
	return n
}

// appendCEFExtValue appends s as a CEF extension value: '\' -> "\\", '=' -> "\=", LF -> "\n",
// CR -> "\r", other C0 controls and DEL -> control pictures, C1 controls and invalid UTF-8 ->
// U+FFFD, '|' and everything else as is. When the repaired value is longer than max bytes (max > 0)
// it is cut on a character boundary (before escaping, so never inside an escape) and ends with
// TruncationMarker, the whole within max. It reports whether it cut.
func appendCEFExtValue(dst []byte, s string, max int) ([]byte, bool) {
	// The plain prefix is found once. A value that is plain throughout (the common case) keeps its
	// length when repaired, so it fits exactly when len(s) <= max: one scan, one copy, and no
	// cutPoint. Otherwise the prefix (up to the cut) is copied as the loop below would copy it.
	if (max <= 0 || len(s) <= max) && isPlain(s, '\\', '=', cefExtClass) {
		return append(dst, s...), false
	}
	j := plainRun(s, 0, len(s), '\\', '=', cefExtClass)
	limit, cut := cutPoint(s, max, 1)
	j = min(j, limit)
	dst = append(dst, s[:j]...)
	for i := j; i < limit; {
		c := s[i]
		switch cefExtClass[c] {
		case clsPlain:
			j := plainRun(s, i+1, limit, '\\', '=', cefExtClass)
			dst = append(dst, s[i:j]...)
			i = j
			continue
		case clsSpecial:
			switch c {
			case '\\':
				dst = append(dst, '\\', '\\')
			case '=':
				dst = append(dst, '\\', '=')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			default:
				dst = appendControlPicture(dst, c)
			}
			i++
		default:
			repl, n, _ := decodeHigh(s, i)
			dst = append(dst, repl...)
			i += n
		}
	}
	if cut {
		dst = append(dst, TruncationMarker...)
	}
	return dst, cut
}

// appendCEFHeaderValue appends s as a CEF header field: '\' -> "\\", '|' -> "\|", CR and LF -> a
// space, other C0 controls and DEL -> control pictures, C1 controls and invalid UTF-8 -> U+FFFD,
// '=' as is. Cut like appendCEFExtValue.
func appendCEFHeaderValue(dst []byte, s string, max int) ([]byte, bool) {
	// The plain prefix is found once. A value that is plain throughout (the common case) keeps its
	// length when repaired, so it fits exactly when len(s) <= max: one scan, one copy, and no
	// cutPoint. Otherwise the prefix (up to the cut) is copied as the loop below would copy it.
	if (max <= 0 || len(s) <= max) && isPlain(s, '\\', '|', cefHeaderClass) {
		return append(dst, s...), false
	}
	j := plainRun(s, 0, len(s), '\\', '|', cefHeaderClass)
	limit, cut := cutPoint(s, max, 1)
	j = min(j, limit)
	dst = append(dst, s[:j]...)
	for i := j; i < limit; {
		c := s[i]
		switch cefHeaderClass[c] {
		case clsPlain:
			j := plainRun(s, i+1, limit, '\\', '|', cefHeaderClass)
			dst = append(dst, s[i:j]...)
			i = j
			continue
		case clsSpecial:
			switch c {
			case '\\':
				dst = append(dst, '\\', '\\')
			case '|':
				dst = append(dst, '\\', '|')
			case '\n', '\r':
				dst = append(dst, ' ')
			default:
				dst = appendControlPicture(dst, c)
			}
			i++
		default:
			repl, n, _ := decodeHigh(s, i)
			dst = append(dst, repl...)
			i += n
		}
	}
	if cut {
		dst = append(dst, TruncationMarker...)
	}
	return dst, cut
}

// cutPoint returns how many bytes of s to write so that the repaired text plus TruncationMarker fits
// in max bytes, and whether s must be cut at all. max <= 0 means no limit. The cut falls on a
// character boundary of s; escaping happens after, so it can never split an escape sequence.
func cutPoint(s string, max, crlf int) (int, bool) {
	// Repair grows a byte to at most 3 (a control picture or U+FFFD), so a short s always fits.
	if max <= 0 || len(s)*3 <= max || repairedLen(s, crlf) <= max {
		return len(s), false
	}
	budget := max - len(TruncationMarker)
	if budget < 0 {
		budget = 0
	}
	n := 0
	i := 0
	for i < len(s) {
		c := s[i]
		var w, add int
		switch {
		case c == '\n' || c == '\r':
			w, add = 1, crlf
		case c < 0x20, c == 0x7f:
			w, add = 1, 3
		case c < 0x80:
			w, add = 1, 1
		default:
			repl, rw, _ := decodeHigh(s, i)
			w, add = rw, len(repl)
		}
		if n+add > budget {
			break
		}
		n += add
		i += w
	}
	return i, true
}

// appendJSONString appends s as a JSON string literal: '"' and '\' escaped, LF/CR/TAB/BS/FF by their
// short escapes, other C0 controls, DEL, C1 controls, U+2028 and U+2029 as \u00XX / \u20XX (so no
// reader sees a raw control or line separator), invalid UTF-8 as \ufffd. Lossless for valid input.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch jsonClass[c] {
		case clsPlain:
			j := plainRun(s, i+1, len(s), '\\', '"', jsonClass)
			dst = append(dst, s[i:j]...)
			i = j
			continue
		case clsSpecial:
			switch c {
			case '"':
				dst = append(dst, '\\', '"')
			case '\\':
				dst = append(dst, '\\', '\\')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = appendUEscape(dst, rune(c))
			}
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && n <= 1:
				dst = append(dst, `\ufffd`...)
			case r <= 0x9f, r == 0x2028, r == 0x2029:
				dst = appendUEscape(dst, r)
			default:
				dst = append(dst, s[i:i+n]...)
			}
			i += n
		}
	}
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

func appendUEscape(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// appendSDValue appends s as an RFC 5424 PARAM-VALUE: '"', '\' and ']' escaped with a backslash (RFC
// 5424 6.3.3), C0 controls (CR and LF included) and DEL as control pictures, C1 controls and invalid
// UTF-8 as U+FFFD. Cut like appendCEFExtValue.
func appendSDValue(dst []byte, s string, max int) []byte {
	limit, cut := cutPoint(s, max, 3)
	for i := 0; i < limit; {
		c := s[i]
		switch sdClass[c] {
		case clsPlain:
			j := i + 1
			for j < limit && sdClass[s[j]] == clsPlain {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
			continue
		case clsSpecial:
			if c == '"' || c == '\\' || c == ']' {
				dst = append(dst, '\\', c)
			} else {
				dst = appendControlPicture(dst, c)
			}
			i++
		default:
			repl, n, _ := decodeHigh(s, i)
			dst = append(dst, repl...)
			i += n
		}
	}
	if cut {
		dst = append(dst, sdTruncationMarker...)
	}
	return dst
}

// sdTruncationMarker is TruncationMarker as an SD PARAM-VALUE: its ']' escaped.
const sdTruncationMarker = `[truncated\]`

// appendPrintASCII appends s reduced to printable US-ASCII (33..126), as RFC 5424 requires for
// HOSTNAME, APP-NAME, PROCID and MSGID: every other character (space, control, non-ASCII, invalid
// byte) becomes '_'. At most max bytes; an empty result is the NILVALUE "-".
func appendPrintASCII(dst []byte, s string, max int) []byte {
	// Host names, categories and pids are printable throughout: checked a word at a time, copied whole.
	if len(s) > 0 && len(s) <= max && printRun(s) == len(s) {
		return append(dst, s...)
	}
	start := len(dst)
	for i := 0; i < len(s) && len(dst)-start < max; {
		c := s[i]
		if c >= 33 && c <= 126 {
			dst = append(dst, c)
			i++
			continue
		}
		if c < 0x80 {
			i++
		} else {
			_, n := utf8.DecodeRuneInString(s[i:])
			i += n
		}
		dst = append(dst, '_')
	}
	if len(dst) == start {
		dst = append(dst, '-')
	}
	return dst
}

// printRun returns the length of the prefix of s made of printable US-ASCII (33..126). A word is
// tested at once: (x | x+1) flags bytes >= 0x7f (a carry can only add false alarms), x-0x21.. &^ x
// flags bytes < 0x21; a flagged word is settled byte by byte.
func printRun(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := load64(s, i)
		if (x|(x+lsb)|(x-lsb*0x21)&^x)&msb != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 33 || c > 126 {
			return i
		}
	}
	return i
}

// appendAlnum appends the ASCII letters and digits of s, at most max of them (RFC 3164 TAG).
func appendAlnum(dst []byte, s string, max int) []byte {
	n := 0
	for i := 0; i < len(s) && n < max; i++ {
		c := s[i]
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			dst = append(dst, c)
			n++
		}
	}
	return dst
}

// TruncateUTF8 appends msg to dst, cut so that it takes at most max bytes: when msg is longer, it is
// cut on a UTF-8 character boundary, never right after an odd run of backslashes (that would leave
// half an escape sequence, in CEF, JSON or SD, which would then swallow the marker's first byte), and
// ends with marker, the whole within max bytes. If marker alone is longer than max, only as much of
// it as fits is written. It reports whether it cut. It never changes what it keeps.
func TruncateUTF8(dst, msg []byte, max int, marker string) ([]byte, bool) {
	if max < 0 {
		max = 0
	}
	if len(msg) <= max {
		return append(dst, msg...), false
	}
	if len(marker) >= max {
		m := marker[:max]
		for len(m) > 0 && !utf8.ValidString(m) {
			m = m[:len(m)-1]
		}
		return append(dst, m...), true
	}
	cut := max - len(marker)
	// Back up to the start of the character that straddles the cut. A continuation byte never
	// starts a character; a well-formed sequence is at most 4 bytes.
	for back := 0; cut > 0 && back < utf8.UTFMax && !utf8.RuneStart(msg[cut]); back++ {
		cut--
	}
	if cut > 0 && !utf8.RuneStart(msg[cut]) {
		// Invalid UTF-8 (a run of continuation bytes): any cut is as good; keep the length.
		cut = max - len(marker)
	}
	// Drop an unfinished escape: an odd number of trailing backslashes.
	run := 0
	for run < cut && msg[cut-1-run] == '\\' {
		run++
	}
	if run%2 == 1 {
		cut--
	}
	dst = append(dst, msg[:cut]...)
	return append(dst, marker...), true
}

// bytesToString views b as a string without copying. Only used on bytes this package has just written
// to a region of dst that it does not modify while the string is in use.
func bytesToString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// AppendJSONString appends s as a JSON string literal, quotes included, with the escaping every
// JSON output of the product uses (see appendJSONString). Exporters that build envelopes around the
// formatter's objects (HEC, webhook) call it so that one escaper writes every JSON string.
func AppendJSONString(dst []byte, s string) []byte { return appendJSONString(dst, s) }

// AppendJSONStringMax is AppendJSONString limited to max bytes, quotes and escapes included; a cut
// string ends with TruncationMarker inside the quotes. It reports whether it cut. Below the room for
// two quotes and the marker, a cut string is written as "" so that the output stays valid JSON.
func AppendJSONStringMax(dst []byte, s string, max int) ([]byte, bool) {
	start := len(dst)
	dst = appendJSONString(dst, s)
	if len(dst)-start <= max {
		return dst, false
	}
	if max < 2+len(TruncationMarker) {
		return append(dst[:start], '"', '"'), true
	}
	return appendJSONStringMax(dst[:start], s, max), true
}
