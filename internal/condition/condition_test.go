package condition

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// record builds a log record with string attributes (and the given extras).
func record(attrs map[string]any) (pcommon.Resource, plog.LogRecord) {
	res := pcommon.NewResource()
	res.Attributes().PutStr(secevent.KeyServiceName, "unified-ot-connector")
	lr := plog.NewLogRecord()
	if err := lr.Attributes().FromRaw(attrs); err != nil {
		panic(err)
	}
	return res, lr
}

// The seed's four alert rule conditions, verbatim, against events as the schema carries them.
func TestSeedAlertConditions(t *testing.T) {
	tests := []struct {
		cond     string
		wantExpr string
		match    map[string]any
		noMatch  []map[string]any
	}{
		{
			cond:     "event_type=authentication AND result=failure",
			wantExpr: `attributes["event.category"] == "authentication" && attributes["event.outcome"] == "failure"`,
			match:    map[string]any{"event.category": "authentication", "event.outcome": "failure", "user.name": "a@x"},
			noMatch: []map[string]any{
				{"event.category": "authentication", "event.outcome": "success"},
				{"event.category": "authorization", "event.outcome": "failure"},
				{"event.outcome": "failure"},
			},
		},
		{
			cond:     "event_type=availability AND action=circuit_breaker_open",
			wantExpr: `attributes["event.category"] == "availability" && attributes["event.action"] == "circuit_breaker_open"`,
			match:    map[string]any{"event.category": "availability", "event.action": "circuit_breaker_open", "event.outcome": "degraded"},
			noMatch:  []map[string]any{{"event.category": "network", "event.action": "circuit_breaker_open"}},
		},
		{
			cond:     "event_type=authorization AND result=denied",
			wantExpr: `attributes["event.category"] == "authorization" && attributes["event.outcome"] == "denied"`,
			match:    map[string]any{"event.category": "authorization", "event.outcome": "denied"},
			noMatch:  []map[string]any{{"event.category": "authorization", "event.outcome": "success"}},
		},
		{
			cond:     "event_type=configuration AND action=modify",
			wantExpr: `attributes["event.category"] == "configuration" && attributes["event.action"] == "modify"`,
			match:    map[string]any{"event.category": "configuration", "event.action": "modify"},
			noMatch:  []map[string]any{{"event.category": "configuration", "event.action": "modify_config"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			c, err := Compile(tt.cond)
			require.NoError(t, err)
			assert.Equal(t, tt.cond, c.Source())
			assert.Equal(t, tt.wantExpr, c.Expression())
			res, lr := record(tt.match)
			ok, err := c.Match(res, lr)
			require.NoError(t, err)
			assert.True(t, ok)
			for _, m := range tt.noMatch {
				res, lr := record(m)
				ok, err := c.Match(res, lr)
				require.NoError(t, err)
				assert.False(t, ok, "%v", m)
			}
		})
	}
}

func TestShorthandTranslation(t *testing.T) {
	tests := []struct{ src, want string }{
		// seed result words are normalised to schema outcomes
		{"result=degraded_service", `attributes["event.outcome"] == "degraded"`},
		{"result=repeated_failure", `attributes["event.outcome"] == "failure"`},
		{"result=weird", `attributes["event.outcome"] == "weird"`},
		// '=' inside a value (the seed's split('=') broke on it)
		{"changes={\"a\":1}", `attributes["otsec.config.changes"] == "{\"a\":1}"`},
		{"token=a=b=c", `attributes["token"] == "a=b=c"`},
		{"x = a==b", `attributes["x"] == "a==b"`},
		// quoted values
		{`message="login AND logout"`, `body == "login AND logout"`},
		{`user='  spaced  ' AND action=login`, `attributes["user.name"] == "  spaced  " && attributes["event.action"] == "login"`},
		{`msg="tab\there \"q\""`, `body == "tab\there \"q\""`},
		{`user=""`, `attributes["user.name"] == ""`},
		// seed aliases and schema places
		{"user=alice AND source_ip=10.0.0.1", `attributes["user.name"] == "alice" && attributes["source.address"] == "10.0.0.1"`},
		{"source=unified-ot-connector", `resource["service.name"] == "unified-ot-connector"`},
		{"hostname=edge-01", `resource["host.name"] == "edge-01"`},
		{"event.category=network", `attributes["event.category"] == "network"`},
		// typed schema fields
		{"failure_count=5", `attributes["event.failure_count"] == 5`},
		{"mfa_completed=true", `attributes["otsec.auth.mfa_completed"] == true`},
		// severity by level name
		{"severity=WARNING", `(severity_number >= 13 && severity_number <= 16)`},
		{"event_name=security.authentication.login", `event_name == "security.authentication.login"`},
		// value with lower-case 'and' is not a separator (expr-lang's operator is not the seed's)
		{"message=salt and pepper", `body == "salt and pepper"`},
		{"  a=b   AND   c=d  ", `attributes["a"] == "b" && attributes["c"] == "d"`},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			c, err := Compile(tt.src)
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.Expression())
			assert.NotNil(t, c.fast, "a shorthand must take the direct path")
		})
	}
}

