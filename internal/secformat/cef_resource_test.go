package secformat

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// uncachedCEF is the formatter with the resource cache off: every record collects its resource,
// the way a formatter whose resource part depends on the record does.
func uncachedCEF(t testing.TB, cfg CEFConfig) *CEF {
	f := mustCEF(t, cfg)
	f.resCacheable = false
	return f
}

// resourceCases are resources that exercise every part of a rendered resource: pairs, overflow
// entries of every scalar type, characters both escapers handle, a value cut by the overflow
// budget, names that collide with the record's, and a map value (never rendered).
func resourceCases() map[string][]kv {
	long := strings.Repeat("x=y\\", 1500) // 6000 bytes, over the overflow budget, with CEF specials
	return map[string][]kv{
		"seed": {{secevent.KeyServiceName, "unified-ot-connector"}, {secevent.KeyServiceVersion, "1.4.2"},
			{secevent.KeyHostName, "edge-01"}, {secevent.KeyDeploymentEnvironment, "production"},
			{secevent.KeySiteName, "plant-a"}, {ResourceProcessPID, int64(4242)}},
		"hostile": {{secevent.KeyServiceName, "svc=a\\b\nc|d"}, {secevent.KeyHostName, "h\x00st\u0085"},
			{"odd\"key=", "v\"al=ue\t\xff"}, {secevent.KeySiteName, strings.Repeat("s", 300)}},
		"scalars": {{"r.int", int64(-7)}, {"r.double", 2.5}, {"r.nan", math.NaN()}, {"r.inf", math.Inf(-1)},
			{"r.bool", true}, {"r.empty", ""}, {secevent.KeyHostName, int64(12)}},
		"long":     {{"r.long", long}, {"r.after", "still here"}, {"r.n", int64(1)}},
		"collide":  {{"plc.tag", "from the resource"}, {"event.name", "res"}, {"trace_id", "res"}, {"_omitted", int64(3)}},
		"map":      {{"r.map", map[string]any{"a": "b"}}, {secevent.KeyHostName, "edge-09"}},
		"empty":    {},
		"nameonly": {{secevent.KeyHostName, "edge-02"}},
	}
}

// recordCases are records to pair with them: a plain one, one whose own overflow entries collide
// with the resource's names, and one that fills the overflow budget before the resource's turn.
func recordCases() map[string][]kv {
	var big []kv
	for i := 0; i < 9; i++ {
		big = append(big, kv{"plc.big" + strconv.Itoa(i), strings.Repeat("b", 450)})
	}
	return map[string][]kv{
		"login": {{secevent.KeyCategory, "authentication"}, {secevent.KeyAction, "login"},
			{secevent.KeyOutcome, "failure"}, {secevent.KeyUserName, "alice@example.com"}},
		"collide": {{secevent.KeyCategory, "network"}, {"plc.tag", "from the record"},
			{secevent.KeyServiceVersion, "record's"}, {"r.int", "record's"}},
		"full": big,
		"none": nil,
	}
}

// The rendered resource gives the very bytes collecting it per record gives: on the record that
// renders it, on the records that reuse it, and in any order of resources and records.
func TestCEFResourceRenderSameOutput(t *testing.T) {
	cfgs := map[string]CEFConfig{"default": DefaultCEFConfig()}
	custom := DefaultCEFConfig()
	// Resource schema keys in custom slots: pairs with labels, rendered with the resource.
	custom.CustomFields = []CustomField{{Key: secevent.KeyServiceVersion, Slot: "cs1", Label: "svc=Ver"},
		{Key: secevent.KeyDeploymentEnvironment, Slot: "cs2", Label: "env"}}
	cfgs["custom"] = custom
	// A key that is not the schema's is read from the record, else from the resource: the
	// resource's part then depends on the record, and is never rendered apart.
	shared := DefaultCEFConfig()
	shared.CustomFields = []CustomField{{Key: "r.int", Slot: "cn2", Label: "rInt"}}
	assert.False(t, mustCEF(t, shared).resCacheable)
	for name, cfg := range cfgs {
		t.Run(name, func(t *testing.T) {
			shared, ref := mustCEF(t, cfg), uncachedCEF(t, cfg)
			require.True(t, shared.resCacheable)
			for round := 0; round < 3; round++ {
				for rn, resAttrs := range resourceCases() {
					for ln, attrs := range recordCases() {
						res, lr := record(t, attrs, resAttrs)
						want := string(ref.Append(nil, res, lr))
						// A new formatter renders the resource at the first record and reuses it
						// for the next; the shared one sees resources and records in turn.
						fresh := mustCEF(t, cfg)
						for i := 0; i < 3; i++ {
							assert.Equal(t, want, string(fresh.Append(nil, res, lr)), "resource %s, record %s, call %d", rn, ln, i)
							assert.Equal(t, want, string(shared.Append(nil, res, lr)), "shared: resource %s, record %s, call %d", rn, ln, i)
						}
						if rn != "map" {
							assert.NotNil(t, fresh.res.Load(), "resource %s rendered", rn)
						}
					}
				}
			}
		})
	}
}

