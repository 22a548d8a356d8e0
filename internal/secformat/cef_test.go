package secformat

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

var testTime = time.Date(2026, 11, 26, 10, 15, 2, 123456789, time.UTC)

// record builds a log record with the given attributes (put in the order of the kv list) and
// resource attributes.
func record(t testing.TB, attrs []kv, resAttrs []kv) (pcommon.Resource, plog.LogRecord) {
	t.Helper()
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	for _, a := range resAttrs {
		require.NoError(t, rl.Resource().Attributes().PutEmpty(a.k).FromRaw(a.v))
	}
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(testTime))
	for _, a := range attrs {
		require.NoError(t, lr.Attributes().PutEmpty(a.k).FromRaw(a.v))
	}
	return rl.Resource(), lr
}

type kv struct {
	k string
	v any
}

func defaultCEF(t testing.TB) *CEF { return mustCEF(t, DefaultCEFConfig()) }

func parseLine(t testing.TB, line []byte) parsedCEF {
	t.Helper()
	p, err := parseCEF(string(line))
	require.NoError(t, err, "line: %q", line)
	return p
}

func overflowOf(t testing.TB, p parsedCEF) map[string]any {
	t.Helper()
	raw, ok := p.Ext["cs6"]
	if !ok {
		return nil
	}
	require.Equal(t, "otsecExtra", p.Ext["cs6Label"])
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(raw), &m), "cs6: %s", raw)
	return m
}