func TestShorthandValuesMatch(t *testing.T) {
	res, lr := record(map[string]any{"event.outcome": "degraded", "otsec.config.changes": `{"k":"v=w"}`, "event.failure_count": int64(5)})
	lr.Body().SetStr("login AND logout")
	lr.SetSeverityNumber(plog.SeverityNumberWarn2)
	for _, src := range []string{
		"result=degraded_service",
		`changes={"k":"v=w"}`,
		`message="login AND logout"`,
		"failure_count=5",
		"severity=warning AND result=degraded",
		"source=unified-ot-connector",
	} {
		c, err := Compile(src)
		require.NoError(t, err, src)
		ok, err := c.Match(res, lr)
		require.NoError(t, err, src)
		assert.True(t, ok, src)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		src     string
		line    int
		column  int
		problem string
	}{
		{"event_type=authentication AND", 1, 27, "expected a condition after AND"},
		{"event_type=authentication AND result", 1, 37, "expected '=' after key \"result\""},
		{`user="alice`, 1, 6, "unterminated quoted value"},
		{`user="alice" bob`, 1, 14, "expected AND or the end after the quoted value"},
		{"user=", 1, 6, "empty value"},
		{"failure_count=many", 1, 15, "event.failure_count is an integer"},
		{"mfa_completed=maybe", 1, 15, "true or false"},
		{"severity=LOUD", 1, 10, "unknown severity"},
		{"a=b AND =c", 1, 9, "expected a key"},
		{"timestamp=1", 1, 1, "cannot be compared in the shorthand"},
		{"msg=a\xffb", 1, 5, "not valid UTF-8"},
		{`attributes["a"] == `, 1, 19, "unexpected token EOF"},
		{`attributes["a"] === "b"`, 1, 19, "unexpected token Operator(\"=\")"},
		{`body + 1`, 1, 6, "invalid operation"},
		{`1 + 2`, 1, 1, "must be a boolean expression"},
		{`body`, 1, 1, "must be a boolean expression"},
		{`severity_number`, 1, 1, "must be a boolean expression"},
		{`attributes`, 1, 1, "can only be indexed"},
		{`len(resource) > 0`, 1, 5, "can only be indexed"},
		{`unknown_name == 1`, 1, 1, "unknown name unknown_name"},
		{`attr("a", "b") == 1`, 1, 1, "takes one argument"},
		{`filter(["a"], # == "a") != nil`, 1, 1, "unknown name filter"},
		{`all([1], # > 0)`, 1, 1, "unknown name all"},
		{`repeat("a", 1000000) == ""`, 1, 1, "unknown name repeat"},
		{`1..1000000 != nil`, 1, 2, "range operator"},
		{"body == \"a\" &&\n  body ==", 2, 9, "unexpected token EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			_, err := Compile(tt.src)
			require.Error(t, err)
			var ce *Error
			require.True(t, errors.As(err, &ce), "%T: %v", err, err)
			assert.Contains(t, ce.Msg, tt.problem)
			assert.Equal(t, tt.line, ce.Line, "line in %v", err)
			assert.Equal(t, tt.column, ce.Column, "column in %v", err)
			assert.Contains(t, err.Error(), "column ")
		})
	}
}