// A resource changed in place after it was rendered is noticed: the content is compared, not the
// object.
func TestCEFResourceRenderSeesChanges(t *testing.T) {
	f, ref := defaultCEF(t), uncachedCEF(t, DefaultCEFConfig())
	res, lr := seedEvents()[1].build(1)
	for i := 0; i < 3; i++ {
		f.Append(nil, res, lr)
	}
	for _, change := range []func(m pcommon.Map){
		func(m pcommon.Map) { m.PutStr(secevent.KeyHostName, "edge-02") },
		func(m pcommon.Map) { m.PutInt(ResourceProcessPID, 4243) },
		func(m pcommon.Map) { m.PutDouble(ResourceProcessPID, 4243) },
		func(m pcommon.Map) { m.PutStr("added", "later") },
		func(m pcommon.Map) { m.Remove(secevent.KeyServiceVersion) },
		func(m pcommon.Map) { m.PutEmpty(secevent.KeySiteName) },
		func(m pcommon.Map) { m.PutStr(secevent.KeySiteName, "") },
		func(m pcommon.Map) { m.PutStr(secevent.KeySiteName, "plant-b") },
		func(m pcommon.Map) { m.PutEmptyMap("nested").PutStr("k", "v") },
	} {
		change(res.Attributes())
		want := string(ref.Append(nil, res, lr))
		for i := 0; i < 2*missesPerRender; i++ { // the changed resource is rendered, then reused
			require.Equal(t, want, string(f.Append(nil, res, lr)))
		}
	}
}

// Records that each bring another resource (or alternate between two) stay within the budget of
// one allocation per event: renderings are paid for by the records before them.
func TestCEFResourceRenderAllocationBudget(t *testing.T) {
	f := defaultCEF(t)
	const n = 64
	var recs []func(dst []byte) []byte
	for i := 0; i < n; i++ {
		res, lr := seedEvents()[i%15].build(i % 15)
		res.Attributes().PutStr(secevent.KeyHostName, "edge-"+strconv.Itoa(i))
		recs = append(recs, func(dst []byte) []byte { return f.Append(dst, res, lr) })
	}
	buf := make([]byte, 0, 4096)
	for name, order := range map[string]func(i int) int{
		"every record another resource": func(i int) int { return i % n },
		"two resources alternating":     func(i int) int { return i % 2 },
	} {
		i := 0
		allocs := testing.AllocsPerRun(10*n, func() {
			buf = recs[order(i)](buf[:0])
			i++
		})
		assert.LessOrEqual(t, allocs, 1.0, name)
	}
}

func TestKeyTable(t *testing.T) {
	schema := map[string]uint8{}
	for i, fld := range secevent.Fields {
		schema[fld.Key] = uint8(i)
	}
	// Keys alike in the first and last 8 bytes and the length: no multiplier separates them, so the
	// table probes.
	alike := map[string]uint8{"abcdefgh.1.stuvwxyz": 1, "abcdefgh.2.stuvwxyz": 2, "abcdefgh.3.stuvwxyz": 3, "x": 4, "": 5}
	for name, m := range map[string]map[string]uint8{"schema": schema, "alike": alike, "none": {}} {
		tbl := newKeyTable(m)
		if name == "schema" {
			assert.True(t, tbl.perfect, "the schema's keys get a perfect hash")
		}
		if name == "alike" {
			assert.False(t, tbl.perfect)
		}
		for k, v := range m {
			got, ok := tbl.get(k)
			assert.True(t, ok, "%s: %q", name, k)
			assert.Equal(t, v, got, "%s: %q", name, k)
		}
		// Misses: near keys, and keys whose first and last 8 bytes and length are a known key's.
		misses := []string{"user.nam", "user.namf", "abcdefgh.4.stuvwxyz", "y", "event.category.x", strings.Repeat("z", 100)}
		for k := range m {
			if len(k) > 16 {
				misses = append(misses, k[:8]+strings.Repeat("?", len(k)-16)+k[len(k)-8:])
			}
		}
		for _, miss := range misses {
			if _, in := m[miss]; in {
				continue
			}
			_, ok := tbl.get(miss)
			assert.False(t, ok, "%s: %q", name, miss)
		}
		if name != "alike" {
			_, ok := tbl.get("")
			assert.False(t, ok, "%s: empty key", name)
		}
	}
}

// FuzzCEFResourceRender: whatever the resource and the record hold, a rendered resource gives the
// bytes collecting it per record gives: on the record that renders it, on the next, and after the
// resource changed (its first value replaced by the second) and changed back.
func FuzzCEFResourceRender(f *testing.F) {
	f.Add(secevent.KeyHostName, "edge-01", "service.version", "1.4.2", "plc.tag", "v", int64(4242), "body")
	f.Add("a=b", "x\\y\n", "a=b", "\xff\x00", "a=b", "=", int64(-1), "")
	f.Add("_omitted", strings.Repeat("z", 5000), "trace_id", "t", "event.name", "n", int64(0), "b|c")
	f.Add("r", "", "s", "x", "", "", int64(1), "")
	shared, ref := defaultCEF(f), uncachedCEF(f, DefaultCEFConfig())
	f.Fuzz(func(t *testing.T, rk1, rv1, rk2, rv2, lk, lv string, n int64, body string) {
		attrs := []kv{{secevent.KeyCategory, "network"}, {lk, lv}}
		variants := [][]kv{
			{{rk1, rv1}, {rk2, rv2}, {secevent.KeySiteName, rv2}, {"r.n", n}},
			{{rk1, rv2}, {rk2, rv2}, {secevent.KeySiteName, rv2}, {"r.n", n}},
		}
		fresh := defaultCEF(t)
		for _, v := range []int{0, 1, 0} {
			res, lr := record(t, attrs, variants[v])
			lr.Body().SetStr(body)
			want := string(ref.Append(nil, res, lr))
			for i := 0; i < 2*missesPerRender; i++ { // rendered within the misses, then reused
				if got := string(fresh.Append(nil, res, lr)); got != want {
					t.Fatalf("variant %d, call %d:\n got %q\nwant %q", v, i, got, want)
				}
			}
			if got := string(shared.Append(nil, res, lr)); got != want {
				t.Fatalf("shared formatter, variant %d:\n got %q\nwant %q", v, got, want)
			}
		}
	})
}
