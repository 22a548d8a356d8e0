package secformat

import (
	"math/bits"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// cefEvent is what Append collects from one record before writing it: the value of each mapping
// (present says which) and, in the record's order, the fields without a CEF key of their own.
type cefEvent struct {
	vals    [maxMappings]pcommon.Value
	present uint64
	fromRes uint64 // the present mappings whose value is a resource attribute
	// An alert record with its resource brings about fifteen unmapped fields: they fit in over, so
	// that the usual record needs no heap allocation; more takes the rest.
	over  [24]overflowEntry
	nOver int
	more  []overflowEntry
}

func (ev *cefEvent) addOverflow(key string, fromRes bool, v pcommon.Value) {
	if ev.nOver < len(ev.over) {
		ev.over[ev.nOver] = overflowEntry{key, v, fromRes}
		ev.nOver++
		return
	}
	ev.more = append(ev.more, overflowEntry{key, v, fromRes})
}

// Append appends the CEF line for lr (with its resource res) to dst and returns the extended buffer.
// The line has no trailing newline, no BOM, and never contains a CR or LF byte.
func (f *CEF) Append(dst []byte, res pcommon.Resource, lr plog.LogRecord) []byte {
	var ev cefEvent
	if body := lr.Body(); !isEmptyValue(body) {
		f.accept(&ev, 0, body, body.Type(), false) // the Body is mapping 0
	}
	f.collect(&ev, lr.Attributes(), &f.attrKeys, false)
	f.collect(&ev, res.Attributes(), &f.resKeys, true)

	cat := f.roleStr(&ev, roleCategory)
	act := f.roleStr(&ev, roleAction)
	outcome := f.roleStr(&ev, roleOutcome)
	ruleID := f.roleStr(&ev, roleRuleID)
	ruleName := f.roleStr(&ev, roleRuleName)
	alertSev := f.roleStr(&ev, roleAlertSeverity)
	// Any alert field makes it an alert record, so that the header uses (never drops) it.
	isAlert := cat == string(secevent.CategoryAlert) || ruleID != "" || ruleName != "" || alertSev != ""
	eventName := lr.EventName()

	dst = append(dst, f.header...)

	// Signature ID: the alert rule, else category[.action], else the EventName without its prefix.
	nameRepresented := false
	switch {
	case isAlert && ruleID != "":
		dst, _ = appendCEFHeaderValue(dst, ruleID, maxSignatureLen)
	case cat != "":
		mark := len(dst)
		dst = appendJoined(dst, '.', cat, act)
		dst = escapeTail(dst, mark, maxSignatureLen, inCEFHeader)
	case eventName != "":
		dst, _ = appendCEFHeaderValue(dst, strings.TrimPrefix(eventName, secevent.EventNamePrefix), maxSignatureLen)
		nameRepresented = true
	default:
		dst = append(dst, "unknown"...)
	}
	dst = append(dst, '|')

	// Name: the alert rule's name; else "category action outcome" in words ('_' as a space).
	switch {
	case isAlert && ruleName != "":
		dst, _ = appendCEFHeaderValue(dst, ruleName, maxNameLen)
	case isAlert && ruleID != "":
		dst, _ = appendCEFHeaderValue(dst, ruleID, maxNameLen)
	case cat != "" || act != "" || outcome != "":
		mark := len(dst)
		dst = appendJoined(dst, ' ', cat, act, outcome)
		for i := mark; i < len(dst); i++ {
			if dst[i] == '_' {
				dst[i] = ' '
			}
		}
		dst = escapeTail(dst, mark, maxNameLen, inCEFHeader)
	case isAlert:
		dst = append(dst, "alert"...)
	case eventName != "":
		dst, _ = appendCEFHeaderValue(dst, eventName, maxNameLen)
	default:
		dst = append(dst, "security event"...)
	}
	dst = append(dst, '|')

	// Severity: the alert rule's, else severity_by_category, else SeverityNumber. (alertSev is valid
	// unless a custom slot maps otsec.alert.severity: that gives 0.)
	var sev int
	switch bySev, ok := f.sevByCat[cat]; {
	case isAlert && alertSev != "":
		sev, _ = AlertCEFSeverity(alertSev)
	case ok:
		sev = bySev
	default:
		sev = CEFSeverity(lr.SeverityNumber())
	}
	dst = strconv.AppendInt(dst, int64(sev), 10)
	dst = append(dst, '|')

	// Extension: the pairs in mapping order (the schema's), separated by spaces.
	ext := len(dst)
	for set := ev.present &^ f.headerOnly; set != 0; set &= set - 1 {
		idx := bits.TrailingZeros64(set)
		dst = f.maps[idx].appendPair(space(dst, ext), ev.vals[idx])
	}

	// Everything without a key of its own, as one JSON object. The EventName travels there only when
	// the Signature ID does not already say it.
	extraName := ""
	if eventName != "" && !nameRepresented && !isSchemaEventName(eventName, cat, act) {
		extraName = eventName
	}
	if ev.nOver > 0 || extraName != "" || !lr.TraceID().IsEmpty() || !lr.SpanID().IsEmpty() {
		dst = f.appendOverflow(space(dst, ext), &ev, extraName, lr)
	}

	// rt last: its value is digits only, so the line never ends in a value whose trailing spaces a
	// parser could trim.
	if ts := eventTime(lr.Timestamp(), lr.ObservedTimestamp()); ts != 0 {
		dst = append(space(dst, ext), "rt="...)
		dst = strconv.AppendUint(dst, uint64(ts)/1e6, 10)
	}
	return dst
}

// collect files the attributes attrs (keys looked up in keys) into ev: into their mapping, else into
// the overflow entries. Empty values carry nothing and are left out of every format.
func (f *CEF) collect(ev *cefEvent, attrs pcommon.Map, keys *keyIndex, fromRes bool) {
	for k, v := range attrs.All() {
		t := v.Type()
		if t == pcommon.ValueTypeEmpty || t == pcommon.ValueTypeStr && v.Str() == "" {
			continue
		}
		if i, ok := keys.get(k); !ok || !f.accept(ev, i, v, t, fromRes) {
			ev.addOverflow(k, fromRes, v)
		}
	}
}

// accept stores the non-empty value v (of type t) for mapping idx when the mapping can write it. It
// returns false when v must go to the overflow JSON instead: a duplicate key, a value of the wrong
// type, an id too long, or a CEF key already held by a field that comes first in the schema.
func (f *CEF) accept(ev *cefEvent, idx int, v pcommon.Value, t pcommon.ValueType, fromRes bool) bool {
	m := &f.maps[idx]
	bit := uint64(1) << idx
	if ev.present&bit != 0 || m.role != roleNone && t != pcommon.ValueTypeStr || !m.takes(v, t) {
		return false
	}
	// Of the mappings sharing a CEF key, at most one is present: the one listed first keeps the key.
	for _, o := range m.group {
		ob := uint64(1) << o
		switch {
		case o == idx || ev.present&ob == 0:
		case o < idx:
			return false
		default:
			ev.addOverflow(f.maps[o].key, ev.fromRes&ob != 0, ev.vals[o])
			ev.present &^= ob
		}
	}
	ev.vals[idx] = v
	ev.present |= bit
	if fromRes {
		ev.fromRes |= bit
	}
	return true
}

// takes reports whether the mapping can write the non-empty value v of type t.
func (m *mapping) takes(v pcommon.Value, t pcommon.ValueType) bool {
	switch m.kind {
	case mText:
		switch t {
		case pcommon.ValueTypeStr:
			return !m.exact || repairedLen(v.Str(), 1) <= m.limit
		case pcommon.ValueTypeInt, pcommon.ValueTypeDouble, pcommon.ValueTypeBool:
			return true
		}
		return false
	case mInt, mCustomNum:
		n, ok := intValue(v)
		return ok && n >= m.min && n <= m.max
	case mAddress:
		return t == pcommon.ValueTypeStr
	case mTime:
		_, ok := parseRFC3339Millis(v)
		return ok
	case mHeader:
		if m.role == roleAlertSeverity {
			_, ok := AlertCEFSeverity(v.Str())
			return ok
		}
	}
	return true
}

// roleStr returns the string value of the field playing role r, or "".
func (f *CEF) roleStr(ev *cefEvent, r role) string {
	idx := f.roleIdx[r]
	if idx < 0 || ev.present&(uint64(1)<<idx) == 0 {
		return ""
	}
	return ev.vals[idx].Str()
}

// appendPair writes one key=value pair, and its label for a custom slot.
func (m *mapping) appendPair(dst []byte, v pcommon.Value) []byte {
	switch m.kind {
	case mAddress:
		if s := v.Str(); isIPAddress(s) {
			dst = append(dst, m.prefix...)
			dst = append(dst, s...) // an IP literal has no character CEF escapes
		} else {
			dst = append(dst, m.alt...)
			dst, _ = appendCEFExtValue(dst, s, m.altLimit)
		}
	case mInt, mCustomNum:
		n, _ := intValue(v)
		dst = strconv.AppendInt(append(dst, m.prefix...), n, 10)
	case mTime:
		ms, _ := parseRFC3339Millis(v)
		dst = strconv.AppendInt(append(dst, m.prefix...), ms, 10)
	default: // mText, mBody, mCustomStr
		dst = append(dst, m.prefix...)
		if v.Type() == pcommon.ValueTypeStr {
			dst, _ = appendCEFExtValue(dst, v.Str(), m.limit)
		} else {
			mark := len(dst)
			dst = appendValueText(dst, v, m.kind == mCustomStr) // a custom slot comma-joins a list
			dst = escapeTail(dst, mark, m.limit, inCEFExt)
		}
	}
	return append(dst, m.label...)
}

// space writes the space that separates extension pairs, unless the pair is the first (the
// extension starts at ext).
func space(dst []byte, ext int) []byte {
	if len(dst) > ext {
		return append(dst, ' ')
	}
	return dst
}

// appendJoined writes the non-empty words, separated by sep.
func appendJoined(dst []byte, sep byte, words ...string) []byte {
	first := true
	for _, w := range words {
		if w == "" {
			continue
		}
		if !first {
			dst = append(dst, sep)
		}
		dst = append(dst, w...)
		first = false
	}
	return dst
}

// isSchemaEventName reports whether name is exactly "security.<cat>[.<act>]".
func isSchemaEventName(name, cat, act string) bool {
	rest, ok := strings.CutPrefix(name, secevent.EventNamePrefix)
	if !ok || cat == "" {
		return false
	}
	if rest, ok = strings.CutPrefix(rest, cat); !ok || act == "" {
		return ok && rest == ""
	}
	rest, ok = strings.CutPrefix(rest, ".")
	return ok && rest == act
}

// isIPAddress reports whether s is an IPv4 or IPv6 address literal without a zone: the only thing
// CEF's src and dst may hold. It accepts exactly what net/netip accepts.
func isIPAddress(s string) bool {
	if strings.IndexByte(s, ':') < 0 {
		return isIPv4(s) // the usual case, without netip's error (a heap allocation) for host names
	}
	// An IPv6 literal without a zone is hex digits, '.' and ':' only.
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == '.' || c == ':') {
			return false
		}
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// isIPv4 reports whether s is a dotted-quad IPv4 address as netip reads one: four decimal fields of
// 0..255, each without a leading zero.
func isIPv4(s string) bool {
	fields, val, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if digits == 1 && val == 0 {
				return false
			}
			val, digits = val*10+int(c-'0'), digits+1
			if val > 255 {
				return false
			}
		case c == '.' && digits > 0 && fields < 3:
			fields, val, digits = fields+1, 0, 0
		default:
			return false
		}
	}
	return fields == 3 && digits > 0
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
