package secformat

// Test-side oracles, written from the specifications (cef.md, RFC 5424) and the README's documented
// repairs, without calling the package's escapers: an independent CEF parser, an RFC 5424 header
// parser, and the expected-value functions that apply the documented repairs to an input.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

type parsedCEF struct {
	Version, Vendor, Product, DevVersion, SignatureID, Name, Severity string
	Keys                                                              []string // extension keys in order
	Ext                                                               map[string]string
}

// parseCEF parses one CEF line strictly: "CEF:" then 7 '|'-separated header fields where only "\\"
// and "\|" are escapes; then the extension, a space-separated list of key=value where keys are
// [A-Za-z0-9]+, every '=' inside a value is escaped, and the only escapes are \\ \= \n \r. Raw CR or
// LF anywhere, an unknown escape, a dangling backslash, a duplicate key or an empty value is an error.
func parseCEF(line string) (parsedCEF, error) {
	var p parsedCEF
	if strings.ContainsAny(line, "\r\n") {
		return p, errors.New("raw CR or LF in the line")
	}
	if !utf8.ValidString(line) {
		return p, errors.New("invalid UTF-8")
	}
	rest, ok := strings.CutPrefix(line, "CEF:")
	if !ok {
		return p, errors.New("no CEF: prefix")
	}
	var fields []string
	var cur strings.Builder
	i := 0
	for len(fields) < 7 {
		if i >= len(rest) {
			return p, fmt.Errorf("header has %d fields, want 7", len(fields))
		}
		c := rest[i]
		switch c {
		case '\\':
			if i+1 >= len(rest) || (rest[i+1] != '\\' && rest[i+1] != '|') {
				return p, fmt.Errorf("bad header escape at %d", i)
			}
			cur.WriteByte(rest[i+1])
			i += 2
		case '|':
			fields = append(fields, cur.String())
			cur.Reset()
			i++
		default:
			cur.WriteByte(c)
			i++
		}
	}
	p.Version, p.Vendor, p.Product, p.DevVersion, p.SignatureID, p.Name, p.Severity =
		fields[0], fields[1], fields[2], fields[3], fields[4], fields[5], fields[6]
	ext := rest[i:]
	p.Ext = map[string]string{}
	if ext == "" {
		return p, nil
	}
	// Positions of unescaped '=' in the extension.
	var eqs []int
	for j := 0; j < len(ext); j++ {
		switch ext[j] {
		case '\\':
			j++ // skip the escaped character
		case '=':
			eqs = append(eqs, j)
		}
	}
	type pair struct {
		key            string
		kstart, vstart int
	}
	var pairs []pair
	for _, e := range eqs {
		k := e
		for k > 0 && isAlnum(ext[k-1]) {
			k--
		}
		if k == e {
			return p, fmt.Errorf("unescaped '=' without a key at %d", e)
		}
		if k != 0 && ext[k-1] != ' ' {
			return p, fmt.Errorf("unescaped '=' inside a value at %d", e)
		}
		pairs = append(pairs, pair{ext[k:e], k, e + 1})
	}
	if len(pairs) == 0 || pairs[0].kstart != 0 {
		return p, errors.New("extension does not start with key=")
	}
	for n, pr := range pairs {
		end := len(ext)
		if n+1 < len(pairs) {
			end = pairs[n+1].kstart - 1 // the separating space
		}
		if end < pr.vstart {
			return p, fmt.Errorf("empty value for %s", pr.key)
		}
		v, err := unescapeCEFExt(ext[pr.vstart:end])
		if err != nil {
			return p, fmt.Errorf("%s: %w", pr.key, err)
		}
		if v == "" {
			return p, fmt.Errorf("empty value for %s", pr.key)
		}
		if _, dup := p.Ext[pr.key]; dup {
			return p, fmt.Errorf("duplicate key %s", pr.key)
		}
		p.Ext[pr.key] = v
		p.Keys = append(p.Keys, pr.key)
	}
	return p, nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func unescapeCEFExt(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 >= len(s) {
			return "", errors.New("dangling backslash")
		}
		i++
		switch s[i] {
		case '\\', '=':
			b.WriteByte(s[i])
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			return "", fmt.Errorf("unknown escape \\%c", s[i])
		}
	}
	return b.String(), nil
}

// Documented repairs (README "Repairs"): each invalid UTF-8 byte and each C1 control becomes U+FFFD;
// a C0 control or DEL becomes its control picture (U+2400+c, U+2421), except where the format has an
// escape for it (CR, LF in CEF extensions; every control in JSON) or replaces it (CR, LF -> space in
// CEF headers).
type repairMode int

const (
	modeCEFExt repairMode = iota
	modeCEFHeader
	modeSD
)

