package secformat

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// dictKind is the value type of a CEF dictionary key, from the CEF specification.
type dictKind uint8

const (
	dictString dictKind = iota
	dictIP
	dictPort
	dictCount
	dictTime
)

type dictKey struct {
	kind  dictKind
	limit int // bytes, for strings
}

// cefDictionary holds the dictionary keys the schema maps to, with their types and the length limits
// the CEF specification sets (see README.md). A schema CEF column naming a key that is not here makes
// NewCEF fail, so that a key is never written without a known type and limit.
var cefDictionary = map[string]dictKey{
	"msg":               {dictString, 1023},
	"act":               {dictString, 63},
	"outcome":           {dictString, 63},
	"cat":               {dictString, 1023},
	"reason":            {dictString, 1023},
	"suser":             {dictString, 1023},
	"duser":             {dictString, 1023},
	"shost":             {dictString, 1023},
	"dhost":             {dictString, 1023},
	"request":           {dictString, 1023},
	"deviceProcessName": {dictString, 1023},
	"dvchost":           {dictString, 100},
	"deviceExternalId":  {dictString, 255},
	"externalId":        {dictString, 40},
	"src":               {dictIP, 0},
	"dst":               {dictIP, 0},
	"spt":               {dictPort, 0},
	"dpt":               {dictPort, 0},
	"cnt":               {dictCount, 0},
	"rt":                {dictTime, 0},
	"start":             {dictTime, 0},
	"end":               {dictTime, 0},
}

// What a mapping writes.
type mkind uint8

const (
	mText      mkind = iota // a dictionary string key
	mInt                    // a dictionary integer key (ports, counts)
	mAddress                // src/dst for an IP address, else shost/dhost
	mTime                   // an RFC 3339 attribute written as epoch ms
	mCustomStr              // csN + csNLabel
	mCustomNum              // cnN + cnNLabel
	mHeader                 // consumed by the header only (alert rule id, name, severity)
	mBody                   // the log record Body, to msg
)

// Roles are the fields the header is built from.
type role uint8

const (
	roleNone role = iota
	roleCategory
	roleAction
	roleOutcome
	roleRuleID
	roleRuleName
	roleAlertSeverity
	numRoles
)

func roleOf(key string) role {
	switch key {
	case secevent.KeyCategory:
		return roleCategory
	case secevent.KeyAction:
		return roleAction
	case secevent.KeyOutcome:
		return roleOutcome
	case secevent.KeyAlertRuleID:
		return roleRuleID
	case secevent.KeyAlertRuleName:
		return roleRuleName
	case secevent.KeyAlertSeverity:
		return roleAlertSeverity
	}
	return roleNone
}

type mapping struct {
	key      string // the schema (or custom) key it reads
	kind     mkind
	role     role
	cefKey   string // dictionary key or slot; groups mappings that share one
	prefix   string // " act=": the separating space first (left out when the pair comes first)
	alt      string // mAddress: " shost="
	label    string // custom slots: " cs1Label=<escaped label>"
	limit    int    // bytes of the repaired value; 0 = none
	altLimit int
	min, max int64 // mInt
	join     bool  // mCustomStr: a list is comma-joined
	exact    bool  // never truncated: over the limit it goes to the overflow JSON whole (ids)
	group    int8  // other mappings writing the same CEF key, -1 if none
	// plainText: a string is written as prefix + escaped value, cut at limit (> 0), no label
	// (mText and mBody).
	plainText bool
}

// maxMappings bounds the mappings of one formatter: the per-event state is a fixed array on the stack
// and a 64-bit presence mask.
const maxMappings = 64

// CEF turns log records of the project schema into CEF lines. It is built once by NewCEF and is safe
// for concurrent use.
type CEF struct {
	header         string // "CEF:0|vendor|product|version|", escaped
	maps           []mapping
	attrIdx        map[string]uint8 // built by NewCEF; attrKeys/resKeys are what Append reads
	resIdx         map[string]uint8
	attrKeys       keyTable
	resKeys        keyTable
	roleIdx        [numRoles]int8
	groups         [][]uint8
	sevByCat       map[string]int
	overflowPrefix string // " cs6=", the separating space first like the mappings' prefixes
	overflowLabel  string // " cs6Label=otsecExtra"
	headerOnly     uint64 // mappings of kind mHeader: present, but not written as pairs
	// resCacheable says the resource's part of a line depends on the resource alone (see
	// resourceIndependent); then res holds the resource rendered last, and resMisses counts the
	// records whose resource differed from it.
	resCacheable bool
	res          atomic.Pointer[resRender]
	resMisses    atomic.Uint32
	// simpleStr has the mappings that take any non-empty string as it is (no check of its content,
	// no CEF key shared with another mapping): the attribute loop stores those without accept.
	simpleStr uint64
	// sysField[idx] is 1 + the index in syslogFields (sysKeys) of the record attribute mapping idx
	// reads, 0 for none, so that the syslog header's fields come from the attribute loop
	// (appendRecord). sysShared says every key of sysKeys has a mapping of its own; otherwise the
	// header walks the attributes itself.
	sysField  [maxMappings]uint8
	sysShared bool
	// hdr is the last "Signature ID|Name|" rendered for a record that is not an alert (see
	// appendCategoryHeader); hdrMisses counts the records whose words differed from it.
	hdr       atomic.Pointer[hdrRender]
	hdrMisses atomic.Uint32
}

// hdrRender is the header's "Signature ID|Name|" for a category, action and outcome. It is not
// changed once stored, but for hits.
type hdrRender struct {
	cat, act, outcome string
	text              string
	hits              atomic.Uint32 // records that reused it, counted up to paidHits
}

// sysKeys are the record attributes the syslog header reads, in the order of syslogFields.
var sysKeys = [...]string{secevent.KeyCategory, secevent.KeyAction, secevent.KeyOutcome, secevent.KeyEventID, secevent.KeyAlertSeverity}

