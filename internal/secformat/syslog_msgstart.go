package secformat

import (
	"bytes"
	"strconv"
)

// MsgStart returns the offset of MSG in a syslog message this package wrote (Append,
// AppendRecord), or len(rec) when rec has none. It reads the header as written: RFC 3164
// "<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: ", RFC 5424 six space-free fields and then the structured
// data ("-" or [...] elements, whose values escape '"', '\' and ']').
func (s *Syslog) MsgStart(rec []byte) int {
	if s.rfc3164 {
		// HOSTNAME and TAG hold no space, so the first ": " after HOSTNAME ends TAG (HOSTNAME
		// itself may end in ':').
		i := bytes.IndexByte(rec, '>')
		if i < 0 {
			return len(rec)
		}
		i += 1 + len("Mmm dd hh:mm:ss ")
		if i > len(rec) {
			return len(rec)
		}
		h := bytes.IndexByte(rec[i:], ' ')
		if h < 0 {
			return len(rec)
		}
		i += h
		j := bytes.Index(rec[i:], []byte(": "))
		if j < 0 {
			return len(rec)
		}
		return i + j + 2
	}
	i := 0
	for range 6 { // <PRI>1, TIMESTAMP, HOSTNAME, APP-NAME, PROCID, MSGID
		j := bytes.IndexByte(rec[i:], ' ')
		if j < 0 {
			return len(rec)
		}
		i += j + 1
	}
	end := sdEnd(rec, i)
	if end < len(rec) && rec[end] == ' ' {
		return end + 1
	}
	return len(rec)
}

// sdEnd returns the offset just past the STRUCTURED-DATA that starts at rec[i].
func sdEnd(rec []byte, i int) int {
	if i < len(rec) && rec[i] == '-' {
		return i + 1
	}
	inValue := false
	for i < len(rec) {
		switch c := rec[i]; {
		case inValue && c == '\\':
			i++ // the escaped byte
		case c == '"':
			inValue = !inValue
		case !inValue && c == ']':
			if i+1 >= len(rec) || rec[i+1] != '[' {
				return i + 1
			}
		}
		i++
	}
	return len(rec)
}

// WithSequenceID returns rec (an RFC 5424 message this package wrote) with the structured-data
// element [meta sequenceId="id"] (RFC 5424 7.3.1) added, and the growth of its header. rec is not
// changed; an RFC 3164 message is returned as it is.
func (s *Syslog) WithSequenceID(rec []byte, id uint64) ([]byte, int) {
	if s.rfc3164 {
		return rec, 0
	}
	msg := s.MsgStart(rec)
	if msg >= len(rec) {
		return rec, 0
	}
	sdStart := msg - 1 // the space before MSG
	elem := strconv.AppendUint([]byte(`[meta sequenceId="`), id, 10)
	elem = append(elem, '"', ']')
	out := make([]byte, 0, len(rec)+len(elem))
	if sdStart > 0 && rec[sdStart-1] == '-' {
		// "-": no structured data yet; the element replaces it.
		out = append(append(append(out, rec[:sdStart-1]...), elem...), rec[sdStart:]...)
		return out, len(elem) - 1
	}
	out = append(append(append(out, rec[:sdStart]...), elem...), rec[sdStart:]...)
	return out, len(elem)
}
