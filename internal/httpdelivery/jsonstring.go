package httpdelivery

import (
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