// NewCEF validates cfg and compiles it, with the schema's CEF column, into a formatter.
func NewCEF(cfg CEFConfig) (*CEF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f := &CEF{
		attrIdx:  map[string]uint8{},
		resIdx:   map[string]uint8{},
		sevByCat: map[string]int{},
	}
	var h []byte
	h = append(h, "CEF:0|"...)
	h, _ = appendCEFHeaderValue(h, cfg.DeviceVendor, maxVendorLen)
	h = append(h, '|')
	h, _ = appendCEFHeaderValue(h, cfg.DeviceProduct, maxProductLen)
	h = append(h, '|')
	h, _ = appendCEFHeaderValue(h, cfg.DeviceVersion, maxVersionLen)
	h = append(h, '|')
	f.header = string(h)
	for k, v := range cfg.SeverityByCategory {
		f.sevByCat[k] = v
	}
	f.overflowPrefix = " " + cfg.OverflowSlot + "="
	lbl, _ := appendCEFExtValue([]byte(" "+cfg.OverflowSlot+"Label="), cfg.OverflowLabel, maxLabelLen)
	f.overflowLabel = string(lbl)

	add := func(m mapping) int {
		f.maps = append(f.maps, m)
		return len(f.maps) - 1
	}
	// The Body comes first, so that it wins msg over otsec.alert.description (see groups).
	add(mapping{key: secevent.RecordBody, kind: mBody, cefKey: "msg", prefix: " msg=", limit: cefDictionary["msg"].limit})

	for _, fld := range secevent.Fields {
		if fld.Place == secevent.PlaceRecord {
			continue // Timestamp, Body, SeverityNumber, EventName: handled by the formatter itself
		}
		col, err := parseCEFColumn(fld.CEF)
		if err != nil {
			return nil, fmt.Errorf("secevent field %s: %w", fld.Key, err)
		}
		m := mapping{key: fld.Key, role: roleOf(fld.Key)}
		switch col.kind {
		case colNone, colOverflow, colCustom:
			continue // no key of its own (overflow JSON), or a custom slot from cfg.CustomFields
		case colHeader:
			if m.role != roleRuleID && m.role != roleRuleName && m.role != roleAlertSeverity {
				return nil, fmt.Errorf("secevent field %s: CEF header position %q is not one the formatter fills", fld.Key, fld.CEF)
			}
			m.kind = mHeader
		case colAddress:
			ip, ok1 := cefDictionary[col.key]
			host, ok2 := cefDictionary[col.alt]
			if !ok1 || !ok2 || ip.kind != dictIP || host.kind != dictString {
				return nil, fmt.Errorf("secevent field %s: %q needs an IP key and a string key", fld.Key, fld.CEF)
			}
			m.kind, m.cefKey, m.prefix, m.alt, m.altLimit = mAddress, col.key, " "+col.key+"=", " "+col.alt+"=", host.limit
		case colTime, colKey:
			d, ok := cefDictionary[col.key]
			if !ok {
				return nil, fmt.Errorf("secevent field %s: CEF key %q is not in the formatter's dictionary", fld.Key, col.key)
			}
			m.cefKey, m.prefix = col.key, " "+col.key+"="
			switch d.kind {
			case dictString:
				if col.kind == colTime {
					return nil, fmt.Errorf("secevent field %s: %q is not a timestamp key", fld.Key, col.key)
				}
				m.kind, m.limit = mText, d.limit
				m.exact = col.key == "externalId" // an id cut short would break de-duplication
			case dictPort:
				m.kind, m.min, m.max = mInt, 0, 65535
			case dictCount:
				m.kind, m.min, m.max = mInt, 0, math.MaxInt64
			case dictTime:
				m.kind = mTime
			default:
				return nil, fmt.Errorf("secevent field %s: CEF key %q holds IP addresses only; the schema must say what a host name becomes", fld.Key, col.key)
			}
		}
		idx := add(m)
		switch fld.Place {
		case secevent.PlaceAttribute:
			f.attrIdx[fld.Key] = uint8(idx)
		case secevent.PlaceResource:
			f.resIdx[fld.Key] = uint8(idx)
		}
	}

	for _, cf := range cfg.CustomFields {
		m := mapping{key: cf.Key, role: roleOf(cf.Key), cefKey: cf.Slot, prefix: " " + cf.Slot + "="}
		lbl, _ := appendCEFExtValue([]byte(" "+cf.Slot+"Label="), cf.Label, maxLabelLen)
		m.label = string(lbl)
		if strings.HasPrefix(cf.Slot, "cn") {
			m.kind, m.min, m.max = mCustomNum, math.MinInt64, math.MaxInt64
		} else {
			m.kind, m.limit, m.join = mCustomStr, maxCustomStrLen, true
		}
		idx := add(m)
		if fld, ok := secevent.FieldByKey(cf.Key); ok {
			// A schema key is read where the schema puts it; the custom slot replaces its default key.
			if fld.Place == secevent.PlaceResource {
				f.resIdx[cf.Key] = uint8(idx)
			} else {
				f.attrIdx[cf.Key] = uint8(idx)
			}
			continue
		}
		// Any other key: a record attribute, else a resource attribute of that name.
		f.attrIdx[cf.Key] = uint8(idx)
		f.resIdx[cf.Key] = uint8(idx)
	}
	if len(f.maps) > maxMappings {
		return nil, fmt.Errorf("secformat: %d CEF mappings, more than the %d supported", len(f.maps), maxMappings)
	}

	// Roles and shared keys are computed over reachable mappings only (a custom slot may have
	// replaced a schema key's default mapping).
	for i := range f.roleIdx {
		f.roleIdx[i] = -1
	}
	reachable := []int{0}
	seen := map[uint8]bool{}
	for _, idx := range f.attrIdx {
		if !seen[idx] {
			seen[idx] = true
			reachable = append(reachable, int(idx))
		}
	}
	for _, idx := range f.resIdx {
		if !seen[idx] {
			seen[idx] = true
			reachable = append(reachable, int(idx))
		}
	}
	byKey := map[string][]uint8{}
	for _, idx := range reachable {
		m := &f.maps[idx]
		m.group = -1
		if m.role != roleNone {
			f.roleIdx[m.role] = int8(idx)
		}
		if m.cefKey != "" {
			byKey[m.cefKey] = append(byKey[m.cefKey], uint8(idx))
		}
	}
	for _, members := range byKey {
		if len(members) < 2 {
			continue
		}
		g := int8(len(f.groups))
		for _, idx := range members {
			f.maps[idx].group = g
		}
		f.groups = append(f.groups, members)
	}
	if len(f.groups) > math.MaxInt8 {
		return nil, errors.New("secformat: too many shared CEF keys")
	}
	for i := range f.maps {
		m := &f.maps[i]
		if m.kind == mHeader {
			f.headerOnly |= uint64(1) << i
		}
		m.plainText = (m.kind == mText || m.kind == mBody) && m.label == "" && m.limit > 0
		switch m.kind {
		case mText, mBody, mAddress, mCustomStr:
			if !m.exact && m.group < 0 {
				f.simpleStr |= uint64(1) << i
			}
		case mHeader:
			if m.role != roleAlertSeverity && m.group < 0 {
				f.simpleStr |= uint64(1) << i
			}
		}
	}
	// The shared walk needs each header key to be the only key of its mapping among the record's.
	f.sysShared = true
	owners := map[uint8]int{}
	for _, idx := range f.attrIdx {
		owners[idx]++
	}
	for i, k := range sysKeys {
		idx, ok := f.attrIdx[k]
		if !ok || owners[idx] != 1 {
			f.sysShared = false
			break
		}
		f.sysField[idx] = uint8(i + 1)
	}
	if !f.sysShared {
		f.sysField = [maxMappings]uint8{}
	}
	f.resCacheable = f.resourceIndependent()
	f.attrKeys, f.resKeys = newKeyTable(f.attrIdx), newKeyTable(f.resIdx)
	return f, nil
}

