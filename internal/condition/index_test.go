package condition

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// TestIndexCandidatesCoverEveryMatch: for every record, the candidates are ascending and include
// every condition that matches (the index may only skip conditions that cannot match).
func TestIndexCandidatesCoverEveryMatch(t *testing.T) {
	srcs := []string{
		"event_type=authentication AND result=failure",
		`attributes["event.category"] == "availability" && attributes["event.action"] == "circuit_breaker_open"`,
		`body contains "fail"`, // no prefilter: always a candidate
		`attributes["event.category"] in ["configuration", "authorization"]`,
		`resource["service.name"] == "plc-gw" && severity_number >= 13`,
		"event_type=authorization AND result=denied",
	}
	conds := make([]*Condition, len(srcs))
	for i, s := range srcs {
		conds[i] = MustCompile(s)
	}
	conds = append(conds, nil) // a matcher the index does not know: always a candidate
	ix := NewIndex(conds)
	unindexed := 0
	for _, cat := range []string{"authentication", "authorization", "availability", "configuration", "network", ""} {
		for _, outcome := range []string{"failure", "denied", "success"} {
			for _, svc := range []string{"plc-gw", "other"} {
				res := pcommon.NewResource()
				res.Attributes().PutStr("service.name", svc)
				lr := plog.NewLogRecord()
				lr.SetSeverityNumber(plog.SeverityNumberWarn)
				lr.Body().SetStr("login fail")
				if cat != "" {
					lr.Attributes().PutStr("event.category", cat)
				}
				lr.Attributes().PutStr("event.outcome", outcome)
				lr.Attributes().PutStr("event.action", "circuit_breaker_open")
				cands := map[int]bool{}
				last := -1
				c := ix.Candidates(res, lr)
				for i, ok := c.Next(); ok; i, ok = c.Next() {
					if i <= last {
						t.Fatalf("candidates not ascending: %d after %d", i, last)
					}
					last = i
					cands[i] = true
				}
				if !cands[2] || !cands[len(conds)-1] {
					t.Fatalf("unindexed conditions must always be candidates: %v", cands)
				}
				for i, cond := range conds[:len(srcs)] {
					if ok, _ := cond.Match(res, lr); ok && !cands[i] {
						t.Errorf("condition %q matches %s/%s/%s but is not a candidate", srcs[i], cat, outcome, svc)
					}
				}
				unindexed = len(ix.unindexed)
			}
		}
	}
	if unindexed != 2 {
		t.Errorf("unindexed conditions = %d, want 2 (the body condition and the nil matcher)", unindexed)
	}
}
