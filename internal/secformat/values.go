package secformat

import (
	"encoding/base64"
	"math"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// maxJSONDepth bounds the nesting this package renders: an attribute nested deeper (only a hostile or
// broken producer sends that) is written as the string depthLimitText instead of being followed.
const (
	maxJSONDepth   = 32
	depthLimitText = "[nesting too deep]"
)

// appendJSONValue appends v as a JSON value: strings escaped by appendJSONString, ints and finite
// doubles as numbers, NaN and ±Inf as the strings "NaN", "+Inf", "-Inf" (JSON has no such numbers),
// bytes as a base64 string, slices as arrays, maps as objects (keys in their order), empty as null.
func appendJSONValue(dst []byte, v pcommon.Value, depth int) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return appendJSONString(dst, v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(dst, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		if f := v.Double(); math.IsNaN(f) || math.IsInf(f, 0) {
			dst = append(dst, '"')
			dst = appendFloatText(dst, f)
			return append(dst, '"')
		}
		return appendFloatText(dst, v.Double())
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(dst, v.Bool())
	case pcommon.ValueTypeBytes:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, v.Bytes().AsRaw())
		return append(dst, '"')
	case pcommon.ValueTypeSlice:
		if depth >= maxJSONDepth {
			return appendJSONString(dst, depthLimitText)
		}
		s := v.Slice()
		dst = append(dst, '[')
		for i := 0; i < s.Len(); i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONValue(dst, s.At(i), depth+1)
		}
		return append(dst, ']')
	case pcommon.ValueTypeMap:
		if depth >= maxJSONDepth {
			return appendJSONString(dst, depthLimitText)
		}
		dst = append(dst, '{')
		first := true
		for k, e := range v.Map().All() {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendJSONValue(dst, e, depth+1)
		}
		return append(dst, '}')
	}
	return append(dst, "null"...)
}

// appendFloatText writes f as Go's shortest 'g' form, NaN and ±Inf as "NaN", "+Inf", "-Inf".
func appendFloatText(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "+Inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-Inf"...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// appendValueText appends v as unescaped text, for a CEF value: a string as it is, a scalar in its
// usual text form, bytes as base64; a slice as its elements joined by "," when join is set (each
// element as text if it is a scalar, else as JSON), else as JSON; a map as JSON. The caller escapes.
func appendValueText(dst []byte, v pcommon.Value, join bool) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return append(dst, v.Str()...)
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(dst, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		return appendFloatText(dst, v.Double())
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(dst, v.Bool())
	case pcommon.ValueTypeBytes:
		return base64.StdEncoding.AppendEncode(dst, v.Bytes().AsRaw())
	case pcommon.ValueTypeSlice:
		if !join {
			return appendJSONValue(dst, v, 0)
		}
		s := v.Slice()
		for i := 0; i < s.Len(); i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			e := s.At(i)
			switch e.Type() {
			case pcommon.ValueTypeSlice, pcommon.ValueTypeMap:
				dst = appendJSONValue(dst, e, 1)
			default:
				dst = appendValueText(dst, e, false)
			}
		}
		return dst
	case pcommon.ValueTypeMap:
		return appendJSONValue(dst, v, 0)
	}
	return dst
}

// isEmptyValue reports whether v carries nothing: an empty value or an empty string. Such fields are
// left out of every output (an empty CEF value is also rejected by liblognorm at the end of a line).
func isEmptyValue(v pcommon.Value) bool {
	switch v.Type() {
	case pcommon.ValueTypeEmpty:
		return true
	case pcommon.ValueTypeStr:
		return v.Str() == ""
	}
	return false
}

// intValue returns v as an int64 when it is an int, or a string holding a decimal integer (producers
// that stringify ports), or a double with an integral value.
func intValue(v pcommon.Value) (int64, bool) {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return v.Int(), true
	case pcommon.ValueTypeStr:
		n, err := strconv.ParseInt(v.Str(), 10, 64)
		return n, err == nil
	case pcommon.ValueTypeDouble:
		d := v.Double()
		if d == math.Trunc(d) && d >= -9.2e18 && d <= 9.2e18 {
			return int64(d), true
		}
	}
	return 0, false
}