// overflowEntry is a field without a CEF key of its own, waiting for the overflow JSON.
type overflowEntry struct {
	key     string
	v       pcommon.Value
	fromRes bool // a resource attribute: the prefix a colliding name gets is "resource", else "attributes"
}

func (e *overflowEntry) scope() string {
	if e.fromRes {
		return scopeResource
	}
	return scopeAttributes
}

// cefEvent is the per-record state: a RecordBatch's, or one from eventPool. It is not cleared
// between records: only what present, nOver and more say is read.
type cefEvent struct {
	vals    [maxMappings]pcommon.Value
	types   [maxMappings]uint8  // vals' pcommon.ValueType, read once (Value.Type is not free)
	strs    [maxMappings]string // vals' string, when types says it is one (Value.Str is not free either)
	present uint64
	fromRes uint64
	nOver   int
	// An alert record alone brings about a dozen unmapped fields (the resource adds three more), so
	// the inline array holds 24: the spill slice would be a heap allocation per event.
	over [24]overflowEntry
	more []overflowEntry // only when a record has more than len(over) unmapped fields
	// memo, when not nil, holds the pairs of the records formatted before (a RecordBatch's).
	memo *recordMemo
}

func (ev *cefEvent) addOverflow(key string, fromRes bool, v pcommon.Value) {
	if ev.nOver < len(ev.over) {
		ev.over[ev.nOver] = overflowEntry{key, v, fromRes}
		ev.nOver++
		return
	}
	ev.more = append(ev.more, overflowEntry{key, v, fromRes})
}

const (
	scopeAttributes = "attributes"
	scopeResource   = "resource"
)

// accept stores v for mapping idx when it has the type the mapping needs. It returns false when v
// must go to the overflow JSON instead (wrong type, duplicate key, id too long, or a CEF key already
// held by a field that comes first in the schema).
func (f *CEF) accept(ev *cefEvent, idx int, v pcommon.Value, t pcommon.ValueType, fromRes bool) bool {
	m := &f.maps[idx]
	bit := uint64(1) << idx
	if ev.present&bit != 0 {
		return false
	}
	if t == pcommon.ValueTypeEmpty || t == pcommon.ValueTypeStr && v.Str() == "" {
		return true // an empty field carries nothing; it is left out of every format
	}
	if m.role != roleNone && t != pcommon.ValueTypeStr {
		return false
	}
	switch m.kind {
	case mText:
		switch t {
		case pcommon.ValueTypeStr:
			if m.exact && repairedLen(v.Str(), 1) > m.limit {
				return false
			}
		case pcommon.ValueTypeInt, pcommon.ValueTypeDouble, pcommon.ValueTypeBool:
		default:
			return false
		}
	case mInt, mCustomNum:
		n, ok := intValue(v)
		if !ok || n < m.min || n > m.max {
			return false
		}
	case mAddress:
		if t != pcommon.ValueTypeStr {
			return false
		}
	case mTime:
		if _, ok := parseRFC3339Millis(v); !ok {
			return false
		}
	case mHeader:
		if m.role == roleAlertSeverity {
			if _, ok := AlertCEFSeverity(v.Str()); !ok {
				return false
			}
		}
	}
	if m.group >= 0 {
		for _, o := range f.groups[m.group] {
			ob := uint64(1) << o
			if int(o) == idx || ev.present&ob == 0 {
				continue
			}
			if int(o) < idx {
				return false // the field listed first in the schema keeps the key
			}
			// This one comes first: the other moves to the overflow JSON.
			ev.addOverflow(f.maps[o].key, ev.fromRes&ob != 0, ev.vals[o])
			ev.present &^= ob
		}
	}
	ev.vals[idx] = v
	ev.types[idx] = uint8(t)
	if t == pcommon.ValueTypeStr {
		ev.strs[idx] = v.Str()
	}
	ev.present |= bit
	if fromRes {
		ev.fromRes |= bit
	}
	return true
}

func parseRFC3339Millis(v pcommon.Value) (int64, bool) {
	if v.Type() != pcommon.ValueTypeStr {
		return 0, false
	}
	t, err := time.Parse(time.RFC3339Nano, v.Str())
	if err != nil {
		return 0, false
	}
	return t.UnixMilli(), true
}

