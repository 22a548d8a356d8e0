package secformat

import (
	"encoding/hex"
	"math/bits"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// Names of the record-level fields in the JSON object (the schema's "JSON / HEC field" column for
// Timestamp, Body, SeverityNumber and EventName; trace and span ids as OpenTelemetry's JSON names them).
const (
	JSONTimestamp      = "@timestamp"
	JSONMessage        = "message"
	JSONSeverityNumber = "severity_number"
	JSONSeverityText   = "severity_text"
	JSONEventName      = "event.name"
	JSONTraceID        = "trace_id"
	JSONSpanID         = "span_id"
)

// @timestamp is RFC 3339 in UTC with nanoseconds, always 9 digits, so that the text sorts like the
// time and no precision the producer sent is lost.

// JSON turns log records of the project schema into one flat JSON object each. It is safe for
// concurrent use.
type JSON struct {
	names    []string         // `"key":` for each schema field, in secevent.Fields order
	attrIdx  map[string]uint8 // built by NewJSON; attrKeys/resKeys are what Append reads
	resIdx   map[string]uint8
	attrKeys keyTable
	resKeys  keyTable
	// reserved are the record-level names: always claimed, so that an attribute of the same name
	// can never be mistaken for them.
	reserved [7]string
}

// NewJSON builds the JSON formatter from the schema table.
func NewJSON() *JSON {
	f := &JSON{
		attrIdx:  map[string]uint8{},
		resIdx:   map[string]uint8{},
		reserved: [7]string{JSONTimestamp, JSONSeverityNumber, JSONSeverityText, JSONEventName, JSONMessage, JSONTraceID, JSONSpanID},
	}
	for _, fld := range secevent.Fields {
		if fld.Place == secevent.PlaceRecord {
			continue
		}
		if len(f.names) == maxMappings {
			panic("secformat: more schema fields than the JSON formatter's state holds")
		}
		b := appendJSONString(nil, fld.JSON)
		f.names = append(f.names, string(append(b, ':')))
		idx := uint8(len(f.names) - 1)
		if fld.Place == secevent.PlaceResource {
			f.resIdx[fld.Key] = idx
		} else {
			f.attrIdx[fld.Key] = idx
		}
	}
	f.attrKeys, f.resKeys = newKeyTable(f.attrIdx), newKeyTable(f.resIdx)
	return f
}

type jsonEvent struct {
	vals    [maxMappings]pcommon.Value
	types   [maxMappings]uint8 // vals' pcommon.ValueType, read once (Value.Type is not free)
	present uint64
	nOver   int
	over    [8]overflowEntry
	more    []overflowEntry
}

func (ev *jsonEvent) add(idx uint8, v pcommon.Value, t pcommon.ValueType) bool {
	bit := uint64(1) << idx
	if ev.present&bit != 0 {
		return false
	}
	ev.vals[idx] = v
	ev.types[idx] = uint8(t)
	ev.present |= bit
	return true
}

func (ev *jsonEvent) addOther(key string, fromRes bool, v pcommon.Value) {
	if ev.nOver < len(ev.over) {
		ev.over[ev.nOver] = overflowEntry{key, v, fromRes}
		ev.nOver++
		return
	}
	ev.more = append(ev.more, overflowEntry{key, v, fromRes})
}

// Append appends one JSON object for lr (with its resource res) to dst, without a trailing newline.
// Field order: @timestamp, severity_number, severity_text, event.name, message, trace_id, span_id;
// then the schema's keys in the schema's order; then other record attributes and other resource
// attributes in the order the record holds them. Absent and empty fields are left out.
func (f *JSON) Append(dst []byte, res pcommon.Resource, lr plog.LogRecord) []byte {
	var ev jsonEvent
	for k, v := range lr.Attributes().All() {
		t := pcommon.ValueTypeStr
		if v.Str() == "" { // a non-empty Str is a string; only the rest pay for Type's switch
			if t = v.Type(); t == pcommon.ValueTypeEmpty || t == pcommon.ValueTypeStr {
				continue
			}
		}
		idx, ok := f.attrKeys.get(k)
		if !ok || !ev.add(idx, v, t) {
			ev.addOther(k, false, v)
		}
	}
	for k, v := range res.Attributes().All() {
		t := pcommon.ValueTypeStr
		if v.Str() == "" { // a non-empty Str is a string; only the rest pay for Type's switch
			if t = v.Type(); t == pcommon.ValueTypeEmpty || t == pcommon.ValueTypeStr {
				continue
			}
		}
		idx, ok := f.resKeys.get(k)
		if !ok || !ev.add(idx, v, t) {
			ev.addOther(k, true, v)
		}
	}

	start := len(dst)
	dst = append(dst, '{')
	sep := func() {
		if len(dst) > start+1 {
			dst = append(dst, ',')
		}
	}
	ts := lr.Timestamp()
	if ts == 0 {
		ts = lr.ObservedTimestamp()
	}
	if ts != 0 {
		dst = append(dst, `"@timestamp":"`...)
		dst = appendRFC3339UnixNano(dst, int64(ts), 9)
		dst = append(dst, '"')
	}
	if n := lr.SeverityNumber(); n != 0 {
		sep()
		dst = append(dst, `"severity_number":`...)
		dst = appendInt(dst, int64(n))
	}
	if t := lr.SeverityText(); t != "" {
		sep()
		dst = append(dst, `"severity_text":`...)
		dst = appendJSONString(dst, t)
	}
	if n := lr.EventName(); n != "" {
		sep()
		dst = append(dst, `"event.name":`...)
		dst = appendJSONString(dst, n)
	}
	if b := lr.Body(); !isEmptyValue(b) {
		sep()
		dst = append(dst, `"message":`...)
		dst = appendJSONValue(dst, b, 0)
	}
	if tid := lr.TraceID(); !tid.IsEmpty() {
		sep()
		dst = append(dst, `"trace_id":"`...)
		dst = hex.AppendEncode(dst, tid[:])
		dst = append(dst, '"')
	}
	if sid := lr.SpanID(); !sid.IsEmpty() {
		sep()
		dst = append(dst, `"span_id":"`...)
		dst = hex.AppendEncode(dst, sid[:])
		dst = append(dst, '"')
	}
	for set := ev.present; set != 0; set &= set - 1 {
		idx := bits.TrailingZeros64(set)
		sep()
		dst = append(dst, f.names[idx]...)
		dst = appendJSONTyped(dst, ev.vals[idx], pcommon.ValueType(ev.types[idx]), 0)
	}
	if ev.nOver > 0 {
		// The reserved names and an alert record's twenty-odd schema fields are claimed before the
		// others: 48 names fit without an allocation.
		var names [48]string
		claims := newKeyClaims(names[:])
		for _, r := range f.reserved {
			claims.add(r)
		}
		for set := ev.present; set != 0; set &= set - 1 {
			// The schema's JSON names are the canonical keys (secevent.Fields[i].JSON).
			claims.add(jsonFieldName(f.names[bits.TrailingZeros64(set)]))
		}
		emit := func(e *overflowEntry) {
			sep()
			dst = appendJSONString(dst, claims.claim(e.key, e.scope()))
			dst = append(dst, ':')
			dst = appendJSONValue(dst, e.v, 0)
		}
		for i := 0; i < ev.nOver; i++ {
			emit(&ev.over[i])
		}
		for i := range ev.more {
			emit(&ev.more[i])
		}
	}
	return append(dst, '}')
}

// jsonFieldName recovers the field name from a precomputed `"name":` (schema names need no escaping).
func jsonFieldName(quoted string) string {
	return quoted[1 : len(quoted)-2]
}
