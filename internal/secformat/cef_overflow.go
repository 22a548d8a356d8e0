package secformat

import (
	"encoding/hex"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// overflowEntry is a field without a CEF key of its own, waiting for the overflow JSON (or, in the
// JSON formatter, an attribute without a schema name).
type overflowEntry struct {
	key     string
	v       pcommon.Value
	fromRes bool // a resource attribute: the prefix a colliding name gets is "resource", else "attributes"
}

func (e *overflowEntry) scope() string {
	if e.fromRes {
		return "resource"
	}
	return "attributes"
}

// The overflow JSON is measured, raw, against the custom-string limit, then CEF-escaped in place.
const (
	omittedKey = "_omitted"
	// omittedReserve keeps room for `,"_omitted":N}` however many entries are left out.
	omittedReserve = len(`,"`+omittedKey+`":`) + 20 + 1
)

// overflowWriter writes the members of the overflow object that starts (with '{') at dst[mark].
type overflowWriter struct {
	dst     []byte
	mark    int
	budget  int // bytes the object may take before the omitted note and the closing brace
	omitted int
}

// member starts the next member, "name":, and returns where it starts.
func (w *overflowWriter) member(name string) int {
	start := len(w.dst)
	if start > w.mark+1 {
		w.dst = append(w.dst, ',')
	}
	w.dst = appendJSONString(w.dst, name)
	w.dst = append(w.dst, ':')
	return start
}

// hexMember writes "name":"<id in hex>".
func (w *overflowWriter) hexMember(name string, id []byte) {
	w.member(name)
	w.dst = append(w.dst, '"')
	w.dst = hex.AppendEncode(w.dst, id)
	w.dst = append(w.dst, '"')
}

// entry writes "name":value, the value being v, or the string s when v is nil. A member that does
// not fit in the slot is cut to fit when it is a string (ending with TruncationMarker); anything
// else is left out and counted in _omitted.
func (w *overflowWriter) entry(name string, v *pcommon.Value, s string) {
	if v != nil && v.Type() == pcommon.ValueTypeStr {
		v, s = nil, v.Str()
	}
	start := w.member(name)
	valStart := len(w.dst)
	if v == nil {
		w.dst = appendJSONString(w.dst, s)
	} else {
		w.dst = appendJSONValue(w.dst, *v, 0)
	}
	if len(w.dst)-w.mark <= w.budget {
		return
	}
	if room := w.budget - (valStart - w.mark); v == nil && room >= len(TruncationMarker)+2+16 {
		w.dst = appendJSONStringMax(w.dst[:valStart], s, room)
		return
	}
	w.dst = w.dst[:start]
	w.omitted++
}

// appendOverflow writes the overflow slot: "cs6=" and a JSON object of the record's trace and span
// ids, eventName (unless empty) and ev's overflow entries, then the slot's label.
func (f *CEF) appendOverflow(dst []byte, ev *cefEvent, eventName string, lr plog.LogRecord) []byte {
	dst = append(dst, f.overflowPrefix...)
	w := overflowWriter{dst: dst, mark: len(dst), budget: maxCustomStrLen - omittedReserve}
	w.dst = append(w.dst, '{')
	// claims is not a field of w: the names' array then stays on the stack.
	var names [24]string
	claims := newKeyClaims(names[:])
	claims.add(omittedKey)
	// The ids first: their fixed size is then part of the budget every later entry is checked against.
	if tid := lr.TraceID(); !tid.IsEmpty() {
		claims.add("trace_id")
		w.hexMember("trace_id", tid[:])
	}
	if sid := lr.SpanID(); !sid.IsEmpty() {
		claims.add("span_id")
		w.hexMember("span_id", sid[:])
	}
	if eventName != "" {
		w.entry(claims.claim("event.name", "record"), nil, eventName)
	}
	for i := 0; i < ev.nOver; i++ {
		e := &ev.over[i]
		w.entry(claims.claim(e.key, e.scope()), &e.v, "")
	}
	for i := range ev.more {
		e := &ev.more[i]
		w.entry(claims.claim(e.key, e.scope()), &e.v, "")
	}
	if w.omitted > 0 {
		w.member(omittedKey)
		w.dst = strconv.AppendInt(w.dst, int64(w.omitted), 10)
	}
	dst = escapeTail(append(w.dst, '}'), w.mark, 0, inCEFExt)
	return append(dst, f.overflowLabel...)
}