// roleStr returns the string value of the field playing role r, or "".
func (f *CEF) roleStr(ev *cefEvent, r role) string {
	idx := f.roleIdx[r]
	if idx < 0 || ev.present&(uint64(1)<<idx) == 0 {
		return ""
	}
	return ev.strs[idx]
}

// Append appends the CEF line for lr (with its resource res) to dst and returns the extended buffer.
// The line has no trailing newline, no BOM, and never contains a CR or LF byte.
func (f *CEF) Append(dst []byte, res pcommon.Resource, lr plog.LogRecord) []byte {
	return f.appendRecord(dst, res, lr, nil)
}

// appendRecord is Append, with the syslog header of s (when not nil) and a space written in front
// of the line: s.AppendRecord for the CEF formatter, with the header's fields taken from the walk
// over the record's attributes that the line needs anyway.
func (f *CEF) appendRecord(dst []byte, res pcommon.Resource, lr plog.LogRecord, s *Syslog) []byte {
	ev := eventPool.Get().(*cefEvent)
	dst = f.appendEvent(ev, dst, res.Attributes(), f.resourceRender(res), lr, s)
	eventPool.Put(ev)
	return dst
}

// eventPool holds the per-record state of Append and Syslog.AppendRecord: kilobytes that a stack
// variable would have zeroed for every record. Its events keep references to the values of the
// records last formatted until they are reused, or the pool is emptied by the garbage collector.
var eventPool = sync.Pool{New: func() any { return new(cefEvent) }}

// appendEvent is appendRecord with its per-record state ev (reset here) and the resource's
// rendering rr (nil: the resource's attributes resAttrs are collected like the record's) given by
// the caller: a RecordBatch keeps both across the records of a resource.
func (f *CEF) appendEvent(ev *cefEvent, dst []byte, resAttrs pcommon.Map, rr *resRender, lr plog.LogRecord, s *Syslog) []byte {
	// Only what the masks and counts say is read, so the arrays need no clearing.
	ev.present, ev.fromRes, ev.nOver, ev.more = 0, 0, 0, ev.more[:0]
	attrs := lr.Attributes()
	// The Body first (mapping 0): a non-empty string, the common body, is stored as accept would store
	// it (nothing is present yet to share msg with), without its checks or Type's switch.
	if body, str := lr.Body(), lr.Body().Str(); str != "" {
		ev.vals[0] = body
		ev.types[0] = uint8(pcommon.ValueTypeStr)
		ev.strs[0] = str
		ev.present = 1
	} else {
		f.accept(ev, 0, body, body.Type(), false)
	}
	// sys collects what Syslog.fields would: the first non-empty string of each of sysKeys.
	var sys [len(sysKeys)]string
	// Empty values carry nothing and are left out of every format (JSON does the same).
	for k, v := range attrs.All() {
		t := pcommon.ValueTypeStr
		str := v.Str()
		if str == "" { // a non-empty Str is a string; only the rest pay for Type's switch
			if t = v.Type(); t == pcommon.ValueTypeEmpty || t == pcommon.ValueTypeStr {
				continue
			}
		}
		idx, ok := f.attrKeys.get(k)
		if !ok {
			ev.addOverflow(k, false, v)
			continue
		}
		if t == pcommon.ValueTypeStr {
			if sf := f.sysField[idx]; sf != 0 && sys[sf-1] == "" {
				sys[sf-1] = str
			}
			// A string that its mapping takes as it is: what accept would do, without its checks.
			if bit := uint64(1) << idx; f.simpleStr&bit != 0 && ev.present&bit == 0 {
				ev.vals[idx] = v
				ev.types[idx] = uint8(pcommon.ValueTypeStr)
				ev.strs[idx] = str
				ev.present |= bit
				continue
			}
		}
		if !f.accept(ev, int(idx), v, t, false) {
			ev.addOverflow(k, false, v)
		}
	}
	// The resource's pairs and overflow entries: rendered once for the records that share it, else
	// collected like the record's.
	if rr == nil {
		f.collectResource(ev, resAttrs)
	}

	if s != nil {
		var sf syslogFields
		if f.sysShared {
			sf = syslogFields{category: sys[0], action: sys[1], outcome: sys[2], id: sys[3], alertSeverity: sys[4]}
		} else {
			sf = s.fields(lr)
		}
		var hp hostPID
		if rr != nil {
			hp = rr.hostPID // the same attributes: the same host and pid
		} else {
			hp = resourceHostPID(resAttrs)
		}
		var hm *headerMemo
		if ev.memo != nil {
			hm = &ev.memo.header
		}
		dst = s.appendHeader(dst, lr, sf, hp, hm)
		dst = append(dst, ' ')
	}

	cat := f.roleStr(ev, roleCategory)
	act := f.roleStr(ev, roleAction)
	outcome := f.roleStr(ev, roleOutcome)
	ruleID := f.roleStr(ev, roleRuleID)
	ruleName := f.roleStr(ev, roleRuleName)
	alertSev := f.roleStr(ev, roleAlertSeverity)
	// Any alert field makes it an alert record, so that the header uses (never drops) it.
	isAlert := cat == string(secevent.CategoryAlert) || ruleID != "" || ruleName != "" || alertSev != ""
	eventName := lr.EventName()

	dst = append(dst, f.header...)

	nameRepresented := false
	if !isAlert && cat != "" {
		// The common record: what the two switches below write for it, mostly from the last record.
		dst = f.appendCategoryHeader(dst, cat, act, outcome)
	} else {
		// Signature ID: the alert rule, else category[.action], else the EventName without its prefix.
		switch {
		case isAlert && ruleID != "":
			dst, _ = appendCEFHeaderValue(dst, ruleID, maxSignatureLen)
		case cat != "":
			dst = appendCategorySignature(dst, cat, act)
		case eventName != "":
			dst, _ = appendCEFHeaderValue(dst, strings.TrimPrefix(eventName, secevent.EventNamePrefix), maxSignatureLen)
			nameRepresented = true
		default:
			dst = append(dst, "unknown"...)
		}
		dst = append(dst, '|')

		// Name: the alert rule's name; else "category action outcome" in words.
		switch {
		case isAlert && ruleName != "":
			dst, _ = appendCEFHeaderValue(dst, ruleName, maxNameLen)
		case isAlert && ruleID != "":
			dst, _ = appendCEFHeaderValue(dst, ruleID, maxNameLen)
		case cat != "" || act != "" || outcome != "":
			dst = appendWordsName(dst, cat, act, outcome)
		case isAlert:
			dst = append(dst, "alert"...)
		case eventName != "":
			dst, _ = appendCEFHeaderValue(dst, eventName, maxNameLen)
		default:
			dst = append(dst, "security event"...)
		}
		dst = append(dst, '|')
	}

	// Severity.
	sev := -1
	if isAlert && alertSev != "" {
		sev, _ = AlertCEFSeverity(alertSev)
	} else if len(f.sevByCat) > 0 && cat != "" {
		if s, ok := f.sevByCat[cat]; ok {
			sev = s
		}
	}
	if sev < 0 {
		sev = CEFSeverity(lr.SeverityNumber())
	}
	if sev == 10 {
		dst = append(dst, '1', '0')
	} else {
		dst = append(dst, byte('0'+sev))
	}
	dst = append(dst, '|')

	// Extension, in mapping order (the schema's order). Every prefix starts with the separating
	// space; whatever comes first skips it (sp).
	sp := 1
	var resPresent uint64
	if rr != nil {
		resPresent = rr.present
	}
	for set := (ev.present | resPresent) &^ f.headerOnly; set != 0; set &= set - 1 {
		idx := bits.TrailingZeros64(set)
		m := &f.maps[idx]
		switch {
		case resPresent&(uint64(1)<<idx) != 0:
			dst = append(dst, rr.pairs[idx][sp:]...)
		case ev.memo != nil && sp == 0 && ev.types[idx] == uint8(pcommon.ValueTypeStr):
			// A RecordBatch's: the pair as the last record wrote it, when it had the same value.
			switch e := &ev.memo.last[idx]; {
			case e.misses >= memoGiveUp:
				// A field that changes from record to record (an id, a user name) is not compared
				// for a while; misses wraps to 0 after 256-memoGiveUp records and it is tried again.
				e.misses++
				dst = f.appendExtPair(dst, 0, m, ev.vals[idx], uint8(pcommon.ValueTypeStr))
			case e.rendered && e.s == ev.strs[idx]:
				dst = append(dst, ev.memo.buf[e.off:e.end]...)
			default:
				dst = f.appendPairMemo(ev.memo, dst, idx, m, ev.vals[idx], ev.strs[idx])
			}
		case m.plainText && ev.types[idx] == uint8(pcommon.ValueTypeStr):
			// The common pair, a string for a dictionary key: written here, and at once when it
			// needs no escaping and fits.
			v := ev.strs[idx]
			dst = append(dst, m.prefix[sp:]...)
			if len(v) <= m.limit && isPlain(v, '\\', '=', cefExtClass) {
				dst = append(dst, v...)
			} else {
				dst, _ = appendCEFExtValue(dst, v, m.limit)
			}
		default:
			dst = f.appendPair(dst, sp, m, ev.vals[idx], pcommon.ValueType(ev.types[idx]))
		}
		sp = 0
	}

	// Everything without a key of its own, as one JSON object.
	// The EventName travels there only when the Signature ID does not already say it.
	extraName := ""
	if eventName != "" && !nameRepresented && !isSchemaEventName(eventName, cat, act) {
		extraName = eventName
	}
	switch recordOver := ev.nOver > 0 || extraName != "" || !lr.TraceID().IsEmpty() || !lr.SpanID().IsEmpty(); {
	case !recordOver && rr != nil && rr.overAlone != "":
		// Only the resource has overflow entries: the slot as the resource's rendering has it.
		dst = append(dst, rr.overAlone[sp:]...)
		sp = 0
	case recordOver || rr != nil && len(rr.over) > 0:
		dst = f.appendOverflow(dst, sp, ev, rr, extraName, lr)
		sp = 0
	}

	// rt last: its value is digits only, so the line never ends in a value whose trailing spaces a
	// parser could trim.
	ts := lr.Timestamp()
	if ts == 0 {
		ts = lr.ObservedTimestamp()
	}
	if ts != 0 {
		dst = append(dst, " rt="[sp:]...)
		if ev.memo != nil {
			dst = ev.memo.header.second.appendMillis(dst, uint64(ts/1e6))
		} else {
			dst = appendMillis(dst, uint64(ts/1e6))
		}
	}
	return dst
}