// eventTime is the record's Timestamp, else its ObservedTimestamp; 0 when it has neither.
func eventTime(ts, observed pcommon.Timestamp) pcommon.Timestamp {
	if ts == 0 {
		return observed
	}
	return ts
}

// appendRFC3339 writes ts (ns since the Unix epoch) in RFC 3339, UTC, with frac fractional digits
// (6 in the syslog TIMESTAMP, 9 in JSON's @timestamp: the text sorts like the time and keeps every
// digit the producer sent). It writes what time.Time.AppendFormat writes for that layout, field by
// field: the layout's parse was an eighth of the formatter's time. A uint64 of nanoseconds read as
// int64 is a year between 1677 and 2262, always four digits.
func appendRFC3339(dst []byte, ts pcommon.Timestamp, frac int) []byte {
	t := time.Unix(0, int64(ts)).UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	dst = appendDigits(dst, year, 4)
	dst = appendDigits(append(dst, '-'), int(month), 2)
	dst = appendDigits(append(dst, '-'), day, 2)
	dst = appendDigits(append(dst, 'T'), hour, 2)
	dst = appendDigits(append(dst, ':'), minute, 2)
	dst = appendDigits(append(dst, ':'), sec, 2)
	ns := t.Nanosecond()
	for i := frac; i < 9; i++ {
		ns /= 10
	}
	dst = appendDigits(append(dst, '.'), ns, frac)
	return append(dst, 'Z')
}

// appendDigits writes the non-negative n in exactly width decimal digits, zero-padded.
func appendDigits(dst []byte, n, width int) []byte {
	dst = append(dst, "000000000"[:width]...)
	for i := len(dst) - 1; n > 0 && i >= len(dst)-width; i-- {
		dst[i] = byte('0' + n%10)
		n /= 10
	}
	return dst
}

// appendTime writes ts (ns since the Unix epoch) in UTC with layout.
func appendTime(dst []byte, ts pcommon.Timestamp, layout string) []byte {
	return time.Unix(0, int64(ts)).UTC().AppendFormat(dst, layout)
}

// keyClaims keeps the names already used in one JSON object so that no name is written twice (a
// producer may send the same key as a resource and a record attribute, or twice on the wire). Small
// objects are checked linearly in small, a slice over an array on the caller's stack (newKeyClaims);
// larger ones (a hostile producer) switch to a map so that the cost stays linear.
type keyClaims struct {
	n     int
	small []string // never re-assigned after newKeyClaims: that would move the caller's array to the heap
	big   map[string]struct{}
}

// newKeyClaims claims names in buf first (no allocation while they fit).
func newKeyClaims(buf []string) keyClaims { return keyClaims{small: buf} }

func (c *keyClaims) has(k string) bool {
	if c.big != nil {
		_, ok := c.big[k]
		return ok
	}
	for _, s := range c.small[:c.n] {
		if s == k {
			return true
		}
	}
	return false
}

func (c *keyClaims) add(k string) {
	if c.big == nil && c.n < len(c.small) {
		c.small[c.n] = k
		c.n++
		return
	}
	if c.big == nil {
		c.big = make(map[string]struct{}, 2*c.n+8)
		for _, s := range c.small[:c.n] {
			c.big[s] = struct{}{}
		}
	}
	c.big[k] = struct{}{}
}

// claim returns a name for key that is not used yet in the object and claims it: key itself, else
// scope+"."+key, else scope+"."+key+"#2", "#3", ...
func (c *keyClaims) claim(key, scope string) string {
	name := key
	for n := 1; c.has(name); n++ {
		name = scope + "." + key
		if n > 1 {
			name += "#" + strconv.Itoa(n)
		}
	}
	c.add(name)
	return name
}
