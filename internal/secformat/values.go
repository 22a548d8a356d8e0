package secformat

import (
	"encoding/base64"
	"math"
	"strconv"
	"sync/atomic"
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
	return appendJSONTyped(dst, v, v.Type(), depth)
}

// appendJSONTyped is appendJSONValue for a value whose type t the caller has read already.
func appendJSONTyped(dst []byte, v pcommon.Value, t pcommon.ValueType, depth int) []byte {
	switch t {
	case pcommon.ValueTypeStr:
		return appendJSONString(dst, v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(dst, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		return appendJSONFloat(dst, v.Double())
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

func appendJSONFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"+Inf"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Inf"`...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// appendFloatText is appendJSONFloat without the quotes, for plain-text contexts.
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

// keyClaims keeps the names already used in one JSON object so that no name is written twice (a
// producer may send the same key as a resource and a record attribute, or twice on the wire). Small
// objects are checked linearly in small, a slice over an array on the caller's stack (newKeyClaims),
// sized by the caller for its typical object; larger ones (a hostile producer) switch to a map so
// that the cost stays linear.
type keyClaims struct {
	n     int
	small []string // never re-assigned after newKeyClaims: an assignment through c would move the
	// caller's array to the heap
	big map[string]struct{}
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
	if c.big != nil {
		c.big[k] = struct{}{}
		return
	}
	if c.n < len(c.small) {
		c.small[c.n] = k
		c.n++
		return
	}
	c.big = make(map[string]struct{}, 2*c.n+8)
	for _, s := range c.small[:c.n] {
		c.big[s] = struct{}{}
	}
	c.big[k] = struct{}{}
}

// claim returns a name for key that is not used yet in the object and claims it: key itself, else
// scope+"."+key, else scope+"."+key+"#2", "#3", ...
func (c *keyClaims) claim(key, scope string) string {
	if !c.has(key) {
		c.add(key)
		return key
	}
	alt := scope + "." + key
	for n := 2; c.has(alt); n++ {
		alt = scope + "." + key + "#" + strconv.Itoa(n)
	}
	c.add(alt)
	return alt
}

// appendRFC3339UTC appends t in UTC as RFC 3339 with exactly frac fractional digits (6 for syslog,
// 9 for JSON) and a "Z": what time.AppendFormat writes for "2006-01-02T15:04:05.000000Z07:00",
// without parsing the layout on every call. Years outside 0..9999 fall back to AppendFormat.
func appendRFC3339UTC(dst []byte, t time.Time, frac int) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		layout := "2006-01-02T15:04:05.000000Z07:00"
		if frac == 9 {
			layout = "2006-01-02T15:04:05.000000000Z07:00"
		}
		return t.AppendFormat(dst, layout)
	}
	hour, minute, sec := t.Clock()
	dst = append(dst,
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+int(month)/10), byte('0'+int(month)%10), '-',
		byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':',
		byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.')
	ns := t.Nanosecond()
	var digits [9]byte
	for i := 8; i >= 0; i-- {
		digits[i] = byte('0' + ns%10)
		ns /= 10
	}
	dst = append(dst, digits[:frac]...)
	return append(dst, 'Z')
}

// lastDate caches civilDate's last answer: the records formatted one after the other mostly share
// their day. It packs days+1 (bits 32..63; 0 is "none") with the year (bits 16..31), month (8..15)
// and day (0..7), so that one atomic word holds a consistent entry without a lock. Whichever
// formatter stores last wins; a stale entry is only a miss.
var lastDate atomic.Uint64

// civilDate returns the calendar date of the day number days (since 1970-01-01, >= 0).
func civilDate(days int64) (year, month, day int64) {
	if c := lastDate.Load(); c>>32 == uint64(days)+1 {
		return int64(c >> 16 & 0xffff), int64(c >> 8 & 0xff), int64(c & 0xff)
	}
	// Days since 0000-03-01 in the proleptic Gregorian calendar, split into 400-year eras.
	z := days + 719468
	era := z / 146097
	doe := z - era*146097                                  // day of era, 0..146096
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // year of era, 0..399
	year = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100) // day of the year starting on March 1
	mp := (5*doy + 2) / 153                  // month starting with March = 0
	day = doy - (153*mp+2)/5 + 1
	month = mp + 3
	if month > 12 {
		month -= 12
		year++
	}
	lastDate.Store((uint64(days)+1)<<32 | uint64(year)<<16 | uint64(month)<<8 | uint64(day))
	return year, month, day
}

// appendRFC3339UnixNano is appendRFC3339UTC(dst, time.Unix(0, ns), frac) for the record timestamps
// of every event: the calendar date comes straight from the day number (the civil-from-days
// algorithm of H. Hinnant, "chrono-Compatible Low-Level Date Algorithms"), without building a
// time.Time and asking it for the date and the clock separately. Times before 1970 take the general
// path; a non-negative int64 of nanoseconds ends in 2262, far inside the four-digit years.
func appendRFC3339UnixNano(dst []byte, ns int64, frac int) []byte {
	if ns < 0 {
		return appendRFC3339UTC(dst, time.Unix(0, ns), frac)
	}
	secs, nsec := ns/1e9, ns%1e9
	days, sod := secs/86400, secs%86400
	year, month, day := civilDate(days)
	hour, minute, sec := sod/3600, sod/60%60, sod%60
	// Every field is two digits (the year two pairs), taken from the table of pairs. The text is
	// composed in b and appended once.
	cc, yy := 2*(year/100), 2*(year%100)
	month, day, hour, minute, sec = 2*month, 2*day, 2*hour, 2*minute, 2*sec
	b := [30]byte{
		digitPairs[cc], digitPairs[cc+1], digitPairs[yy], digitPairs[yy+1], '-',
		digitPairs[month], digitPairs[month+1], '-',
		digitPairs[day], digitPairs[day+1], 'T',
		digitPairs[hour], digitPairs[hour+1], ':',
		digitPairs[minute], digitPairs[minute+1], ':',
		digitPairs[sec], digitPairs[sec+1], '.'}
	// The nine fraction digits (b[20:29]): the last alone, the others two at a time.
	n := uint32(nsec)
	b[28] = byte('0' + n%10)
	n /= 10
	for i := 27; i > 20; i -= 2 {
		r := n % 100
		n /= 100
		b[i-1], b[i] = digitPairs[2*r], digitPairs[2*r+1]
	}
	frac = min(max(frac, 0), 9)
	b[20+frac] = 'Z'
	return append(dst, b[:21+frac]...)
}