// appendCategoryHeader writes "Signature ID|Name|" for a record that is not an alert and has a
// category: category[.action] and the words of category, action and outcome. The records of a
// batch mostly share them, so the text is kept with the words it was rendered from and reused while
// they are equal (compared by content). A new text is kept on the terms of the resource's rendering
// (paidHits, missesPerRender): two allocations come with at least 16 records.
func (f *CEF) appendCategoryHeader(dst []byte, cat, act, outcome string) []byte {
	h := f.hdr.Load()
	if h != nil && h.cat == cat && h.act == act && h.outcome == outcome {
		if h.hits.Load() < paidHits {
			h.hits.Add(1)
		}
		return append(dst, h.text...)
	}
	mark := len(dst)
	dst = appendCategorySignature(dst, cat, act)
	dst = append(dst, '|')
	dst = appendWordsName(dst, cat, act, outcome)
	dst = append(dst, '|')
	if h == nil || h.hits.Load() >= paidHits || f.hdrMisses.Add(1)%missesPerRender == 0 {
		f.hdr.Store(&hdrRender{cat: cat, act: act, outcome: outcome, text: string(dst[mark:])})
	}
	return dst
}

// appendCategorySignature writes the Signature ID category[.action].
func appendCategorySignature(dst []byte, cat, act string) []byte {
	mark := len(dst)
	dst = append(dst, cat...)
	if act != "" {
		dst = append(dst, '.')
		dst = append(dst, act...)
	}
	dst, _ = escapeTail(dst, mark, true, maxSignatureLen)
	return dst
}