func TestCEFEscapingTable(t *testing.T) {
	cases := []struct{ in, header, ext string }{
		{"plain text", "plain text", "plain text"},
		{"a|b", `a\|b`, "a|b"},
		{`a\b`, `a\\b`, `a\\b`},
		{"a=b", "a=b", `a\=b`},
		{"a\nb", "a b", `a\nb`},
		{"a\rb", "a b", `a\rb`},
		{"a\r\nb", "a  b", `a\r\nb`},
		{"a\tb", "a\u2409b", "a\u2409b"},
		{"a\x00b", "a\u2400b", "a\u2400b"},
		{"a\x1bb", "a\u241bb", "a\u241bb"},
		{"a\x7fb", "a\u2421b", "a\u2421b"},
		{"a\u0085b", "a\uFFFDb", "a\uFFFDb"}, // NEL, a C1 control
		{"a\xffb", "a\uFFFDb", "a\uFFFDb"},
		{"\xe2\x82", "\uFFFD\uFFFD", "\uFFFD\uFFFD"}, // a cut-off sequence: one U+FFFD per byte
		{"üñ€😀\u2028", "üñ€😀\u2028", "üñ€😀\u2028"},
		{`\|=`, `\\\|=`, `\\|\=`},
		{`x\`, `x\\`, `x\\`},
		{" lead and trail ", " lead and trail ", " lead and trail "},
	}
	for _, c := range cases {
		h, cut := appendCEFHeaderValue(nil, c.in, 0)
		assert.False(t, cut)
		assert.Equal(t, c.header, string(h), "header(%q)", c.in)
		e, cut := appendCEFExtValue(nil, c.in, 0)
		assert.False(t, cut)
		assert.Equal(t, c.ext, string(e), "extension(%q)", c.in)
	}
}

func TestCEFSeedExample(t *testing.T) {
	// The schema doc's example, field by field through the independent parser.
	res, lr := seedEvents()[1].build(1)
	p := parseLine(t, defaultCEF(t).Append(nil, res, lr))
	assert.Equal(t, "0", p.Version)
	assert.Equal(t, "Unified OT", p.Vendor)
	assert.Equal(t, "otelcol-siem", p.Product)
	assert.Equal(t, "0.1.0", p.DevVersion)
	assert.Equal(t, "authentication.login", p.SignatureID)
	assert.Equal(t, "authentication login failure", p.Name)
	assert.Equal(t, "5", p.Severity)
	assert.Equal(t, map[string]string{
		"msg": "Failed login attempt for alice@example.com", "cat": "authentication", "act": "login",
		"outcome": "failure", "reason": "invalid_credentials", "externalId": "6f1c0000-0000-4000-8000-000000000001",
		"suser": "alice@example.com", "src": "192.168.1.100", "deviceProcessName": "unified-ot-connector",
		"dvchost": "edge-01", "deviceExternalId": "plant-a",
		"cs6":      `{"service.version":"1.4.2","deployment.environment.name":"production","process.pid":4242}`,
		"cs6Label": "otsecExtra", "rt": strconv.FormatInt(seedBase.Add(time.Second).UnixMilli(), 10),
	}, p.Ext)
}

// TestCEFMappingFromSchema checks every schema field with a CEF key of its own lands there, and every
// "overflow JSON" field lands in cs6: the formatter reads the schema's CEF column, this test reads it
// too (independently parsed) and checks the output.
func TestCEFMappingFromSchema(t *testing.T) {
	f := defaultCEF(t)
	for _, fld := range secevent.Fields {
		if fld.Place == secevent.PlaceRecord {
			continue
		}
		t.Run(fld.Key, func(t *testing.T) {
			var v any = "v-" + strings.ReplaceAll(fld.Key, ".", "-")
			switch fld.Type {
			case secevent.TypeInt:
				v = int64(42)
			case secevent.TypeBool:
				v = true
			case secevent.TypeStringSlice:
				v = []any{"a", "b"}
			case secevent.TypeMap:
				v = map[string]any{"k": "v"}
			case secevent.TypeTimestamp:
				v = "2026-11-26T10:00:00.5Z"
			}
			if fld.Key == secevent.KeyAlertSeverity {
				v = "critical"
			}
			var attrs, res []kv
			if fld.Place == secevent.PlaceResource {
				res = []kv{{fld.Key, v}}
			} else {
				attrs = []kv{{fld.Key, v}}
			}
			r, lr := record(t, attrs, res)
			p := parseLine(t, f.Append(nil, r, lr))
			col := fld.CEF
			switch {
			case strings.HasPrefix(col, "overflow JSON"):
				assert.Equal(t, jsonRoundTrip(t, v), overflowOf(t, p)[fld.Key])
			case fld.Key == secevent.KeyAlertRuleID:
				assert.Equal(t, v, p.SignatureID)
			case fld.Key == secevent.KeyAlertRuleName:
				assert.Equal(t, v, p.Name)
			case fld.Key == secevent.KeyAlertSeverity:
				assert.Equal(t, "10", p.Severity)
			case strings.HasPrefix(col, "src "), strings.HasPrefix(col, "dst "):
				assert.Equal(t, v, p.Ext[map[string]string{"src": "shost", "dst": "dhost"}[col[:3]]])
			case strings.Contains(col, "epoch ms"):
				assert.Equal(t, strconv.FormatInt(time.Date(2026, 11, 26, 10, 0, 0, 5e8, time.UTC).UnixMilli(), 10), p.Ext[strings.Fields(col)[0]])
			case (strings.HasPrefix(col, "cs") || strings.HasPrefix(col, "cn")) && len(col) > 4 && col[3] == ' ':
				slot := col[:3]
				label := strings.TrimSuffix(strings.SplitN(strings.TrimSuffix(col[5:], ")"), ",", 2)[0], ")")
				want := "42"
				if s, ok := v.(string); ok {
					want = s
				} else if _, ok := v.([]any); ok {
					want = "a,b"
				}
				assert.Equal(t, want, p.Ext[slot])
				assert.Equal(t, label, p.Ext[slot+"Label"])
			default:
				key := strings.Fields(strings.SplitN(col, ";", 2)[0])[0]
				want := "42"
				if s, ok := v.(string); ok {
					want = s
				}
				assert.Equal(t, want, p.Ext[key], "CEF column %q", col)
			}
		})
	}
}

func jsonRoundTrip(t testing.TB, v any) any {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

func TestCEFHeaderLimits(t *testing.T) {
	f := defaultCEF(t)
	// Signature ID = category (no action). Inputs at, over, and with the limit inside a multi-byte
	// character or right where an escape would be cut.
	for _, in := range []string{
		strings.Repeat("a", 1023),
		strings.Repeat("a", 1024),
		strings.Repeat("a", 1011) + "€€€€",
		strings.Repeat("|", 1023),
		strings.Repeat("|", 1024),
		strings.Repeat(`\`, 2000),
		strings.Repeat("a", 1021) + "😀",
		strings.Repeat("\n", 1500),
	} {
		r, lr := record(t, []kv{{secevent.KeyCategory, in}}, nil)
		p := parseLine(t, f.Append(nil, r, lr))
		want := expectText(in, modeCEFHeader, 1023)
		assert.Equal(t, want, p.SignatureID)
		assert.LessOrEqual(t, len(p.SignatureID), 1023)
		if len(in) <= 1023 && !strings.Contains(in, "\n") {
			assert.Equal(t, in, p.SignatureID, "a value at the limit is not cut")
		}
	}
	// Name = the alert rule name (limit 512).
	for _, in := range []string{strings.Repeat("n", 512), strings.Repeat("n", 513), strings.Repeat("ß", 300), strings.Repeat(`|\`, 300)} {
		r, lr := record(t, []kv{{secevent.KeyCategory, "alert"}, {secevent.KeyAlertRuleID, "r1"}, {secevent.KeyAlertRuleName, in}}, nil)
		p := parseLine(t, f.Append(nil, r, lr))
		assert.Equal(t, expectText(in, modeCEFHeader, 512), p.Name)
		assert.LessOrEqual(t, len(p.Name), 512)
		if len(in) <= 512 {
			assert.Equal(t, in, p.Name)
		}
	}
	// Vendor, product, version: at the limit accepted whole; over it refused at start-up.
	for _, c := range []struct {
		opt string
		max int
		set func(*CEFConfig, string)
		get func(parsedCEF) string
	}{
		{"device_vendor", 63, func(c *CEFConfig, s string) { c.DeviceVendor = s }, func(p parsedCEF) string { return p.Vendor }},
		{"device_product", 63, func(c *CEFConfig, s string) { c.DeviceProduct = s }, func(p parsedCEF) string { return p.Product }},
		{"device_version", 31, func(c *CEFConfig, s string) { c.DeviceVersion = s }, func(p parsedCEF) string { return p.DevVersion }},
	} {
		cfg := DefaultCEFConfig()
		at := strings.Repeat("|", c.max/2) + strings.Repeat(`\`, c.max-c.max/2)
		c.set(&cfg, at)
		r, lr := record(t, nil, nil)
		p := parseLine(t, mustCEF(t, cfg).Append(nil, r, lr))
		assert.Equal(t, at, c.get(p), c.opt)

		c.set(&cfg, at+"x")
		err := cfg.Validate()
		require.Error(t, err, c.opt)
		assert.Contains(t, err.Error(), c.opt)
		assert.Contains(t, err.Error(), "at most "+strconv.Itoa(c.max))
		_, err = NewCEF(cfg)
		assert.Error(t, err)
	}
}

func TestCEFExtensionLimits(t *testing.T) {
	f := defaultCEF(t)
	cases := []struct {
		key, cef string
		max      int
	}{
		{secevent.KeyAction, "act", 63},
		{secevent.KeyOutcome, "outcome", 63},
		{secevent.KeyUserName, "suser", 1023},
		{secevent.KeyReason, "reason", 1023},
		{secevent.KeyURLPath, "request", 1023},
		{secevent.KeyConfigKey, "cs1", 4000},
		{secevent.KeyConfigChanges, "cs5", 4000},
	}
	for _, c := range cases {
		for _, n := range []int{c.max, c.max + 1} {
			for _, unit := range []string{"x", "é", "=", "\n"} {
				in := strings.Repeat(unit, n/len(unit)+1)[:n]
				if !utf8.ValidString(in) {
					continue
				}
				r, lr := record(t, []kv{{c.key, in}}, nil)
				p := parseLine(t, f.Append(nil, r, lr))
				got := p.Ext[c.cef]
				assert.Equal(t, expectText(in, modeCEFExt, c.max), got, "%s len %d unit %q", c.key, n, unit)
				assert.LessOrEqual(t, len(got), c.max)
				if n == c.max {
					assert.Equal(t, in, got)
				} else {
					assert.True(t, strings.HasSuffix(got, TruncationMarker))
				}
			}
		}
	}
	// The body: msg 1023.
	r, lr := record(t, nil, nil)
	lr.Body().SetStr(strings.Repeat("b", 1024))
	p := parseLine(t, f.Append(nil, r, lr))
	assert.Equal(t, strings.Repeat("b", 1023-len(TruncationMarker))+TruncationMarker, p.Ext["msg"])

	// externalId (40) is an id: never cut, a longer one travels whole in the overflow JSON.
	long := strings.Repeat("i", 41)
	r, lr = record(t, []kv{{secevent.KeyEventID, long}}, nil)
	p = parseLine(t, f.Append(nil, r, lr))
	assert.NotContains(t, p.Ext, "externalId")
	assert.Equal(t, long, overflowOf(t, p)[secevent.KeyEventID])
	r, lr = record(t, []kv{{secevent.KeyEventID, long[:40]}}, nil)
	p = parseLine(t, f.Append(nil, r, lr))
	assert.Equal(t, long[:40], p.Ext["externalId"])
}

func TestCEFSeverityTable(t *testing.T) {
	want := map[plog.SeverityNumber]string{0: "5", 1: "0", 4: "0", 5: "1", 8: "1", 9: "3", 10: "4", 12: "4", 13: "5",
		14: "6", 16: "6", 17: "7", 18: "8", 20: "8", 21: "9", 22: "10", 24: "10", 25: "5", 100: "5"}
	f := defaultCEF(t)
	for n := plog.SeverityNumber(0); n <= 24; n++ {
		r, lr := record(t, []kv{{secevent.KeyCategory, "authentication"}}, nil)
		lr.SetSeverityNumber(n)
		got := parseLine(t, f.Append(nil, r, lr)).Severity
		if w, ok := want[n]; ok {
			assert.Equal(t, w, got, "SeverityNumber %d", n)
		}
		assert.Equal(t, strconv.Itoa(CEFSeverity(n)), got)
	}
	for n, w := range want {
		assert.Equal(t, w, strconv.Itoa(CEFSeverity(n)), "SeverityNumber %d", n)
	}

	// Per-category override; an alert keeps its rule's severity.
	cfg := DefaultCEFConfig()
	cfg.SeverityByCategory = map[string]int{"authentication": 9, "alert": 1}
	fo := mustCEF(t, cfg)
	r, lr := record(t, []kv{{secevent.KeyCategory, "authentication"}}, nil)
	lr.SetSeverityNumber(plog.SeverityNumberInfo)
	assert.Equal(t, "9", parseLine(t, fo.Append(nil, r, lr)).Severity)
	r, lr = record(t, []kv{{secevent.KeyCategory, "network"}}, nil)
	lr.SetSeverityNumber(plog.SeverityNumberInfo)
	assert.Equal(t, "3", parseLine(t, fo.Append(nil, r, lr)).Severity)

	for sev, w := range map[string]string{"low": "3", "medium": "5", "high": "8", "critical": "10"} {
		r, lr := record(t, []kv{{secevent.KeyCategory, "alert"}, {secevent.KeyAlertRuleID, "r"}, {secevent.KeyAlertSeverity, sev}}, nil)
		lr.SetSeverityNumber(plog.SeverityNumberTrace)
		assert.Equal(t, w, parseLine(t, fo.Append(nil, r, lr)).Severity, sev)
	}
	// An alert without a valid rule severity: the override, and the bad value is kept in cs6.
	r, lr = record(t, []kv{{secevent.KeyCategory, "alert"}, {secevent.KeyAlertSeverity, "urgent"}}, nil)
	p := parseLine(t, fo.Append(nil, r, lr))
	assert.Equal(t, "1", p.Severity)
	assert.Equal(t, "urgent", overflowOf(t, p)[secevent.KeyAlertSeverity])
}

func TestCEFTimestamp(t *testing.T) {
	f := defaultCEF(t)
	r, lr := record(t, nil, nil)
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(testTime.Add(time.Hour)))
	assert.Equal(t, strconv.FormatInt(testTime.UnixMilli(), 10), parseLine(t, f.Append(nil, r, lr)).Ext["rt"])

	lr.SetTimestamp(0)
	assert.Equal(t, strconv.FormatInt(testTime.Add(time.Hour).UnixMilli(), 10), parseLine(t, f.Append(nil, r, lr)).Ext["rt"],
		"without Timestamp, rt is ObservedTimestamp")

	lr.SetObservedTimestamp(0)
	assert.NotContains(t, parseLine(t, f.Append(nil, r, lr)).Ext, "rt", "no time at all: no rt, never the time of sending")
}

func TestCEFAddresses(t *testing.T) {
	f := defaultCEF(t)
	for _, c := range []struct{ in, key string }{
		{"192.168.1.100", "src"},
		{"2001:db8::1", "src"},
		{"::ffff:10.0.0.1", "src"},
		{"plc-7.plant-a.example", "shost"},
		{"10.0.0.1:443", "shost"},
		{"fe80::1%eth0", "shost"},
		{"300.1.1.1", "shost"},
		{"1.2.3.4 act=evil", "shost"},
	} {
		r, lr := record(t, []kv{{secevent.KeySourceAddress, c.in}, {secevent.KeyServerAddress, c.in}}, nil)
		p := parseLine(t, f.Append(nil, r, lr))
		dstKey := map[string]string{"src": "dst", "shost": "dhost"}[c.key]
		assert.Equal(t, c.in, p.Ext[c.key], c.in)
		assert.Equal(t, c.in, p.Ext[dstKey], c.in)
		for _, k := range []string{"src", "dst"} {
			if v, ok := p.Ext[k]; ok {
				assert.True(t, isIPForTest(v), "%s holds %q", k, v)
			}
		}
		assert.NotContains(t, p.Ext, "act")
	}
	// url.path and url.full both map to request: the first in the schema (url.path) keeps it, the
	// other travels in the overflow JSON.
	r, lr := record(t, []kv{{secevent.KeyURLFull, "https://h/x?a=b"}, {secevent.KeyURLPath, "/x"}}, nil)
	p := parseLine(t, f.Append(nil, r, lr))
	assert.Equal(t, "/x", p.Ext["request"])
	assert.Equal(t, "https://h/x?a=b", overflowOf(t, p)[secevent.KeyURLFull])
	// A port that is not a port goes to the overflow JSON whole.
	r, lr = record(t, []kv{{secevent.KeySourcePort, int64(70000)}, {secevent.KeyServerPort, "443"}}, nil)
	p = parseLine(t, f.Append(nil, r, lr))
	assert.NotContains(t, p.Ext, "spt")
	assert.Equal(t, "443", p.Ext["dpt"])
	assert.Equal(t, float64(70000), overflowOf(t, p)[secevent.KeySourcePort])
}

func isIPForTest(s string) bool {
	// Independent of netip: only hex digits, '.', ':'.
	if s == "" {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF.:", c) {
			return false
		}
	}
	return true
}

func TestCEFEmptyFields(t *testing.T) {
	f := defaultCEF(t)
	var attrs []kv
	for _, fld := range secevent.Fields {
		if fld.Place == secevent.PlaceAttribute {
			attrs = append(attrs, kv{fld.Key, ""})
		}
	}
	r, lr := record(t, attrs, []kv{{secevent.KeyHostName, ""}, {"custom", ""}})
	lr.SetTimestamp(0)
	line := f.Append(nil, r, lr)
	assert.Equal(t, "CEF:0|Unified OT|otelcol-siem|0.1.0|unknown|security event|5|", string(line))
	p := parseLine(t, line)
	assert.Empty(t, p.Ext)

	// No category, but an EventName: the Signature ID and Name come from it.
	lr.SetEventName("security.network.connect")
	p = parseLine(t, f.Append(nil, r, lr))
	assert.Equal(t, "network.connect", p.SignatureID)
	assert.Equal(t, "security.network.connect", p.Name)
	assert.NotContains(t, p.Ext, "cs6", "the EventName is in the Signature ID, not repeated in cs6")
}

func TestCEFLargeBody(t *testing.T) {
	f := defaultCEF(t)
	body := strings.Repeat("line one=1\\ | end\r\n", 1<<20/19+1)[:1<<20]
	r, lr := record(t, []kv{{secevent.KeyCategory, "operational"}}, nil)
	lr.Body().SetStr(body)
	line := f.Append(nil, r, lr)
	assert.Less(t, len(line), 4096)
	p := parseLine(t, line)
	assert.Equal(t, expectText(body, modeCEFExt, 1023), p.Ext["msg"])

	// A structured body is written as JSON (then cut like any msg).
	r, lr = record(t, nil, nil)
	m := lr.Body().SetEmptyMap()
	m.PutStr("k", "v=1\n")
	m.PutInt("n", 7)
	p = parseLine(t, f.Append(nil, r, lr))
	assert.Equal(t, `{"k":"v=1\n","n":7}`, p.Ext["msg"])
}

const hostile = "a\x00b\rc\nd|e\\f=g\th\x7fi\xffj\u0085k act=evil cs6=x rt=1\\"

// TestCEFHostileEveryField puts NUL, CR, LF, |, \, =, TAB, DEL, invalid UTF-8, NEL and forged
// "key=" text into every field (and a hostile attribute key): the line parses, every field decodes to
// the repaired input, and no key appears that the formatter did not write.
func TestCEFHostileEveryField(t *testing.T) {
	cfg := DefaultCEFConfig()
	cfg.DeviceVendor = "V|\\="
	f := mustCEF(t, cfg)
	var attrs, res []kv
	for _, fld := range secevent.Fields {
		switch fld.Place {
		case secevent.PlaceAttribute:
			if fld.Key == secevent.KeyAlertRuleID || fld.Key == secevent.KeyAlertRuleName || fld.Key == secevent.KeyAlertSeverity {
				continue // alert header fields: TestCEFHostileAlert
			}
			if strings.HasPrefix(fld.Key, "otsec.audit.") {
				// The collector's own audit fields all go to the overflow JSON like the fields
				// below; with them, this record's overflow would exceed the custom-string limit and
				// omit the resource fields checked at the end (TestCEFHostileAuditFields).
				continue
			}
			attrs = append(attrs, kv{fld.Key, hostile})
		case secevent.PlaceResource:
			res = append(res, kv{fld.Key, hostile})
		}
	}
	attrs = append(attrs, kv{"evil key=1 act=x\n", hostile})
	r, lr := record(t, attrs, res)
	lr.Body().SetStr(hostile)
	line := f.Append(nil, r, lr)
	assert.NotContains(t, string(line), "\r")
	assert.NotContains(t, string(line), "\n")
	p := parseLine(t, line)

	assert.Equal(t, "V|\\=", p.Vendor)
	assert.Equal(t, expectText(hostile+"."+hostile, modeCEFHeader, 1023), p.SignatureID)
	wantName := strings.ReplaceAll(hostile, "_", " ")
	assert.Equal(t, expectText(wantName+" "+wantName+" "+wantName, modeCEFHeader, 512), p.Name)
	ext := func(k string, max int) { assert.Equal(t, expectText(hostile, modeCEFExt, max), p.Ext[k], k) }
	ext("msg", 1023)
	ext("cat", 1023)
	ext("act", 63)
	ext("outcome", 63)
	ext("reason", 1023)
	ext("suser", 1023)
	ext("shost", 1023)
	ext("dhost", 1023)
	ext("request", 1023)
	ext("cs1", 4000)
	ext("cs2", 4000)
	ext("cs3", 4000)
	ext("cs4", 4000)
	ext("cs5", 4000)
	ext("deviceProcessName", 1023)
	ext("dvchost", 100)
	ext("deviceExternalId", 255)
	allowed := map[string]bool{"msg": true, "cat": true, "act": true, "outcome": true, "reason": true, "suser": true,
		"shost": true, "dhost": true, "request": true, "deviceProcessName": true, "dvchost": true, "deviceExternalId": true, "rt": true}
	for _, s := range []string{"cs1", "cs2", "cs3", "cs4", "cs5", "cs6"} {
		allowed[s], allowed[s+"Label"] = true, true
	}
	for _, k := range p.Keys {
		assert.True(t, allowed[k], "unexpected key %q", k)
	}
	// Everything else is in the overflow JSON, decoded exactly (JSON escapes are lossless).
	over := overflowOf(t, p)
	want := expectJSONText(hostile)
	for _, k := range []string{secevent.KeyEventID, secevent.KeyFailureCount, secevent.KeyTarget, secevent.KeyURLFull,
		secevent.KeySourcePort, secevent.KeyServerPort, secevent.KeyMFACompleted, secevent.KeyNetworkRange,
		secevent.KeyAlertCount, secevent.KeyAlertFirstSeen, secevent.KeyServiceVersion, "evil key=1 act=x\n"} {
		assert.Equal(t, want, over[k], k)
	}
}

// TestCEFHostileAuditFields: the audit record fields, hostile, go to the overflow JSON and decode
// exactly; nothing else leaks into the extension.
func TestCEFHostileAuditFields(t *testing.T) {
	f := defaultCEF(t)
	attrs := []kv{{secevent.KeyCategory, "audit"}}
	var keys []string
	for _, fld := range secevent.Fields {
		if strings.HasPrefix(fld.Key, "otsec.audit.") {
			attrs = append(attrs, kv{fld.Key, hostile})
			keys = append(keys, fld.Key)
		}
	}
	require.NotEmpty(t, keys)
	r, lr := record(t, attrs, nil)
	line := f.Append(nil, r, lr)
	assert.NotContains(t, string(line), "\n")
	assert.NotContains(t, string(line), "\r")
	p := parseLine(t, line)
	assert.Equal(t, "audit", p.Ext["cat"])
	over := overflowOf(t, p)
	want := expectJSONText(hostile)
	for _, k := range keys {
		assert.Equal(t, want, over[k], k)
	}
}

func TestCEFHostileAlert(t *testing.T) {
	f := defaultCEF(t)
	r, lr := record(t, []kv{{secevent.KeyCategory, "alert"}, {secevent.KeyAlertRuleID, hostile}, {secevent.KeyAlertRuleName, hostile}, {secevent.KeyAlertSeverity, "high"}}, nil)
	p := parseLine(t, f.Append(nil, r, lr))
	assert.Equal(t, expectText(hostile, modeCEFHeader, 1023), p.SignatureID)
	assert.Equal(t, expectText(hostile, modeCEFHeader, 512), p.Name)
	assert.Equal(t, "8", p.Severity)
}

func TestCEFOverflowNothingDropped(t *testing.T) {
	f := defaultCEF(t)
	r, lr := record(t,
		[]kv{{secevent.KeyCategory, "network"}, {"plc.tag", "Line3/Valve7"}, {"n", int64(3)}, {"d", 1.5},
			{"list", []any{"a", int64(1)}}, {"m", map[string]any{"x": "y"}}, {"dup", "attr"}, {"_omitted", "mine"}},
		[]kv{{"dup", "res"}, {"k8s.pod.name", "p-1"}})
	lr.SetEventName("custom.event")
	lr.SetTraceID(pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	lr.SetSpanID(pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8})
	lr.Attributes().PutEmptyBytes("raw").FromRaw([]byte{0, 1, 2})
	p := parseLine(t, f.Append(nil, r, lr))
	assert.Equal(t, map[string]any{
		"event.name": "custom.event", "trace_id": "0102030405060708090a0b0c0d0e0f10", "span_id": "0102030405060708",
		"plc.tag": "Line3/Valve7", "n": float64(3), "d": 1.5, "list": []any{"a", float64(1)}, "m": map[string]any{"x": "y"},
		"dup": "attr", "resource.dup": "res", "k8s.pod.name": "p-1", "attributes._omitted": "mine", "raw": "AAEC",
	}, overflowOf(t, p))

	// Over the slot's 4000 bytes: a long string is cut inside the JSON (which stays valid), a large
	// structure is left out and counted.
	big := strings.Repeat("z", 5000)
	bigList := make([]any, 1000)
	for i := range bigList {
		bigList[i] = "item"
	}
	r, lr = record(t, []kv{{"a", "small"}, {"b", big}, {"c", bigList}, {"d", "after"}}, nil)
	p = parseLine(t, f.Append(nil, r, lr))
	assert.LessOrEqual(t, len(p.Ext["cs6"]), 4000)
	over := overflowOf(t, p)
	assert.Equal(t, "small", over["a"])
	assert.True(t, strings.HasSuffix(over["b"].(string), TruncationMarker))
	assert.True(t, strings.HasPrefix(over["b"].(string), "zzzz"))
	assert.NotContains(t, over, "c")
	assert.Equal(t, float64(2), over["_omitted"], "c and d did not fit")

	// A huge EventName with trace and span ids: the ids are kept, the name is cut, the slot stays
	// within its limit.
	r, lr = record(t, []kv{{secevent.KeyCategory, "network"}}, nil)
	lr.SetEventName(strings.Repeat("e", 10000))
	lr.SetTraceID(pcommon.TraceID{1})
	lr.SetSpanID(pcommon.SpanID{2})
	p = parseLine(t, f.Append(nil, r, lr))
	assert.LessOrEqual(t, len(p.Ext["cs6"]), 4000)
	over = overflowOf(t, p)
	assert.Equal(t, "01000000000000000000000000000000", over["trace_id"])
	assert.Equal(t, "0200000000000000", over["span_id"])
	assert.True(t, strings.HasSuffix(over["event.name"].(string), TruncationMarker))
}

// More unmapped fields than the formatter keeps inline: the spill path keeps every one, in the
// record's order (record attributes, then resource attributes).
func TestCEFOverflowManyFields(t *testing.T) {
	f := defaultCEF(t)
	var attrs, resAttrs []kv
	want := "{"
	for i := 0; i < 40; i++ {
		k := "plc.tag" + strconv.Itoa(i)
		attrs = append(attrs, kv{k, int64(i)})
		want += `"` + k + `":` + strconv.Itoa(i) + ","
	}
	for i := 0; i < 10; i++ {
		k := "res.k" + strconv.Itoa(i)
		resAttrs = append(resAttrs, kv{k, "v" + strconv.Itoa(i)})
		want += `"` + k + `":"v` + strconv.Itoa(i) + `",`
	}
	want = want[:len(want)-1] + "}"
	r, lr := record(t, attrs, resAttrs)
	p := parseLine(t, f.Append(nil, r, lr))
	assert.Equal(t, want, p.Ext["cs6"])
}

// The performance budget is at most one allocation per event; the seed's events, the alert record
// with its dozen overflow fields and the host-name addresses included, take none in CEF and JSON.
func TestSeedEventsDoNotAllocate(t *testing.T) {
	f, j := defaultCEF(t), NewJSON()
	buf := make([]byte, 0, 8192)
	for i, e := range seedEvents() {
		res, lr := e.build(i)
		allocs := testing.AllocsPerRun(20, func() { buf = f.Append(buf[:0], res, lr) })
		assert.Zero(t, allocs, "CEF %s", e.name)
		allocs = testing.AllocsPerRun(20, func() { buf = j.Append(buf[:0], res, lr) })
		assert.Zero(t, allocs, "JSON %s", e.name)
	}
}

func TestCEFCustomFields(t *testing.T) {
	cfg := DefaultCEFConfig()
	cfg.CustomFields = []CustomField{
		{Key: "plc.tag", Slot: "cs1", Label: "plcTag"},
		{Key: secevent.KeyUserName, Slot: "cs2", Label: "account=name"},
		{Key: "retries", Slot: "cn2", Label: "retries"},
	}
	f := mustCEF(t, cfg)
	r, lr := record(t, []kv{{"plc.tag", "L3"}, {secevent.KeyUserName, "bob"}, {"retries", "12"}, {secevent.KeyConfigKey, "k"}}, nil)
	p := parseLine(t, f.Append(nil, r, lr))
	assert.Equal(t, "L3", p.Ext["cs1"])
	assert.Equal(t, "plcTag", p.Ext["cs1Label"])
	assert.Equal(t, "bob", p.Ext["cs2"])
	assert.Equal(t, "account=name", p.Ext["cs2Label"])
	assert.NotContains(t, p.Ext, "suser", "a custom slot replaces the default key")
	assert.Equal(t, "12", p.Ext["cn2"])
	assert.Equal(t, "k", overflowOf(t, p)[secevent.KeyConfigKey], "no slot configured: overflow")

	// A non-number in a cn slot goes to the overflow JSON.
	r, lr = record(t, []kv{{"retries", "many"}}, nil)
	p = parseLine(t, f.Append(nil, r, lr))
	assert.NotContains(t, p.Ext, "cn2")
	assert.Equal(t, "many", overflowOf(t, p)["retries"])
}

func TestCEFConfigValidate(t *testing.T) {
	def := DefaultCEFConfig()
	require.NoError(t, def.Validate())
	assert.Equal(t, "Unified OT", def.DeviceVendor)
	assert.Equal(t, "otelcol-siem", def.DeviceProduct)
	assert.Equal(t, "0.1.0", def.DeviceVersion)
	assert.Equal(t, "cs6", def.OverflowSlot)
	assert.Equal(t, "otsecExtra", def.OverflowLabel)
	assert.ElementsMatch(t, []CustomField{
		{secevent.KeyFailureCount, "cn1", "failureCount"}, {secevent.KeyUserRoles, "cs4", "userRoles"},
		{secevent.KeyPermission, "cs3", "permission"}, {secevent.KeyConfigKey, "cs1", "configKey"},
		{secevent.KeyConfigChanges, "cs5", "changes"}, {secevent.KeyCredentialName, "cs2", "credentialName"},
	}, def.CustomFields)

	for _, c := range []struct {
		mut  func(*CEFConfig)
		want string
	}{
		{func(c *CEFConfig) { c.DeviceVendor = "" }, "device_vendor must not be empty"},
		{func(c *CEFConfig) { c.DeviceProduct = "a\nb" }, "device_product must be valid UTF-8"},
		{func(c *CEFConfig) { c.DeviceVersion = "\xff" }, "device_version must be valid UTF-8"},
		{func(c *CEFConfig) { c.SeverityByCategory = map[string]int{"network": 11} }, "severity_by_category::network is 11"},
		{func(c *CEFConfig) { c.SeverityByCategory = map[string]int{"netwrk": 3} }, `"netwrk" is not a schema category`},
		{func(c *CEFConfig) { c.OverflowSlot = "cn1" }, "overflow_slot"},
		{func(c *CEFConfig) { c.OverflowLabel = "" }, "overflow_label"},
		{func(c *CEFConfig) { c.CustomFields = append(c.CustomFields, CustomField{"x", "cs7", "l"}) }, `custom_fields[6]::slot "cs7"`},
		{func(c *CEFConfig) { c.CustomFields = append(c.CustomFields, CustomField{"x", "cs1", "l"}) }, "slot cs1 is already used by custom_fields[3]"},
		{func(c *CEFConfig) { c.CustomFields = append(c.CustomFields, CustomField{"x", "cs6", "l"}) }, "slot cs6 is the overflow slot"},
		{func(c *CEFConfig) {
			c.CustomFields = append(c.CustomFields, CustomField{secevent.KeyConfigKey, "cs6", "l"})
		}, `key "otsec.config.key" is already mapped`},
		{func(c *CEFConfig) { c.CustomFields = []CustomField{{"", "cs1", "l"}} }, "custom_fields[0]::key must not be empty"},
		{func(c *CEFConfig) { c.CustomFields = []CustomField{{"Body", "cs1", "l"}} }, "log record field"},
		{func(c *CEFConfig) { c.CustomFields = []CustomField{{"x", "cs1", ""}} }, "custom_fields[0]::label"},
	} {
		cfg := DefaultCEFConfig()
		c.mut(&cfg)
		err := cfg.Validate()
		if assert.Error(t, err, c.want) {
			assert.Contains(t, err.Error(), c.want)
		}
	}
}

func TestTruncateUTF8(t *testing.T) {
	for _, c := range []struct {
		in     string
		max    int
		marker string
		want   string
		cut    bool
	}{
		{"hello", 5, "~", "hello", false},
		{"hello!", 5, "~", "hell~", true},
		{"ab€", 4, "~", "ab~", true},      // € is 3 bytes: not split
		{"a€€", 7, "", "a€€", false},      // fits
		{"a€€", 6, "", "a€", true},        // cut before the second €
		{`ab\\cd`, 5, "~", `ab\\~`, true}, // an escape pair is kept whole
		{`ab\cd`, 4, "~", `ab~`, true},    // a lone backslash at the cut is dropped
		{`abcdef`, 3, "[truncated]", "[tr", true},
		{"", 0, "~", "", false},
	} {
		got, cut := TruncateUTF8([]byte("prefix:"), []byte(c.in), c.max, c.marker)
		assert.Equal(t, "prefix:"+c.want, string(got), "%q max %d", c.in, c.max)
		assert.Equal(t, c.cut, cut)
		assert.LessOrEqual(t, len(got)-len("prefix:"), c.max)
		assert.True(t, utf8.Valid(got))
	}
}

// TestCEFConcurrent runs one formatter from many goroutines (go test -race finds shared state).
func TestCEFConcurrent(t *testing.T) {
	f := defaultCEF(t)
	events := seedEvents()
	want := make([]string, len(events))
	for i, e := range events {
		r, lr := e.build(i)
		want[i] = string(f.Append(nil, r, lr))
	}
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			var buf []byte
			for n := 0; n < 50; n++ {
				for i, e := range events {
					r, lr := e.build(i)
					buf = f.Append(buf[:0], r, lr)
					if string(buf) != want[i] {
						t.Errorf("event %d differs under concurrency", i)
						return
					}
				}
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}
