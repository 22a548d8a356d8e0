package secformat

import (
	"bytes"
	"encoding/json"
	"net"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/unified-ot/otelcol-siem/secevent"
)

var fuzzSeeds = []string{
	"", "plain", "a|b\\c=d", "line\nbreak\r", "\x00\t\x7f\u0085", "\xff\xfe\xc3", "1.2.3.4", "2001:db8::1",
	"fe80::1%eth0", " act=evil rt=0", `\`, "=", "CEF:0|a|b", "ü€😀", strings.Repeat("x=", 700),
}

// FuzzCEFRoundTrip: whatever goes into the body, user.name, source.address, event.action,
// event.category, the device vendor and an arbitrary extra attribute, the output is one line that the
// test's independent CEF parser reads back to the documented repair of what went in, with no key the
// formatter did not write.
func FuzzCEFRoundTrip(f *testing.F) {
	for i, s := range fuzzSeeds {
		t := fuzzSeeds[(i+3)%len(fuzzSeeds)]
		f.Add(s, t, s, t, s, t, s, t)
	}
	f.Fuzz(newCEFProperty(f).check)
}

// cefProperty is FuzzCEFRoundTrip's property, with the formatters it needs besides its inputs.
type cefProperty struct {
	def *CEF
	sys *Syslog
}

func newCEFProperty(t testing.TB) cefProperty {
	sdCfg := DefaultSyslogConfig()
	sdCfg.StructuredData = true
	return cefProperty{defaultCEF(t), mustSyslog(t, sdCfg)}
}

func (c cefProperty) check(t *testing.T, body, user, src, action, category, vendor, extraKey, extraVal string) {
	def, sys := c.def, c.sys
	cf := def
	cfg := DefaultCEFConfig()
	cfg.DeviceVendor = vendor
	wantVendor := DefaultDeviceVendor
	if cfg.Validate() == nil {
		cf = mustCEF(t, cfg)
		wantVendor = vendor
	}
	r, lr := record(t, []kv{
		{secevent.KeyCategory, category}, {secevent.KeyAction, action}, {secevent.KeyUserName, user},
		{secevent.KeySourceAddress, src}, {"x." + extraKey, extraVal},
	}, nil)
	lr.Body().SetStr(body)
	line := cf.Append(nil, r, lr)
	if bytes.ContainsAny(line, "\r\n") {
		t.Fatalf("CR or LF in output: %q", line)
	}
	// The syslog message AppendRecord writes with the line in place is the one Append writes
	// around it.
	if msg, _ := sys.AppendRecord(nil, r, lr, cf); string(msg) != string(sys.Append(nil, r, lr, line)) {
		t.Fatalf("AppendRecord: %q\nAppend: %q", msg, sys.Append(nil, r, lr, line))
	}
	if !utf8.Valid(line) {
		t.Fatalf("invalid UTF-8 in output: %q", line)
	}
	p, err := parseCEF(string(line))
	if err != nil {
		t.Fatalf("independent parser: %v\nline: %q", err, line)
	}
	eq := func(field, got, want string) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: got %q, want %q\nline: %q", field, got, want, line)
		}
	}
	eq("version", p.Version, "0")
	eq("vendor", p.Vendor, wantVendor)
	if category != "" {
		sig := category
		if action != "" {
			sig += "." + action
		}
		eq("signature", p.SignatureID, expectText(sig, modeCEFHeader, 1023))
		var words []string
		for _, w := range []string{category, action} {
			if w != "" {
				words = append(words, strings.ReplaceAll(w, "_", " "))
			}
		}
		eq("name", p.Name, expectText(strings.Join(words, " "), modeCEFHeader, 512))
		eq("cat", p.Ext["cat"], expectText(category, modeCEFExt, 1023))
	}
	if body != "" {
		eq("msg", p.Ext["msg"], expectText(body, modeCEFExt, 1023))
	}
	if user != "" {
		eq("suser", p.Ext["suser"], expectText(user, modeCEFExt, 1023))
	}
	if action != "" {
		eq("act", p.Ext["act"], expectText(action, modeCEFExt, 63))
	}
	if src != "" {
		if v, ok := p.Ext["src"]; ok {
			eq("src", v, src)
			if net.ParseIP(v) == nil {
				t.Fatalf("src %q is not an IP address", v)
			}
		} else {
			eq("shost", p.Ext["shost"], expectText(src, modeCEFExt, 1023))
			if net.ParseIP(src) != nil {
				t.Fatalf("IP address %q written as shost", src)
			}
		}
	}
	allowed := map[string]bool{"cat": true, "act": true, "suser": true, "src": true, "shost": true, "msg": true,
		"rt": true, "cs6": true, "cs6Label": true}
	for _, k := range p.Keys {
		if !allowed[k] {
			t.Fatalf("unexpected extension key %q\nline: %q", k, line)
		}
	}
	if extraVal != "" {
		over := map[string]any{}
		if err := json.Unmarshal([]byte(p.Ext["cs6"]), &over); err != nil {
			t.Fatalf("cs6 is not JSON: %v: %q", err, p.Ext["cs6"])
		}
		got, ok := over[expectJSONText("x."+extraKey)].(string)
		want := expectJSONText(extraVal)
		switch {
		case !ok:
			if over["_omitted"] == nil {
				t.Fatalf("extra attribute lost without a count: %q", p.Ext["cs6"])
			}
		case strings.HasSuffix(got, TruncationMarker) && got != want:
			if !strings.HasPrefix(want, strings.TrimSuffix(got, TruncationMarker)) {
				t.Fatalf("cut extra value is not a prefix: %q", got)
			}
		default:
			eq("cs6 extra", got, want)
		}
		if len(p.Ext["cs6"]) > 4000 {
			t.Fatalf("cs6 longer than 4000 bytes: %d", len(p.Ext["cs6"]))
		}
	}
}

// FuzzJSONRoundTrip: one JSON object, no raw CR/LF, no duplicate names, every value decodes to what
// went in (invalid UTF-8 repaired byte by byte).
func FuzzJSONRoundTrip(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, fuzzSeeds[(i+5)%len(fuzzSeeds)], s, s)
	}
	f.Fuzz(jsonProperty{NewJSON()}.check)
}

// jsonProperty is FuzzJSONRoundTrip's property.
type jsonProperty struct{ jf *JSON }

func (p jsonProperty) check(t *testing.T, body, key, val, user string) {
	jf := p.jf
	r, lr := record(t, []kv{{secevent.KeyUserName, user}, {key, val}}, []kv{{key, "res"}})
	lr.Body().SetStr(body)
	out := jf.Append(nil, r, lr)
	if bytes.ContainsAny(out, "\r\n") {
		t.Fatalf("CR or LF in output: %q", out)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %q", out)
	}
	vals := map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%v: %q", err, out)
		}
		k := tok.(string)
		if _, dup := vals[k]; dup {
			t.Fatalf("duplicate name %q: %q", k, out)
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%v: %q", err, out)
		}
		vals[k] = v
	}
	if _, err := dec.Token(); err != nil {
		t.Fatalf("object not closed: %v", err)
	}
	if _, err := dec.Token(); err == nil {
		t.Fatalf("trailing data: %q", out)
	}
	if body != "" && vals["message"] != expectJSONText(body) {
		t.Fatalf("message: got %q want %q", vals["message"], expectJSONText(body))
	}
	if user != "" && key != secevent.KeyUserName && vals["user.name"] != expectJSONText(user) {
		t.Fatalf("user.name: got %q", vals["user.name"])
	}
	if val != "" && key != "" {
		// The attribute is under its own name unless that name is taken (a record-level name, a
		// schema field, or a repaired key equal to another), then under attributes.<key>.
		found := false
		for k, v := range vals {
			if (k == expectJSONText(key) || strings.HasPrefix(k, "attributes.")) && v == expectJSONText(val) {
				found = true
			}
		}
		if !found {
			t.Fatalf("attribute %q=%q not found in %q", key, val, out)
		}
	}
}

var re3164 = regexp.MustCompile(`^<([0-9]{1,3})>[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} ([!-~]+) ([A-Za-z0-9]{1,32}):( [^\r\n]*)?$`)

// FuzzSyslogRoundTrip: the RFC 5424 header parses back (test-side parser) to the documented reduction
// of what went in (printable US-ASCII, lengths, "-" for empty), SD values to the repaired input, and
// MSG to the message with CR/LF made spaces; the RFC 3164 form matches its grammar.
func FuzzSyslogRoundTrip(f *testing.F) {
	for i, s := range fuzzSeeds {
		t := fuzzSeeds[(i+7)%len(fuzzSeeds)]
		f.Add(s, t, s, t, s, t)
	}
	f.Fuzz(newSyslogProperty(f).check)
}

// syslogProperty is FuzzSyslogRoundTrip's property, with the default header writers.
type syslogProperty struct {
	cfg          SyslogConfig
	def, def3164 *Syslog
}

func newSyslogProperty(t testing.TB) syslogProperty {
	cfg := DefaultSyslogConfig()
	cfg.StructuredData = true
	cfg3164 := DefaultSyslogConfig()
	cfg3164.Protocol = ProtocolRFC3164
	return syslogProperty{cfg, mustSyslog(t, cfg), mustSyslog(t, cfg3164)}
}

func (sp syslogProperty) check(t *testing.T, host, app, category, eventID, pid, msg string) {
	cfg, def, def3164 := sp.cfg, sp.def, sp.def3164
	s, s3164, wantApp := def, def3164, DefaultAppName
	c := cfg
	c.AppName = app
	if c.Validate() == nil {
		s, wantApp = mustSyslog(t, c), app
		c.Protocol, c.StructuredData = ProtocolRFC3164, false
		if c.Validate() == nil {
			s3164 = mustSyslog(t, c)
		}
	}
	r, lr := record(t, []kv{{secevent.KeyCategory, category}, {secevent.KeyEventID, eventID}},
		[]kv{{secevent.KeyHostName, host}, {ResourceProcessPID, pid}})
	out := s.Append(nil, r, lr, []byte(msg))
	if bytes.ContainsAny(out, "\r\n") {
		t.Fatalf("CR or LF in output: %q", out)
	}
	p, err := parse5424(string(out))
	if err != nil {
		t.Fatalf("RFC 5424 parser: %v: %q", err, out)
	}
	eq := func(field, got, want string) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: got %q, want %q\nmessage: %q", field, got, want, out)
		}
	}
	if host != "" {
		eq("HOSTNAME", p.Host, expectSyslogField(host, 255))
	}
	eq("APP-NAME", p.App, wantApp)
	eq("PROCID", p.ProcID, expectSyslogField(pid, 128))
	eq("MSGID", p.MsgID, expectSyslogField(category, 32))
	if category != "" {
		eq("SD cat", p.SD["cat"], expectText(category, modeSD, 255))
	}
	if eventID != "" {
		eq("SD id", p.SD["id"], expectText(eventID, modeSD, 255))
	}
	if msg != "" {
		eq("MSG", p.Msg, strings.NewReplacer("\r", " ", "\n", " ").Replace(msg))
	}
	out = s3164.Append(nil, r, lr, []byte(msg))
	if !re3164.Match(out) {
		t.Fatalf("RFC 3164 grammar: %q", out)
	}
}