// appendWordsName writes the Name "category action outcome" (the non-empty ones), '_' as a space.
func appendWordsName(dst []byte, cat, act, outcome string) []byte {
	mark := len(dst)
	for _, w := range [...]string{cat, act, outcome} {
		if w == "" {
			continue
		}
		if len(dst) > mark {
			dst = append(dst, ' ')
		}
		dst = append(dst, w...)
	}
	// '_' becomes a space, in the same pass that tells whether the words need escaping.
	if !wordsToName(dst[mark:]) || len(dst)-mark > maxNameLen {
		dst, _ = escapeTail(dst, mark, true, maxNameLen)
	}
	return dst
}

// wordsToName turns '_' into ' ' in b (the header Name's words) and reports whether b is plain for
// the header escaper, in one pass, a word at a time. A short tail is done as the last 8 bytes of b
// (bytes done twice stay the same).
func wordsToName(b []byte) bool {
	if len(b) < 8 {
		var cls uint8
		for i, c := range b {
			if c == '_' {
				b[i] = ' '
			}
			cls |= cefHeaderClass[c]
		}
		return cls == clsPlain
	}
	r1, r2 := lsb*uint64('\\'), lsb*uint64('|')
	var bad uint64
	for i := 0; i < len(b); i += 8 {
		i = min(i, len(b)-8)
		x := binary.LittleEndian.Uint64(b[i:])
		bad |= notPlain(x, r1, r2)
		binary.LittleEndian.PutUint64(b[i:], underscoresToSpaces(x))
	}
	return bad == 0
}

// underscoresToSpaces replaces every '_' byte of x with ' '. m has the top bit of exactly the bytes
// of x that are '_' (an exact zero-byte test on x^'_'.., without carries between bytes); '_' ^ ' ' is
// 0x7f, so the xor changes those bytes alone.
func underscoresToSpaces(x uint64) uint64 {
	const low7 = 0x7f7f7f7f7f7f7f7f
	y := x ^ lsb*'_'
	m := ^((y&low7 + low7) | y | low7)
	return x ^ (m>>7)*('_'^' ')
}

// appendMillis writes the epoch milliseconds of rt (13 digits until the year 2286): the number is
// split at 10^8 so that the two halves are written by independent chains of 32-bit divisions, two
// digits at a time.
func appendMillis(dst []byte, ms uint64) []byte {
	if ms < 1e8 || ms >= 1e16 {
		return strconv.AppendUint(dst, ms, 10)
	}
	hi, lo := uint32(ms/1e8), uint32(ms%1e8)
	var b [16]byte
	i := len(b) - 8
	for j := len(b); j > i; {
		q := lo / 100
		r := lo - q*100
		j -= 2
		b[j], b[j+1] = digitPairs[2*r], digitPairs[2*r+1]
		lo = q
	}
	i = putDigits(b[:i], hi)
	return append(dst, b[i:]...)
}

// putDigits writes u in decimal at the end of b, two digits at a time from digitPairs, and
// returns the index of its first digit. b must hold 10 bytes, or as many as u has digits.
func putDigits(b []byte, u uint32) int {
	i := len(b)
	for u >= 100 {
		q := u / 100
		r := u - q*100
		i -= 2
		b[i], b[i+1] = digitPairs[2*r], digitPairs[2*r+1]
		u = q
	}
	if u >= 10 {
		i -= 2
		b[i], b[i+1] = digitPairs[2*u], digitPairs[2*u+1]
	} else {
		i--
		b[i] = byte('0' + u)
	}
	return i
}

const digitPairs = "00010203040506070809" + "10111213141516171819" + "20212223242526272829" +
	"30313233343536373839" + "40414243444546474849" + "50515253545556575859" + "60616263646566676869" +
	"70717273747576777879" + "80818283848586878889" + "90919293949596979899"

// isSchemaEventName reports whether name is exactly "security.<cat>[.<act>]".
func isSchemaEventName(name, cat, act string) bool {
	// The length settles most names that differ; equal lengths leave three comparisons.
	n := len(secevent.EventNamePrefix) + len(cat)
	if act != "" {
		n += 1 + len(act)
	}
	if cat == "" || len(name) != n || name[:len(secevent.EventNamePrefix)] != secevent.EventNamePrefix {
		return false
	}
	rest := name[len(secevent.EventNamePrefix):]
	return rest[:len(cat)] == cat && (act == "" || rest[len(cat)] == '.' && rest[len(cat)+1:] == act)
}

// appendPair writes one key=value pair (and its label, for a custom slot), the separating space
// first.
// sp is 1 when the pair comes first (its prefix is written without the space), else 0.
func (f *CEF) appendPair(dst []byte, sp int, m *mapping, v pcommon.Value, t pcommon.ValueType) []byte {
	switch m.kind {
	case mAddress:
		s := v.Str()
		if isIPAddress(s) {
			dst = append(dst, m.prefix[sp:]...)
			return append(dst, s...) // an IP literal has no character CEF escapes
		}
		dst = append(dst, m.alt[sp:]...)
		dst, _ = appendCEFExtValue(dst, s, m.altLimit)
		return dst
	case mInt, mCustomNum:
		n, _ := intValue(v)
		dst = append(dst, m.prefix[sp:]...)
		dst = appendInt(dst, n)
	case mTime:
		ms, _ := parseRFC3339Millis(v)
		dst = append(dst, m.prefix[sp:]...)
		dst = appendInt(dst, ms)
	default: // mText, mBody, mCustomStr
		dst = append(dst, m.prefix[sp:]...)
		if t == pcommon.ValueTypeStr {
			dst, _ = appendCEFExtValue(dst, v.Str(), m.limit)
		} else {
			mark := len(dst)
			dst = appendValueText(dst, v, m.join)
			dst, _ = escapeTail(dst, mark, false, m.limit)
		}
	}
	if m.label != "" {
		dst = append(dst, m.label...)
	}
	return dst
}

