package secformat

import (
	"math"
	"math/bits"
	"sync/atomic"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// The records of one ResourceLogs share their resource, and an exporter formats them one after the
// other: the resource's part of the CEF line (its pairs, such as deviceProcessName and dvchost, and
// its overflow entries) is the same for all of them. It is rendered once into a resRender and reused
// while the resource's attributes stay equal, compared by content, not by identity: a record's
// resource may be a reused or modified pdata object, and equal content is what makes equal output.
// The strings compared are the pdata's own (Go strings never change): for the records of one
// resource they are the same bytes, which the comparison sees without reading them.
//
// This holds only when the resource's part depends on the resource alone, which resourceIndependent
// checks once per formatter; otherwise every record collects its resource like its attributes.

// resRender is one resource, rendered. It is not changed once stored, but for hits.
type resRender struct {
	attrs   []renderedAttr // the attributes it was rendered from
	present uint64         // the mapping slots the resource fills
	pairs   [maxMappings]string
	over    []renderedOverflow
	// overAlone is the whole overflow slot (" cs6=…" with its label) of a record that brings no
	// overflow entry of its own, "" when the resource has none either.
	overAlone string
	hits      atomic.Uint32 // records that reused it, counted up to paidHits
	// hostPID is what a syslog header takes from the resource (Syslog.AppendRecord with CEF).
	hostPID hostPID
}

// renderedAttr is an attribute as compared: scalars only (a resource holding a map, slice or bytes
// value is not cached).
type renderedAttr struct {
	key string
	t   pcommon.ValueType
	s   string
	n   uint64 // int, bool (0/1), or double bits
}

// renderedOverflow is a resource attribute for the overflow JSON: a string (text, written and cut
// by overflowWriter.entry) or a scalar's JSON text.
type renderedOverflow struct {
	key    string
	isStr  bool
	text   string
	escape bool // the JSON text may hold characters CEF escapes
	// member is the whole `"key":value` as overflowWriter writes it when the name is the key and the
	// value fits, and memberEscape says whether it may need CEF escaping.
	member       string
	memberEscape bool
}

// resourceIndependent reports whether the resource's pairs and overflow entries depend on the
// resource alone: no mapping is read from both a record and a resource attribute, no CEF key is
// shared between a record and a resource mapping, and no resource mapping plays a header role.
func (f *CEF) resourceIndependent() bool {
	var fromRes, fromAttr uint64 = 0, 1 // the Body (mapping 0) is the record's
	for _, idx := range f.resIdx {
		fromRes |= uint64(1) << idx
	}
	for _, idx := range f.attrIdx {
		fromAttr |= uint64(1) << idx
	}
	if fromRes&fromAttr != 0 {
		return false
	}
	for set := fromRes; set != 0; set &= set - 1 {
		m := &f.maps[bits.TrailingZeros64(set)]
		if m.role != roleNone || m.kind == mHeader {
			return false
		}
		if m.group >= 0 {
			for _, o := range f.groups[m.group] {
				if fromAttr&(uint64(1)<<o) != 0 {
					return false
				}
			}
		}
	}
	return true
}

// collectResource files the resource attributes into ev, after the record's: into their mapping
// slots, else into the overflow entries.
func (f *CEF) collectResource(ev *cefEvent, attrs pcommon.Map) {
	for k, v := range attrs.All() {
		t := v.Type()
		if t == pcommon.ValueTypeEmpty || t == pcommon.ValueTypeStr && v.Str() == "" {
			continue
		}
		idx, ok := f.resKeys.get(k)
		if !ok || !f.accept(ev, int(idx), v, t, true) {
			ev.addOverflow(k, true, v)
		}
	}
}

// Renderings allocate (a handful of times), so a record's resource is rendered only when that is
// paid for: when the one it replaces served paidHits records, or for one record in missesPerRender
// whose resource differed (records that each bring another resource, or workers formatting batches
// of different resources at the same time). Either way a rendering comes with at least 16 records,
// well within the budget of one allocation per record. Hits only read shared memory once the
// rendering is paid for, so parallel workers on one resource do not contend.
const (
	paidHits        = 16
	missesPerRender = 32
)

// resourceRender returns the rendering of res, or nil when the record must collect its resource
// itself.
func (f *CEF) resourceRender(res pcommon.Resource) *resRender {
	return f.resourceRenderFor(res, 1)
}

// resourceRenderFor is resourceRender for the next records records, all of resource res (a
// RecordBatch looks the resource up once for them): they count as that many hits or misses, and
// a rendering that they alone pay for (paidHits of them) is made at once.
func (f *CEF) resourceRenderFor(res pcommon.Resource, records int) *resRender {
	if !f.resCacheable || records <= 0 {
		return nil
	}
	attrs := res.Attributes()
	cur := f.res.Load()
	if cur != nil && cur.matches(attrs) {
		if cur.hits.Load() < paidHits {
			cur.hits.Add(uint32(min(records, paidHits)))
		}
		return cur
	}
	if records < paidHits && cur != nil && cur.hits.Load() < paidHits {
		// A rendering for one record in missesPerRender whose resource differed.
		n := uint32(records)
		after := f.resMisses.Add(n)
		if after/missesPerRender == (after-n)/missesPerRender {
			return nil
		}
	}
	for _, v := range attrs.All() {
		switch v.Type() {
		case pcommon.ValueTypeMap, pcommon.ValueTypeSlice, pcommon.ValueTypeBytes:
			return nil
		}
	}
	rr := f.renderResource(attrs)
	f.res.Store(rr)
	return rr
}

// matches reports whether attrs holds exactly the attributes rr was rendered from, in order.
func (rr *resRender) matches(attrs pcommon.Map) bool {
	if attrs.Len() != len(rr.attrs) {
		return false
	}
	i := 0
	for k, v := range attrs.All() {
		a := &rr.attrs[i]
		i++
		if k != a.key {
			return false
		}
		if a.s != "" { // equal to a non-empty string: a string, without Type's switch
			if v.Str() != a.s {
				return false
			}
			continue
		}
		t := v.Type()
		if t != a.t {
			return false
		}
		switch t {
		case pcommon.ValueTypeStr: // a.s is empty
			if v.Str() != "" {
				return false
			}
		case pcommon.ValueTypeInt, pcommon.ValueTypeDouble, pcommon.ValueTypeBool:
			if scalarBits(v) != a.n {
				return false
			}
		case pcommon.ValueTypeEmpty:
		default:
			return false
		}
	}
	return true
}

func scalarBits(v pcommon.Value) uint64 {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return uint64(v.Int())
	case pcommon.ValueTypeDouble:
		return math.Float64bits(v.Double())
	case pcommon.ValueTypeBool:
		if v.Bool() {
			return 1
		}
	}
	return 0
}

