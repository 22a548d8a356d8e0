package secformat

import (
	"fmt"
	"math"
	"strings"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// cefColumn is one parsed entry of the schema's "CEF" column (secevent.Field.CEF).
type cefColumn struct {
	kind  colKind
	key   string // CEF key, custom slot, or overflow slot
	alt   string // colAddress: key for a value that is not an IP address
	label string // colCustom: the slot's label
}

type colKind uint8

const (
	colNone     colKind = iota // "-": not written (EventName: it is the Signature ID)
	colKey                     // a plain dictionary key
	colAddress                 // "src if an IP address, else shost"
	colTime                    // "start (epoch ms)"
	colCustom                  // "cs1 (configKey)", "cs4 (userRoles, comma-joined)"
	colOverflow                // "overflow JSON (cs6)"
	colHeader                  // "Severity (header ...)", "Name (header)", "Signature ID"
)

// parseCEFColumn reads the schema doc's CEF column. It accepts exactly the forms the schema uses and
// fails on anything else, so that a schema change the formatter does not understand is caught by
// NewCEF (and its tests), not silently mis-mapped.
func parseCEFColumn(s string) (cefColumn, error) {
	switch {
	case s == "-":
		return cefColumn{kind: colNone}, nil
	case strings.HasPrefix(s, "Severity"), strings.HasPrefix(s, "Name"), strings.HasPrefix(s, "Signature ID"):
		return cefColumn{kind: colHeader, key: s}, nil
	case strings.HasPrefix(s, "overflow JSON (") && strings.HasSuffix(s, ")"):
		slot := strings.TrimSuffix(strings.TrimPrefix(s, "overflow JSON ("), ")")
		if !isCustomSlot(slot) {
			break
		}
		return cefColumn{kind: colOverflow, key: slot}, nil
	}
	// "cat; Signature ID = category[.action]": the key before the note.
	if i := strings.Index(s, ";"); i > 0 {
		s = s[:i]
	}
	if ip, host, ok := strings.Cut(s, " if an IP address, else "); ok && isDictKey(ip) && isDictKey(host) {
		return cefColumn{kind: colAddress, key: ip, alt: host}, nil
	}
	key, note, hasNote := strings.Cut(s, " (")
	if !isDictKey(key) {
		return cefColumn{}, fmt.Errorf("unknown CEF column form %q", s)
	}
	if !hasNote {
		return cefColumn{kind: colKey, key: key}, nil
	}
	note = strings.TrimSuffix(note, ")")
	if note == "epoch ms" {
		return cefColumn{kind: colTime, key: key}, nil
	}
	if isCustomSlot(key) {
		label, rest, _ := strings.Cut(note, ", ")
		if label == "" || rest != "" && rest != "comma-joined" {
			return cefColumn{}, fmt.Errorf("unknown CEF custom-slot note %q", s)
		}
		return cefColumn{kind: colCustom, key: key, label: label}, nil
	}
	return cefColumn{}, fmt.Errorf("unknown CEF column form %q", s)
}

func isDictKey(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

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

// mapping is one compiled field: where a key's value goes in the line and what it must be.
type mapping struct {
	key      string // the schema (or custom) key it reads
	kind     mkind
	role     role
	cefKey   string // dictionary key or slot; groups mappings that share one
	prefix   string // "act="
	alt      string // mAddress: "shost="
	label    string // custom slots: " cs1Label=<escaped label>"
	limit    int    // bytes of the repaired value; 0 = none
	altLimit int
	min, max int64 // mInt, mCustomNum
	exact    bool  // never truncated: over the limit it goes to the overflow JSON whole (ids)
	group    []int // the mappings writing the same CEF key, this one included; nil if none other
}

// maxMappings bounds the mappings of one formatter: the per-record state is a fixed array and a
// 64-bit presence mask.
const maxMappings = 64

// CEF turns log records of the project schema into CEF lines. It is built once by NewCEF, holds
// nothing that changes afterwards, and is safe for concurrent use.
type CEF struct {
	header         string // "CEF:0|vendor|product|version|", escaped
	maps           []mapping
	attrKeys       keyIndex      // record attribute key -> mapping
	resKeys        keyIndex      // resource attribute key -> mapping
	roleIdx        [numRoles]int // the mapping playing each role, -1 for none
	sevByCat       map[string]int
	overflowPrefix string // "cs6="
	overflowLabel  string // " cs6Label=otsecExtra"
	headerOnly     uint64 // mappings of kind mHeader: present, but not written as pairs
}

// NewCEF validates cfg and compiles it, with the schema's CEF column, into a formatter.
func NewCEF(cfg CEFConfig) (*CEF, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	f := &CEF{sevByCat: map[string]int{}}
	attrIdx, resIdx := map[string]int{}, map[string]int{}
	h := []byte("CEF:0|")
	h, _ = appendCEFHeaderValue(h, cfg.DeviceVendor, maxVendorLen)
	h = append(h, '|')
	h, _ = appendCEFHeaderValue(h, cfg.DeviceProduct, maxProductLen)
	h = append(h, '|')
	h, _ = appendCEFHeaderValue(h, cfg.DeviceVersion, maxVersionLen)
	f.header = string(append(h, '|'))
	for k, v := range cfg.SeverityByCategory {
		f.sevByCat[k] = v
	}
	f.overflowPrefix = cfg.OverflowSlot + "="
	f.overflowLabel = customLabel(cfg.OverflowSlot, cfg.OverflowLabel)

	// The Body comes first, so that it wins msg over otsec.alert.description (see group).
	f.maps = append(f.maps, mapping{key: secevent.RecordBody, kind: mBody, cefKey: "msg", prefix: "msg=", limit: cefDictionary["msg"].limit})

	for _, fld := range secevent.Fields {
		if fld.Place == secevent.PlaceRecord {
			continue // Timestamp, Body, SeverityNumber, EventName: handled by the formatter itself
		}
		m, ok, err := schemaMapping(fld)
		if err != nil {
			return nil, fmt.Errorf("secevent field %s: %w", fld.Key, err)
		}
		if !ok {
			continue // no key of its own (overflow JSON), or a custom slot from cfg.CustomFields
		}
		f.maps = append(f.maps, m)
		if fld.Place == secevent.PlaceResource {
			resIdx[fld.Key] = len(f.maps) - 1
		} else {
			attrIdx[fld.Key] = len(f.maps) - 1
		}
	}

	for _, cf := range cfg.CustomFields {
		m := mapping{key: cf.Key, role: roleOf(cf.Key), cefKey: cf.Slot, prefix: cf.Slot + "=", label: customLabel(cf.Slot, cf.Label)}
		if strings.HasPrefix(cf.Slot, "cn") {
			m.kind, m.min, m.max = mCustomNum, math.MinInt64, math.MaxInt64
		} else {
			m.kind, m.limit = mCustomStr, maxCustomStrLen
		}
		f.maps = append(f.maps, m)
		idx := len(f.maps) - 1
		// A schema key is read where the schema puts it (the custom slot replaces its default key);
		// any other key from a record attribute, else a resource attribute of that name.
		fld, isSchema := secevent.FieldByKey(cf.Key)
		if !isSchema || fld.Place != secevent.PlaceResource {
			attrIdx[cf.Key] = idx
		}
		if !isSchema || fld.Place == secevent.PlaceResource {
			resIdx[cf.Key] = idx
		}
	}
	if len(f.maps) > maxMappings {
		return nil, fmt.Errorf("secformat: %d CEF mappings, more than the %d supported", len(f.maps), maxMappings)
	}

	// Roles and shared keys are computed over reachable mappings only (a custom slot may have
	// replaced a schema key's default mapping), in mapping order.
	reachable := make([]bool, len(f.maps))
	reachable[0] = true
	for _, idx := range attrIdx {
		reachable[idx] = true
	}
	for _, idx := range resIdx {
		reachable[idx] = true
	}
	for i := range f.roleIdx {
		f.roleIdx[i] = -1
	}
	byKey := map[string][]int{}
	for idx, ok := range reachable {
		m := &f.maps[idx]
		if !ok {
			continue
		}
		if m.role != roleNone {
			f.roleIdx[m.role] = idx
		}
		if m.cefKey != "" {
			byKey[m.cefKey] = append(byKey[m.cefKey], idx)
		}
	}
	for _, members := range byKey {
		if len(members) > 1 {
			for _, idx := range members {
				f.maps[idx].group = members
			}
		}
	}
	for i := range f.maps {
		if f.maps[i].kind == mHeader {
			f.headerOnly |= 1 << i
		}
	}
	f.attrKeys, f.resKeys = newKeyIndex(attrIdx), newKeyIndex(resIdx)
	return f, nil
}

// schemaMapping compiles the CEF column of a schema field. ok is false for a field without a
// mapping of its own (overflow JSON, or a default custom slot: those come from the configuration).
func schemaMapping(fld secevent.Field) (m mapping, ok bool, err error) {
	col, err := parseCEFColumn(fld.CEF)
	if err != nil {
		return m, false, err
	}
	m = mapping{key: fld.Key, role: roleOf(fld.Key), cefKey: col.key, prefix: col.key + "="}
	switch col.kind {
	case colNone, colOverflow, colCustom:
		return m, false, nil
	case colHeader:
		if m.role != roleRuleID && m.role != roleRuleName && m.role != roleAlertSeverity {
			return m, false, fmt.Errorf("CEF header position %q is not one the formatter fills", fld.CEF)
		}
		m.kind, m.cefKey, m.prefix = mHeader, "", ""
	case colAddress:
		ip, ok1 := cefDictionary[col.key]
		host, ok2 := cefDictionary[col.alt]
		if !ok1 || !ok2 || ip.kind != dictIP || host.kind != dictString {
			return m, false, fmt.Errorf("%q needs an IP key and a string key", fld.CEF)
		}
		m.kind, m.alt, m.altLimit = mAddress, col.alt+"=", host.limit
	case colTime, colKey:
		d, ok := cefDictionary[col.key]
		if !ok {
			return m, false, fmt.Errorf("CEF key %q is not in the formatter's dictionary", col.key)
		}
		switch {
		case d.kind == dictString && col.kind == colKey:
			m.kind, m.limit = mText, d.limit
			m.exact = col.key == "externalId" // an id cut short would break de-duplication
		case d.kind == dictString:
			return m, false, fmt.Errorf("%q is not a timestamp key", col.key)
		case d.kind == dictPort:
			m.kind, m.min, m.max = mInt, 0, 65535
		case d.kind == dictCount:
			m.kind, m.min, m.max = mInt, 0, math.MaxInt64
		case d.kind == dictTime:
			m.kind = mTime
		default:
			return m, false, fmt.Errorf("CEF key %q holds IP addresses only; the schema must say what a host name becomes", col.key)
		}
	}
	return m, true, nil
}

// customLabel is the " csNLabel=<label>" written after a custom slot's value.
func customLabel(slot, label string) string {
	b, _ := appendCEFExtValue([]byte(" "+slot+"Label="), label, maxLabelLen)
	return string(b)
}