// appendExtPair writes one extension pair of a record's value: the common pair, a string for a
// dictionary key, at once when it needs no escaping and fits; any other through appendPair.
func (f *CEF) appendExtPair(dst []byte, sp int, m *mapping, v pcommon.Value, t uint8) []byte {
	if m.plainText && t == uint8(pcommon.ValueTypeStr) {
		s := v.Str()
		dst = append(dst, m.prefix[sp:]...)
		if len(s) <= m.limit && isPlain(s, '\\', '=', cefExtClass) {
			return append(dst, s...)
		}
		dst, _ = appendCEFExtValue(dst, s, m.limit)
		return dst
	}
	return f.appendPair(dst, sp, m, v, pcommon.ValueType(t))
}

// isIPAddress reports whether s is an IPv4 or IPv6 address literal without a zone: the only thing
// CEF's src and dst may hold. It accepts exactly what netip.ParseAddr accepts without a zone.
// netip takes its IPv4 path when a '.' comes before any ':'; that path is done here in the same pass,
// with the checks of netip's parseIPv4Fields, without building the address. Anything that is not
// settled by the first '.' goes the general way.
func isIPAddress(s string) bool {
	if len(s) < 2 || len(s) > 45 {
		return false
	}
	val, pos, digits := 0, 0, 0 // the current field's value and digits, fields done
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			val = val*10 + int(c-'0')
			digits++
			if digits == 2 && val < 10 || val > 255 { // a leading zero, or too large
				if pos == 0 {
					return isIPAddressGeneral(s) // no '.' yet: this may be IPv6 ("0001::1")
				}
				return false
			}
			continue
		}
		if c != '.' {
			if pos == 0 {
				return isIPAddressGeneral(s)
			}
			return false // IPv4 path: an unexpected character
		}
		if i == 0 || i == len(s)-1 || s[i-1] == '.' || pos == 3 {
			return false // an empty field, or a fifth one
		}
		pos++
		val, digits = 0, 0
	}
	return pos == 3
}

