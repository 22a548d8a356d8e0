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

// sdTruncationMarker is TruncationMarker as an SD PARAM-VALUE: its ']' escaped.
const sdTruncationMarker = `[truncated\]`

// replacementChar stands in for invalid UTF-8 and C1 controls (U+0080..U+009F, which include NEL).
const replacementChar = "\uFFFD"

// Byte classes of an escaper: bytes of class clsPlain are copied as they are.
const (
	clsPlain   = 0
	clsSpecial = 1 // needs escaping or substitution in this context
	clsHigh    = 2 // first byte of a multi-byte sequence, or invalid: decode it
)

// byteClass is an escaper's class of every byte, and its specials (for the word-wise scan).
type byteClass struct {
	of    [256]uint8
	lanes [3]uint64 // each printable special in every byte lane; the first repeats to fill
}

// newByteClass marks C0 controls and DEL special, every byte >= 0x80 high, and specials special.
func newByteClass(specials string) byteClass {
	var t byteClass
	for c := 0; c < 0x20; c++ {
		t.of[c] = clsSpecial
	}
	t.of[0x7f] = clsSpecial
	for c := 0x80; c < 0x100; c++ {
		t.of[c] = clsHigh
	}
	for i := 0; i < len(specials); i++ {
		t.of[specials[i]] = clsSpecial
	}
	for i := range t.lanes {
		t.lanes[i] = uint64(specials[i%len(specials)]) * oneLanes
	}
	return t
}

var jsonClass = newByteClass(`\"`)

// textMode is one of the escapers that repair text (control pictures, U+FFFD) and cut it to a limit:
// a CEF header field, a CEF extension value, an RFC 5424 SD PARAM-VALUE.
type textMode uint8

const (
	inCEFHeader textMode = iota
	inCEFExt
	inSDValue
)

// textModes holds, per textMode, the byte classes (its printable specials are escaped with a
// backslash) and the width CR and LF take in the repaired text, which limits are measured in: 1 in
// CEF (a space in headers, an escape in extensions), 3 in SD values (a control picture).
var textModes = [...]struct {
	cls  byteClass
	crlf int
}{
	inCEFHeader: {newByteClass(`\|`), 1},
	inCEFExt:    {newByteClass(`\=`), 1},
	inSDValue:   {newByteClass(`\"]`), 3},
}

// plainLen is the length of the prefix of s that an escaper with classes cls copies as it is.
func plainLen(s string, cls *byteClass) int {
	for i := 0; i < len(s); i++ {
		if cls.of[s[i]] != clsPlain {
			return i
		}
	}
	return len(s)
}

// isPlain reports whether an escaper with classes cls copies all of s as it is (the usual case). It
// tests eight bytes at a time without a branch per word; the last word overlaps the one before.
func isPlain(s string, cls *byteClass) bool {
	n := len(s)
	if n < 8 {
		return plainLen(s, cls) == n
	}
	var bad uint64
	for i := 0; i < n-8; i += 8 {
		bad |= cls.badLanes(load64(s, i))
	}
	return (bad|cls.badLanes(load64(s, n-8)))&highLanes == 0
}

const (
	oneLanes  = 0x0101010101010101
	highLanes = 0x8080808080808080
)

// badLanes sets the high bit of each byte lane of x that is not plain: below 0x20, at or above 0x7f,
// or one of the specials. (A borrow or carry can also set a higher lane, but only when a lower lane
// is not plain.)
func (cls *byteClass) badLanes(x uint64) uint64 {
	bad := x | (x + oneLanes) | (x-0x20*oneLanes)&^x
	// A zero lane in y where x has the special.
	y0, y1, y2 := x^cls.lanes[0], x^cls.lanes[1], x^cls.lanes[2]
	return bad | (y0-oneLanes)&^y0 | (y1-oneLanes)&^y1 | (y2-oneLanes)&^y2
}

// load64 reads the eight bytes of s at i (i+8 <= len(s)), in the machine's byte order.
func load64(s string, i int) uint64 {
	return *(*uint64)(unsafe.Add(unsafe.Pointer(unsafe.StringData(s)), i))
}