func repairText(s string, mode repairMode) []string {
	var out []string      // one entry per character of the result, so that cuts fall on characters
	for _, r := range s { // range yields U+FFFD for every invalid byte
		switch {
		case (r == '\n' || r == '\r') && mode == modeCEFExt:
			out = append(out, string(r))
		case (r == '\n' || r == '\r') && mode == modeCEFHeader:
			out = append(out, " ")
		case r < 0x20:
			out = append(out, string(rune(0x2400+r)))
		case r == 0x7f:
			out = append(out, "\u2421")
		case r >= 0x80 && r <= 0x9f:
			out = append(out, "\uFFFD")
		default:
			out = append(out, string(r))
		}
	}
	return out
}

// expectText is what a parser must decode for input s written with limit max (bytes, 0 = none).
func expectText(s string, mode repairMode, max int) string {
	chars := repairText(s, mode)
	total := 0
	for _, c := range chars {
		total += len(c)
	}
	if max <= 0 || total <= max {
		return strings.Join(chars, "")
	}
	var b strings.Builder
	for _, c := range chars {
		if b.Len()+len(c) > max-len("[truncated]") {
			break
		}
		b.WriteString(c)
	}
	b.WriteString("[truncated]")
	return b.String()
}

// expectJSONText is what encoding/json decodes for s: every invalid byte is U+FFFD, the rest as is.
func expectJSONText(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}

// expectSyslogField is s reduced to printable US-ASCII: every other character becomes '_'; at most
// max bytes; empty becomes "-".
func expectSyslogField(s string, max int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= max {
			break
		}
		if r >= 33 && r <= 126 {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}

type parsed5424 struct {
	PRI                                 int
	Timestamp, Host, App, ProcID, MsgID string
	SDID                                string
	SD                                  map[string]string
	Msg                                 string
	HasMsg                              bool
}

// parse5424 parses an RFC 5424 message (no framing) strictly by the RFC's ABNF.
func parse5424(s string) (parsed5424, error) {
	var p parsed5424
	if strings.ContainsAny(s, "\r\n") {
		return p, errors.New("raw CR or LF")
	}
	if !strings.HasPrefix(s, "<") {
		return p, errors.New("no PRI")
	}
	end := strings.IndexByte(s, '>')
	if end < 2 || end > 4 {
		return p, errors.New("bad PRI")
	}
	pri, err := strconv.Atoi(s[1:end])
	if err != nil || pri < 0 || pri > 191 || strconv.Itoa(pri) != s[1:end] {
		return p, fmt.Errorf("bad PRI %q", s[1:end])
	}
	p.PRI = pri
	rest, ok := strings.CutPrefix(s[end+1:], "1 ")
	if !ok {
		return p, errors.New("VERSION is not 1")
	}
	fields := make([]string, 5)
	limits := []int{len("2006-01-02T15:04:05.000000Z"), 255, 48, 128, 32}
	for n := range fields {
		i := strings.IndexByte(rest, ' ')
		if i <= 0 {
			return p, fmt.Errorf("header field %d missing", n)
		}
		fields[n] = rest[:i]
		rest = rest[i+1:]
		if len(fields[n]) > limits[n] {
			return p, fmt.Errorf("header field %d too long: %d", n, len(fields[n]))
		}
		for j := 0; j < len(fields[n]); j++ {
			if fields[n][j] < 33 || fields[n][j] > 126 {
				return p, fmt.Errorf("header field %d has byte %#x", n, fields[n][j])
			}
		}
	}
	p.Timestamp, p.Host, p.App, p.ProcID, p.MsgID = fields[0], fields[1], fields[2], fields[3], fields[4]
	if strings.HasPrefix(rest, "-") {
		rest = rest[1:]
	} else {
		if !strings.HasPrefix(rest, "[") {
			return p, errors.New("no STRUCTURED-DATA")
		}
		i := 1
		for i < len(rest) && rest[i] != ' ' && rest[i] != ']' {
			i++
		}
		p.SDID = rest[1:i]
		p.SD = map[string]string{}
		for i < len(rest) && rest[i] == ' ' {
			i++
			eq := strings.IndexByte(rest[i:], '=')
			if eq <= 0 {
				return p, errors.New("bad SD-PARAM")
			}
			name := rest[i : i+eq]
			i += eq + 1
			if i >= len(rest) || rest[i] != '"' {
				return p, errors.New("SD value not quoted")
			}
			i++
			var v strings.Builder
			for {
				if i >= len(rest) {
					return p, errors.New("unterminated SD value")
				}
				c := rest[i]
				if c == '\\' && i+1 < len(rest) && (rest[i+1] == '"' || rest[i+1] == '\\' || rest[i+1] == ']') {
					v.WriteByte(rest[i+1])
					i += 2
					continue
				}
				if c == '"' {
					i++
					break
				}
				if c == ']' {
					return p, errors.New("unescaped ] in SD value")
				}
				v.WriteByte(c)
				i++
			}
			p.SD[name] = v.String()
		}
		if i >= len(rest) || rest[i] != ']' {
			return p, errors.New("SD element not closed")
		}
		rest = rest[i+1:]
	}
	if rest == "" {
		return p, nil
	}
	if rest[0] != ' ' {
		return p, errors.New("no SP before MSG")
	}
	p.Msg, p.HasMsg = rest[1:], true
	return p, nil
}
