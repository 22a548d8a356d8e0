package condition

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
)

func benchMatch(b *testing.B, src string, wantFast bool) {
	c := MustCompile(src)
	if (c.fast != nil) != wantFast {
		b.Fatalf("%s: direct path = %v, want %v", src, c.fast != nil, wantFast)
	}
	res, lr := record(map[string]any{
		"event.category": "authentication", "event.action": "login", "event.outcome": "failure",
		"user.name": "alice@example.com", "source.address": "192.168.1.100", "event.reason": "invalid_credentials",
	})
	lr.Body().SetStr("Failed login attempt for alice@example.com")
	lr.SetSeverityNumber(plog.SeverityNumberWarn)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		ok, err := c.Match(res, lr)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkMatchShorthand(b *testing.B) {
	benchMatch(b, "event_type=authentication AND result=failure", true)
}

func BenchmarkMatchExpressionDirect(b *testing.B) {
	benchMatch(b, `attributes["event.category"] in ["authentication", "authorization"] && severity_number >= 13 && body contains "login"`, true)
}

func BenchmarkMatchExpressionVM(b *testing.B) {
	benchMatch(b, `lower(attributes["user.name"]) endsWith "@example.com" && attributes["event.outcome"] == "failure"`, false)
}
