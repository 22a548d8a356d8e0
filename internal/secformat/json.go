package secformat

import (
	"encoding/hex"
	"math/bits"
	"strconv"

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

// JSON turns log records of the project schema into one flat JSON object each. It is built once by
// NewJSON, holds nothing that changes afterwards, and is safe for concurrent use.
type JSON struct {
	names    []string // the JSON name of each schema field, in secevent.Fields order
	attrKeys keyIndex // record attribute key -> index in names
	resKeys  keyIndex // resource attribute key -> index in names
}

// NewJSON builds the JSON formatter from the schema table.
func NewJSON() *JSON {
	f := &JSON{}
	attrIdx, resIdx := map[string]int{}, map[string]int{}
	for _, fld := range secevent.Fields {
		if fld.Place == secevent.PlaceRecord {
			continue
		}
		if len(f.names) == maxMappings {
			panic("secformat: more schema fields than the JSON formatter's state holds")
		}
		f.names = append(f.names, fld.JSON)
		if fld.Place == secevent.PlaceResource {
			resIdx[fld.Key] = len(f.names) - 1
		} else {
			attrIdx[fld.Key] = len(f.names) - 1
		}
	}
	f.attrKeys, f.resKeys = newKeyIndex(attrIdx), newKeyIndex(resIdx)
	return f
}

// jsonEvent is what Append collects from one record: the value of each schema field (present says
// which) and, in the record's order, the other attributes.
type jsonEvent struct {
	vals    [maxMappings]pcommon.Value
	present uint64
	over    [8]overflowEntry
	nOver   int
	more    []overflowEntry
}

func (ev *jsonEvent) collect(attrs pcommon.Map, keys *keyIndex, fromRes bool) {
	for k, v := range attrs.All() {
		if isEmptyValue(v) {
			continue
		}
		if i, ok := keys.get(k); ok && ev.present&(1<<i) == 0 {
			ev.vals[i] = v
			ev.present |= 1 << i
		} else if ev.nOver < len(ev.over) {
			ev.over[ev.nOver] = overflowEntry{k, v, fromRes}
			ev.nOver++
		} else {
			ev.more = append(ev.more, overflowEntry{k, v, fromRes})
		}
	}
}

// Append appends one JSON object for lr (with its resource res) to dst, without a trailing newline.
// Field order: @timestamp, severity_number, severity_text, event.name, message, trace_id, span_id;
// then the schema's keys in the schema's order; then other record attributes and other resource
// attributes in the order the record holds them. Absent and empty fields are left out.
func (f *JSON) Append(dst []byte, res pcommon.Resource, lr plog.LogRecord) []byte {
	var ev jsonEvent
	ev.collect(lr.Attributes(), &f.attrKeys, false)
	ev.collect(res.Attributes(), &f.resKeys, true)

	start := len(dst)
	dst = append(dst, '{')
	// member writes the separating comma and "name":.
	member := func(name string) {
		if len(dst) > start+1 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, name)
		dst = append(dst, ':')
	}
	if ts := eventTime(lr.Timestamp(), lr.ObservedTimestamp()); ts != 0 {
		member(JSONTimestamp)
		dst = append(dst, '"')
		dst = appendRFC3339(dst, ts, 9)
		dst = append(dst, '"')
	}
	if n := lr.SeverityNumber(); n != 0 {
		member(JSONSeverityNumber)
		dst = strconv.AppendInt(dst, int64(n), 10)
	}
	if t := lr.SeverityText(); t != "" {
		member(JSONSeverityText)
		dst = appendJSONString(dst, t)
	}
	if n := lr.EventName(); n != "" {
		member(JSONEventName)
		dst = appendJSONString(dst, n)
	}
	if b := lr.Body(); !isEmptyValue(b) {
		member(JSONMessage)
		dst = appendJSONValue(dst, b, 0)
	}
	if tid := lr.TraceID(); !tid.IsEmpty() {
		member(JSONTraceID)
		dst = append(dst, '"')
		dst = hex.AppendEncode(dst, tid[:])
		dst = append(dst, '"')
	}
	if sid := lr.SpanID(); !sid.IsEmpty() {
		member(JSONSpanID)
		dst = append(dst, '"')
		dst = hex.AppendEncode(dst, sid[:])
		dst = append(dst, '"')
	}
	for set := ev.present; set != 0; set &= set - 1 {
		idx := bits.TrailingZeros64(set)
		member(f.names[idx])
		dst = appendJSONValue(dst, ev.vals[idx], 0)
	}
	if ev.nOver > 0 {
		// The record-level names are always claimed, so that an attribute of the same name can never
		// be mistaken for them; then the schema's names written (an alert record's twenty-odd fit).
		var names [48]string
		claims := newKeyClaims(names[:])
		for _, r := range [...]string{JSONTimestamp, JSONSeverityNumber, JSONSeverityText, JSONEventName, JSONMessage, JSONTraceID, JSONSpanID} {
			claims.add(r)
		}
		for set := ev.present; set != 0; set &= set - 1 {
			claims.add(f.names[bits.TrailingZeros64(set)])
		}
		for i := 0; i < ev.nOver; i++ {
			e := &ev.over[i]
			member(claims.claim(e.key, e.scope()))
			dst = appendJSONValue(dst, e.v, 0)
		}
		for i := range ev.more {
			e := &ev.more[i]
			member(claims.claim(e.key, e.scope()))
			dst = appendJSONValue(dst, e.v, 0)
		}
	}
	return append(dst, '}')
}