// renderResource renders attrs (scalars only) as Append would write them. All the text goes to one
// buffer, made a string once; the pairs and members are slices of it.
func (f *CEF) renderResource(attrs pcommon.Map) *resRender {
	rr := &resRender{attrs: make([]renderedAttr, 0, attrs.Len()), hostPID: resourceHostPID(attrs)}
	for k, v := range attrs.All() {
		a := renderedAttr{key: k, t: v.Type()}
		if a.t == pcommon.ValueTypeStr {
			a.s = v.Str()
		} else {
			a.n = scalarBits(v)
		}
		rr.attrs = append(rr.attrs, a)
	}
	var ev cefEvent
	f.collectResource(&ev, attrs)
	rr.present = ev.present &^ f.headerOnly
	type span struct{ start, end int }
	var pairs [maxMappings]span
	buf := make([]byte, 0, 512)
	for set := rr.present; set != 0; set &= set - 1 {
		idx := bits.TrailingZeros64(set)
		start := len(buf)
		buf = f.appendPair(buf, 0, &f.maps[idx], ev.vals[idx], pcommon.ValueType(ev.types[idx]))
		pairs[idx] = span{start, len(buf)}
	}
	nOver := ev.nOver + len(ev.more)
	rr.over = make([]renderedOverflow, 0, nOver)
	texts := make([]span, 0, nOver)
	members := make([]span, 0, nOver)
	for i := 0; i < nOver; i++ {
		var e *overflowEntry
		if i < ev.nOver {
			e = &ev.over[i]
		} else {
			e = &ev.more[i-ev.nOver]
		}
		o := renderedOverflow{key: e.key}
		textStart := len(buf)
		switch e.v.Type() {
		case pcommon.ValueTypeStr:
			o.isStr, o.text = true, e.v.Str()
		case pcommon.ValueTypeInt, pcommon.ValueTypeDouble, pcommon.ValueTypeBool:
			buf = appendJSONValue(buf, e.v, 0)
		default:
			buf, o.escape = appendJSONValue(buf, e.v, 0), true
		}
		texts = append(texts, span{textStart, len(buf)})
		// The member as overflowWriter writes it (str escapes the name and a string value).
		w := overflowWriter{dst: buf, first: true}
		w.str(o.key)
		w.dst = append(w.dst, ':')
		if o.isStr {
			w.str(o.text)
		} else {
			w.dst = append(w.dst, buf[textStart:]...)
			w.escape = w.escape || o.escape
		}
		members = append(members, span{len(buf), len(w.dst)})
		buf, o.memberEscape = w.dst, w.escape
		rr.over = append(rr.over, o)
	}
	text := string(buf)
	for set := rr.present; set != 0; set &= set - 1 {
		idx := bits.TrailingZeros64(set)
		rr.pairs[idx] = text[pairs[idx].start:pairs[idx].end]
	}
	for i := range rr.over {
		o := &rr.over[i]
		if !o.isStr {
			o.text = text[texts[i].start:texts[i].end]
		}
		o.member = text[members[i].start:members[i].end]
	}
	if len(rr.over) > 0 {
		var none cefEvent
		rr.overAlone = string(f.appendOverflow(nil, 0, &none, rr, "", plog.NewLogRecord()))
	}
	return rr
}