// appendControlPicture writes the Unicode "control picture" (U+2400..U+241F, U+2421 for DEL) that
// stands in for a C0 control or DEL where the format has no escape for it (CEF, SD values). Visible
// to an analyst, never a line break, accepted by liblognorm (a raw TAB or NUL is not, or truncates).
func appendControlPicture(dst []byte, c byte) []byte {
	if c == 0x7f {
		return append(dst, 0xe2, 0x90, 0xa1) // U+2421 SYMBOL FOR DELETE
	}
	return append(dst, 0xe2, 0x90, 0x80+c) // U+2400 + c
}

// decodeHigh decodes the non-ASCII sequence at s[i:]. It returns the bytes to write for it (s[i:i+n]
// itself when it is valid and allowed, else U+FFFD) and its length n in s. C1 controls
// (U+0080..U+009F) are replaced: NEL (U+0085) is a line break to some readers.
func decodeHigh(s string, i int) (repl string, n int) {
	r, n := utf8.DecodeRuneInString(s[i:])
	if r == utf8.RuneError && n <= 1 || r >= 0x80 && r <= 0x9f {
		return replacementChar, n
	}
	return s[i : i+n], n
}

// repairedWidth is the number of bytes the character at s[i:] takes once repaired (before any
// escaping), and its length in s.
func repairedWidth(s string, i, crlf int) (add, n int) {
	switch c := s[i]; {
	case c >= 0x20 && c < 0x7f:
		return 1, 1
	case c == '\n' || c == '\r':
		return crlf, 1
	case c < 0x80: // other C0 controls, DEL
		return 3, 1
	}
	repl, n := decodeHigh(s, i)
	return len(repl), n
}

// repairedLen is the byte length s has once invalid UTF-8 and control characters are replaced
// (before any escaping): the length the limits are measured in.
func repairedLen(s string, crlf int) int {
	i := plainLen(s, &textModes[inCEFExt].cls) // characters that keep their length
	total := i
	for i < len(s) {
		add, n := repairedWidth(s, i, crlf)
		total += add
		i += n
	}
	return total
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
	total, i := 0, 0
	for i < len(s) {
		add, n := repairedWidth(s, i, crlf)
		if total+add > budget {
			break
		}
		total += add
		i += n
	}
	return i, true
}

// appendText appends s repaired and escaped for mode m: its printable specials ('\' and '|' in a
// CEF header, '\' and '=' in a CEF extension, '\', '"' and ']' in an SD value) after a backslash; LF
// and CR as "\n" and "\r" in a CEF extension, as a space in a CEF header, as control pictures in an
// SD value; other C0 controls and DEL as control pictures; C1 controls and invalid UTF-8 as U+FFFD.
// When the repaired value is longer than max bytes (max > 0) it is cut on a character boundary
// (before escaping, so never inside an escape) and ends with TruncationMarker, the whole within max.
// It reports whether it cut.
func appendText(dst []byte, s string, max int, m textMode) ([]byte, bool) {
	cls := &textModes[m].cls
	if (max <= 0 || len(s) <= max) && isPlain(s, cls) {
		return append(dst, s...), false // plain text keeps its length: it fits
	}
	limit, cut := cutPoint(s, max, textModes[m].crlf)
	for i := 0; i < limit; {
		switch c := s[i]; {
		case cls.of[c] == clsPlain:
			j := i + 1 + plainLen(s[i+1:limit], cls)
			dst = append(dst, s[i:j]...)
			i = j
		case cls.of[c] == clsHigh:
			repl, n := decodeHigh(s, i)
			dst = append(dst, repl...)
			i += n
		default:
			dst = appendSpecial(dst, c, m)
			i++
		}
	}
	if cut {
		if m == inSDValue {
			return append(dst, sdTruncationMarker...), true
		}
		dst = append(dst, TruncationMarker...)
	}
	return dst, cut
}

