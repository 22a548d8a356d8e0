package delivery

import (
	"bytes"
	"encoding/json"

	"unsafe"

	"github.com/unified-ot/otelcol-siem/internal/secformat"
)

// AppendJSONString appends raw as a JSON string literal with secformat's escaper (the one JSON
// string escaper of the product).
func AppendJSONString(dst []byte, raw []byte) []byte {
	return secformat.AppendJSONString(dst, bytesAsString(raw))
}

// AppendTruncatedJSONString appends raw as a JSON string literal of at most max bytes (quotes and
// escapes included), cut with secformat.TruncationMarker when it does not fit; it reports whether
// it cut.
func AppendTruncatedJSONString(dst []byte, raw []byte, max int) ([]byte, bool) {
	return secformat.AppendJSONStringMax(dst, bytesAsString(raw), max)
}

// bytesAsString views b as a string without copying: the escaper only reads it, and b is not
// changed while it runs. This keeps the per-event envelope path free of allocations.
func bytesAsString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// EventID finds the event.id in a formatted record, for logs that must say which record was
// dropped without showing its content: the JSON formatter's "event.id" member, or CEF's externalId
// (also inside a JSON string, as HEC's CEF events are). Both come from secformat, which escapes a
// quote inside a JSON string and an equals sign inside a CEF value, so neither pattern can start
// inside a value. It returns "" when the record has none.
func EventID(rec []byte) string {
	if i := bytes.Index(rec, []byte(`"event.id":"`)); i >= 0 {
		v := rec[i+len(`"event.id":"`):]
		if j := bytes.IndexByte(v, '"'); j >= 0 {
			return string(v[:j])
		}
	}
	for _, key := range []string{" externalId=", "|externalId="} {
		if i := bytes.Index(rec, []byte(key)); i >= 0 {
			v := rec[i+len(key):]
			if j := bytes.IndexAny(v, " \"\\"); j >= 0 {
				v = v[:j]
			}
			return string(v)
		}
	}
	return ""
}

// CutJSON returns prefix, then the JSON value v as a JSON string cut to fit max bytes in all (its
// text when v is a string, else v's JSON text) marked [truncated], then suffix. It is how a record a
// server refused as too large (413) is sent smaller: still valid JSON, its start kept.
func CutJSON(prefix, v, suffix []byte, max int) []byte {
	text := v
	var s string
	if len(v) > 0 && v[0] == '"' && json.Unmarshal(v, &s) == nil {
		text = []byte(s)
	}
	out := append([]byte(nil), prefix...)
	out, _ = AppendTruncatedJSONString(out, text, max-len(prefix)-len(suffix))
	return append(out, suffix...)
}