func TestLimits(t *testing.T) {
	long := `body == "` + strings.Repeat("x", MaxSourceLen) + `"`
	_, err := Compile(long)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "at most 4096")

	// Under the length limit but over the node budget.
	terms := make([]string, 0, 300)
	for range 300 {
		terms = append(terms, "1==1")
	}
	_, err = Compile(strings.Join(terms, "&&"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exceeds maximum allowed nodes")
}

// A condition over attributes a record lacks is false (or true for !=), never a panic or an error.
func TestMissingAttributes(t *testing.T) {
	res, lr := record(map[string]any{"present": "x"})
	tests := map[string]bool{
		`attributes["missing"] == "x"`:                                    false,
		`attributes["missing"] != "x"`:                                    true,
		`attributes["missing"] == nil`:                                    true,
		`attributes["missing"] in ["a", "b"]`:                             false,
		`attributes["missing"] > 3`:                                       false,
		`attributes["missing"] <= 3`:                                      false,
		`3 < attributes["missing"]`:                                       false,
		`attributes["missing"] startsWith "a"`:                            false,
		`attributes["missing"] endsWith "a"`:                              false,
		`attributes["missing"] contains "a"`:                              false,
		`attributes["missing"] matches "^a"`:                              false,
		`not (attributes["missing"] matches "^a")`:                        true,
		`attributes["missing"]`:                                           false,
		`!attributes["missing"]`:                                          true,
		`attributes["missing"] && true`:                                   false,
		`resource["missing"] == "x"`:                                      false,
		`attr("missing") == "x" || attr("present") == "x"`:                true,
		`"missing" in attributes`:                                         false,
		`"present" in attributes`:                                         true,
		`"service.name" in resource`:                                      true,
		`(attributes["missing"] ?? 0) + 1 == 1`:                           true,
		`attributes[attr("present")] == nil`:                              true,
		`attributes[attr("present")] > 1`:                                 false,
		`missing_key=value`:                                               false,
		`body == ""`:                                                      true,
		`severity_number == 0 && severity_text == "" && event_name == ""`: true,
	}
	for src, want := range tests {
		t.Run(src, func(t *testing.T) {
			c, err := Compile(src)
			require.NoError(t, err)
			got, err := c.Match(res, lr)
			require.NoError(t, err)
			assert.Equal(t, want, got)
			if c.fast != nil {
				got, err := c.runVM(res, lr)
				require.NoError(t, err)
				assert.Equal(t, want, got, "VM path")
			}
		})
	}
}

// A runtime type error is reported, and the result is false.
func TestRuntimeErrors(t *testing.T) {
	res, lr := record(map[string]any{"s": "text", "n": int64(3)})
	for _, src := range []string{
		`attributes["s"] > 3`,
		`attributes["n"] startsWith "a"`,
		`attributes["s"] + 1 == 2`,
		`attributes["s"] < 1.5 || true`,
	} {
		t.Run(src, func(t *testing.T) {
			c, err := Compile(src)
			require.NoError(t, err)
			got, err := c.Match(res, lr)
			assert.Error(t, err)
			assert.False(t, got)
		})
	}
}

// The direct evaluator must agree with the expr-lang VM on every expression it accepts.
func TestFastMatchesVM(t *testing.T) {
	exprs := []string{
		`attributes["s"] == "text"`, `attributes["s"] != "text"`, `attributes["s"] == 3`,
		`attributes["n"] == 3`, `attributes["n"] == 3.0`, `attributes["f"] == 2.5`, `attributes["f"] == 2`,
		`attributes["i2"] == 2.0`, `attributes["b"] == true`, `attributes["b"] == "true"`, `attributes["b"]`,
		`attributes["n"] > 2`, `attributes["n"] >= 3`, `attributes["n"] < 3.5`, `attributes["f"] <= 2.5`,
		`2 < attributes["n"]`, `attributes["s"] > "a"`, `attributes["s"] < "a"`,
		`attributes["s"] in ["a", "text"]`, `attributes["n"] in [1, 2, 3]`, `attributes["n"] not in [3]`,
		`attributes["s"] startsWith "te"`, `attributes["s"] endsWith "xt"`, `attributes["s"] contains "ex"`,
		`attributes["s"] matches "^t.x"`, `attributes["list"] == nil`, `attributes["list"] == "x"`,
		`attributes["map"] != nil`, `attributes["bytes"] == "x"`, `attributes["empty"] == nil`,
		`body == "hello world"`, `body contains "world"`, `body startsWith "x"`,
		`severity_number >= 13`, `severity_number == 14`, `severity_text == "WARN2"`,
		`event_name == "security.network.connect"`, `resource["service.name"] == "unified-ot-connector"`,
		`resource["host.name"] == nil`, `"s" in attributes`, `"host.name" in resource`,
		`!(attributes["s"] == "text") || attributes["n"] == 3`, `attributes["s"] == "text" and not (attributes["n"] == 4)`,
		`true`, `false`, `attributes["s"] == "text" && (attributes["n"] == 4 || attributes["b"] == true)`,
		"result=failure AND event_type=network", "severity=WARN AND message=\"hello world\"",
	}
	res, lr := record(map[string]any{
		"s": "text", "n": int64(3), "f": 2.5, "i2": int64(2), "b": true,
		"list": []any{"a"}, "map": map[string]any{"k": "v"}, "bytes": []byte("x"), "empty": nil,
		"event.outcome": "failure", "event.category": "network",
	})
	lr.Body().SetStr("hello world")
	lr.SetSeverityNumber(plog.SeverityNumberWarn2)
	lr.SetSeverityText("WARN2")
	lr.SetEventName("security.network.connect")
	fastCount := 0
	for _, src := range exprs {
		c, err := Compile(src)
		require.NoError(t, err, src)
		if c.fast == nil {
			t.Errorf("%s: expected the direct evaluator", src)
			continue
		}
		fastCount++
		fv, ferr := c.fast.eval(res, lr)
		vv, verr := c.runVM(res, lr)
		assert.Equal(t, verr != nil, ferr != nil, "%s: fast err %v, vm err %v", src, ferr, verr)
		assert.Equal(t, vv, fv, "%s", src)
	}
	assert.Equal(t, len(exprs), fastCount)
}

func TestGeneralExpressions(t *testing.T) {
	res, lr := record(map[string]any{"event.category": "authentication", "user.name": "Alice@Example.com", "roles": []any{"admin", "ops"}})
	lr.Body().SetStr("Failed login attempt for alice")
	lr.SetSeverityNumber(plog.SeverityNumberWarn)
	tests := map[string]bool{
		`lower(attributes["user.name"]) endsWith "@example.com"`:          true,
		`"admin" in attributes["roles"]`:                                  true,
		`len(attributes["roles"]) == 2`:                                   true,
		`body matches "(?i)failed\\s+login" && severity_number >= 13`:     true,
		`let u = attr("user.name"); u != nil && indexOf(u, "@") > 0`:      true,
		`attributes["event.category"] == "authentication" ? true : false`: true,
		`upper(body) contains "LOGOUT"`:                                   false,
	}
	for src, want := range tests {
		c, err := Compile(src)
		require.NoError(t, err, src)
		got, err := c.Match(res, lr)
		require.NoError(t, err, src)
		assert.Equal(t, want, got, src)
	}
}

func TestConcurrentMatch(t *testing.T) {
	shorthand := MustCompile("event_type=authentication AND result=failure")
	general := MustCompile(`lower(attributes["user.name"]) == "alice" && attributes["event.outcome"] == "failure"`)
	require.Nil(t, general.fast)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outcome := "failure"
			if g%2 == 1 {
				outcome = "success"
			}
			res, lr := record(map[string]any{"event.category": "authentication", "event.outcome": outcome, "user.name": "ALICE"})
			for range 500 {
				a, err1 := shorthand.Match(res, lr)
				b, err2 := general.Match(res, lr)
				if err1 != nil || err2 != nil || a != (g%2 == 0) || b != (g%2 == 0) {
					t.Errorf("goroutine %d: %v %v %v %v", g, a, b, err1, err2)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestMatchDoesNotAllocateOnDirectPath(t *testing.T) {
	c := MustCompile("event_type=authentication AND result=failure AND user=alice")
	res, lr := record(map[string]any{"event.category": "authentication", "event.outcome": "failure", "user.name": "alice"})
	allocs := testing.AllocsPerRun(100, func() {
		if ok, _ := c.Match(res, lr); !ok {
			panic("no match")
		}
	})
	assert.Zero(t, allocs)
}

func TestPrefilter(t *testing.T) {
	tests := []struct {
		src  string
		want *Prefilter
	}{
		{"appname=sshd AND msg_id=AUTH", &Prefilter{Key: "appname", Values: []string{"sshd"}}},
		{"source=connector", &Prefilter{Resource: true, Key: "service.name", Values: []string{"connector"}}},
		{`attributes["appname"] in ["sshd", "dropbear"] && body matches "x"`, &Prefilter{Key: "appname", Values: []string{"sshd", "dropbear"}}},
		{`body contains "x" && attr("a") == "b"`, &Prefilter{Key: "a", Values: []string{"b"}}},
		{`attr("a") == "b" || attr("a") in ["c"]`, &Prefilter{Key: "a", Values: []string{"b", "c"}}},
		{`attr("a") == "b" || attr("x") == "c"`, nil},
		{`attr("a") != "b"`, nil},
		{`attr("a") == 1`, nil},
		{`!(attr("a") == "b")`, nil},
		{`lower(attr("a")) == "b"`, nil},
		{"failure_count=3", nil},
	}
	for _, tt := range tests {
		p, ok := MustCompile(tt.src).Prefilter()
		if tt.want == nil {
			assert.False(t, ok, tt.src)
			continue
		}
		require.True(t, ok, tt.src)
		assert.Equal(t, *tt.want, p, tt.src)
		// The prefilter is necessary: a record without the value never matches.
		res, lr := record(map[string]any{"appname": "other", "a": "zzz", "msg_id": "AUTH"})
		got, err := MustCompile(tt.src).Match(res, lr)
		require.NoError(t, err)
		assert.False(t, got, tt.src)
	}
}