// isIPAddressGeneral is isIPAddress through netip. A literal without a zone is made of hex digits,
// '.' and ':' only; anything else (a host name, the common other case) is refused first, also
// because netip's error value would be a heap allocation.
func isIPAddressGeneral(s string) bool {
	for i := 0; i < len(s); i++ {
		if !ipLiteralByte[s[i]] {
			return false
		}
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Zone() == ""
}

// ipLiteralByte holds the bytes an IP address literal without a zone can contain.
var ipLiteralByte = func() (t [256]bool) {
	for _, c := range "0123456789abcdefABCDEF.:" {
		t[c] = true
	}
	return t
}()

// escapeTail escapes, in place, the raw text written at dst[mark:] (text that had to be composed or
// rendered first), cutting it to max like the escaper does. header selects the header escaper, else
// the extension escaper. Text that needs no change (the common case) is left where it is.
func escapeTail(dst []byte, mark int, header bool, max int) ([]byte, bool) {
	rawEnd := len(dst)
	raw := bytesToString(dst[mark:rawEnd])
	esc := appendCEFExtValue
	c2, cls := byte('='), cefExtClass
	if header {
		esc, c2, cls = appendCEFHeaderValue, '|', cefHeaderClass
	}
	if (max <= 0 || len(raw) <= max) && isPlain(raw, '\\', c2, cls) {
		return dst, false
	}
	// esc appends after rawEnd; should append move dst, raw still reads the old array.
	dst, cut := esc(dst, raw, max)
	n := copy(dst[mark:], dst[rawEnd:])
	return dst[:mark+n], cut
}

// appendInt writes n in decimal. The values of ports, counts and PRI (0..10^8) are written here,
// two digits at a time from the table, into a small array appended at once; strconv takes the rest.
func appendInt(dst []byte, n int64) []byte {
	if n < 0 || n >= 1e8 {
		return strconv.AppendInt(dst, n, 10)
	}
	var b [8]byte
	i := putDigits(b[:], uint32(n))
	return append(dst, b[i:]...)
}

// Overflow JSON: raw JSON is measured against the custom-string limit, then CEF-escaped in place.
const (
	omittedKey = "_omitted"
	// omittedReserve keeps room for `,"_omitted":N}` however many entries are left out.
	omittedReserve = len(`,"`+omittedKey+`":`) + 20 + 1
)

type overflowWriter struct {
	dst     []byte
	mark    int // start of the JSON object in dst
	budget  int // bytes the object may take before the omitted note and the closing brace
	first   bool
	omitted int
	// escape is set once anything was written that may need CEF escaping. Until then the object is
	// known to be plain CEF text (names and string values plain, numbers, bools, hex ids and JSON
	// punctuation), so the escaping pass over the whole object can be skipped.
	escape bool
}

// str writes s as a JSON string. A string that JSON writes as it is and that holds no '=' (the
// common case) is written directly and keeps the object plain; anything else goes through
// appendJSONString and marks the object for the escaping pass.
func (w *overflowWriter) str(s string) {
	if isPlain3(s, '\\', '"', '=') {
		w.dst = append(w.dst, '"')
		w.dst = append(w.dst, s...)
		w.dst = append(w.dst, '"')
		return
	}
	w.escape = true
	w.dst = appendJSONString(w.dst, s)
}

// entry writes "key":value. isStr/s stand in for v when the value is a plain string the formatter
// holds (the EventName), so that no pcommon.Value has to be allocated for it.
// claims is not a field of w: escape analysis does not tell a struct's fields apart, and w.dst
// (returned) would take the claims' array on the caller's stack to the heap with it.
func (w *overflowWriter) entry(claims *keyClaims, key, scope string, v pcommon.Value, isStr bool, s string) {
	w.namedEntry(claims.claim(key, scope), v, isStr, s)
}

// namedEntry is entry once the name is claimed.
func (w *overflowWriter) namedEntry(name string, v pcommon.Value, isStr bool, s string) {
	start := len(w.dst)
	if !w.first {
		w.dst = append(w.dst, ',')
	}
	w.str(name)
	w.dst = append(w.dst, ':')
	valStart := len(w.dst)
	if !isStr && v.Type() == pcommon.ValueTypeStr {
		isStr, s = true, v.Str()
	}
	if isStr {
		w.str(s)
	} else {
		switch v.Type() {
		case pcommon.ValueTypeInt:
			w.dst = strconv.AppendInt(w.dst, v.Int(), 10) // digits and sign: nothing CEF escapes
		case pcommon.ValueTypeDouble, pcommon.ValueTypeBool:
			// Digits, sign, '.', 'e', "NaN"/"+Inf"/"-Inf", true/false: nothing CEF escapes.
			w.dst = appendJSONValue(w.dst, v, 0)
		default:
			w.escape = true // bytes as base64 (its '='), arrays and objects
			w.dst = appendJSONValue(w.dst, v, 0)
		}
	}
	if len(w.dst)-w.mark <= w.budget {
		w.first = false
		return
	}
	// Too long for the slot: a string is cut to fit (with the marker); anything else is left out
	// and counted in _omitted.
	if isStr {
		room := w.budget - (valStart - w.mark)
		if room >= len(TruncationMarker)+2+16 {
			w.dst = appendJSONStringMax(w.dst[:valStart], s, room)
			w.first = false
			w.escape = true
			return
		}
	}
	w.dst = w.dst[:start]
	w.omitted++
}

// renderedEntry is entry for a resource's overflow entry rendered beforehand (resRender). When
// the entry keeps its key as its name and fits, its rendered `"key":value` is copied; otherwise it
// is written like any other entry.
func (w *overflowWriter) renderedEntry(claims *keyClaims, e *renderedOverflow) {
	name := claims.claim(e.key, scopeResource)
	if name == e.key {
		start := len(w.dst)
		if !w.first {
			w.dst = append(w.dst, ',')
		}
		w.dst = append(w.dst, e.member...)
		if len(w.dst)-w.mark <= w.budget {
			w.first = false
			w.escape = w.escape || e.memberEscape
			return
		}
		w.dst = w.dst[:start]
	}
	if e.isStr {
		w.namedEntry(name, pcommon.Value{}, true, e.text)
		return
	}
	start := len(w.dst)
	if !w.first {
		w.dst = append(w.dst, ',')
	}
	w.str(name)
	w.dst = append(w.dst, ':')
	if e.escape {
		w.escape = true
	}
	w.dst = append(w.dst, e.text...)
	if len(w.dst)-w.mark <= w.budget {
		w.first = false
		return
	}
	w.dst = w.dst[:start]
	w.omitted++
}

func (f *CEF) appendOverflow(dst []byte, sp int, ev *cefEvent, rr *resRender, eventName string, lr plog.LogRecord) []byte {
	dst = append(dst, f.overflowPrefix[sp:]...)
	var names [24]string
	claims := newKeyClaims(names[:])
	w := overflowWriter{dst: dst, mark: len(dst), budget: maxCustomStrLen - omittedReserve, first: true}
	claims.add(omittedKey)
	w.dst = append(w.dst, '{')
	// Fixed-size ids first, so that the budget check of every later entry accounts for them.
	if tid := lr.TraceID(); !tid.IsEmpty() {
		claims.add("trace_id")
		w.dst = appendRawEntry(w.dst, &w.first, "trace_id", tid[:])
	}
	if sid := lr.SpanID(); !sid.IsEmpty() {
		claims.add("span_id")
		w.dst = appendRawEntry(w.dst, &w.first, "span_id", sid[:])
	}
	if eventName != "" {
		w.entry(&claims, "event.name", "record", pcommon.Value{}, true, eventName)
	}
	for i := 0; i < ev.nOver; i++ {
		e := &ev.over[i]
		w.entry(&claims, e.key, e.scope(), e.v, false, "")
	}
	for i := range ev.more {
		e := &ev.more[i]
		w.entry(&claims, e.key, e.scope(), e.v, false, "")
	}
	if rr != nil {
		for i := range rr.over {
			w.renderedEntry(&claims, &rr.over[i])
		}
	}
	if w.omitted > 0 {
		if !w.first {
			w.dst = append(w.dst, ',')
		}
		w.dst = append(w.dst, `"`+omittedKey+`":`...)
		w.dst = appendInt(w.dst, int64(w.omitted))
	}
	w.dst = append(w.dst, '}')
	dst = w.dst
	if w.escape {
		dst, _ = escapeTail(dst, w.mark, false, 0)
	}
	return append(dst, f.overflowLabel...)
}

// appendRawEntry writes "key":"<hex of id>" (trace and span ids).
func appendRawEntry(dst []byte, first *bool, key string, id []byte) []byte {
	if !*first {
		dst = append(dst, ',')
	}
	*first = false
	dst = append(dst, '"')
	dst = append(dst, key...)
	dst = append(dst, `":"`...)
	dst = hex.AppendEncode(dst, id)
	return append(dst, '"')
}

// appendJSONStringMax is appendJSONString cut so that the literal, quotes included, takes at most max
// bytes; a cut string ends with TruncationMarker inside the quotes. Cuts fall between characters,
// never inside an escape.
func appendJSONStringMax(dst []byte, s string, max int) []byte {
	start := len(dst)
	dst = appendJSONString(dst, s)
	if len(dst)-start <= max {
		return dst
	}
	limit := start + max - 1 - len(TruncationMarker) // room before the marker and closing quote
	i := start + 1
	for i < len(dst)-1 {
		w := 1
		switch c := dst[i]; {
		case c == '\\':
			w = 2
			if dst[i+1] == 'u' {
				w = 6
			}
		case c >= 0x80:
			w = utf8SeqLen(c)
		}
		if i+w > limit {
			break
		}
		i += w
	}
	dst = append(dst[:i], TruncationMarker...)
	return append(dst, '"')
}

// utf8SeqLen is the length of the UTF-8 sequence starting with the (valid) lead byte c.
func utf8SeqLen(c byte) int {
	switch {
	case c >= 0xf0:
		return 4
	case c >= 0xe0:
		return 3
	case c >= 0xc0:
		return 2
	}
	return 1
}