// appendSpecial writes the ASCII byte c that is special in mode m.
func appendSpecial(dst []byte, c byte, m textMode) []byte {
	switch {
	case c >= 0x20 && c != 0x7f: // the mode's printable specials
		return append(dst, '\\', c)
	case c == '\n' && m == inCEFExt:
		return append(dst, '\\', 'n')
	case c == '\r' && m == inCEFExt:
		return append(dst, '\\', 'r')
	case (c == '\n' || c == '\r') && m == inCEFHeader:
		return append(dst, ' ')
	}
	return appendControlPicture(dst, c)
}

// appendCEFExtValue appends s as a CEF extension value (see appendText), cut to max bytes.
func appendCEFExtValue(dst []byte, s string, max int) ([]byte, bool) {
	return appendText(dst, s, max, inCEFExt)
}

// appendCEFHeaderValue appends s as a CEF header field (see appendText), cut to max bytes.
func appendCEFHeaderValue(dst []byte, s string, max int) ([]byte, bool) {
	return appendText(dst, s, max, inCEFHeader)
}

// escapeTail escapes for mode m, in place, the raw text written at dst[mark:] (text that had to be
// composed first), cutting it to max like appendText does. Text that needs no change is left as it is.
func escapeTail(dst []byte, mark int, max int, m textMode) []byte {
	raw := dst[mark:]
	if (max <= 0 || len(raw) <= max) && isPlain(bytesToString(raw), &textModes[m].cls) {
		return dst
	}
	// The escaped text goes after the raw text, then over it. Should append move dst, the raw
	// text is still read from the old array.
	rawEnd := len(dst)
	dst, _ = appendText(dst, bytesToString(raw), max, m)
	n := copy(dst[mark:], dst[rawEnd:])
	return dst[:mark+n]
}

// bytesToString views b as a string without copying; b must not change while the string is used.
func bytesToString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// appendJSONString appends s as a JSON string literal: '"' and '\' escaped, LF/CR/TAB/BS/FF by their
// short escapes, other C0 controls, DEL, C1 controls, U+2028 and U+2029 as \u00XX / \u20XX (so no
// reader sees a raw control or line separator), invalid UTF-8 as \ufffd. Lossless for valid input.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch jsonClass.of[c] {
		case clsPlain:
			j := i + 1 + plainLen(s[i+1:], &jsonClass)
			dst = append(dst, s[i:j]...)
			i = j
			continue
		case clsSpecial:
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
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

func appendUEscape(dst []byte, r rune) []byte {
	const hexDigits = "0123456789abcdef"
	return append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// appendJSONStringMax is appendJSONString cut so that the literal, quotes included, takes at most max
// bytes; a cut string ends with TruncationMarker inside the quotes. Cuts fall between characters,
// never inside an escape.
func appendJSONStringMax(dst []byte, s string, max int) []byte {
	start := len(dst)
	dst = appendJSONString(dst, s)
	if len(dst)-start <= max {
		return dst
	}
	limit := start + max - 1 - len(TruncationMarker) // room before the marker and closing quote
	i := start + 1
	for i < len(dst)-1 {
		w := 1
		switch c := dst[i]; {
		case c == '\\' && dst[i+1] == 'u':
			w = 6
		case c == '\\':
			w = 2
		case c >= 0x80: // valid UTF-8: appendJSONString wrote nothing else
			_, w = utf8.DecodeRune(dst[i:])
		}
		if i+w > limit {
			break
		}
		i += w
	}
	dst = append(dst[:i], TruncationMarker...)
	return append(dst, '"')
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

// appendPrintASCII appends s reduced to printable US-ASCII (33..126), as RFC 5424 requires for
// HOSTNAME, APP-NAME, PROCID and MSGID: every other character (space, control, non-ASCII, invalid
// byte) becomes '_'. At most max bytes; an empty result is the NILVALUE "-".
func appendPrintASCII(dst []byte, s string, max int) []byte {
	if s != "" && len(s) <= max && isPrintASCII(s) {
		return append(dst, s...)
	}
	start := len(dst)
	for i := 0; i < len(s) && len(dst)-start < max; {
		c := s[i]
		switch {
		case c >= 33 && c <= 126:
			dst = append(dst, c)
			i++
			continue
		case c < 0x80:
			i++
		default:
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
