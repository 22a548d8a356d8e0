package condition

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// TestMatchListedAgreesWithMatch: for every candidate the index listed by its prefilter's value,
// MatchListed (which skips the prefilter's conjunct) gives Match's result and error.
func TestMatchListedAgreesWithMatch(t *testing.T) {
	srcs := []string{
		"event_type=authentication AND result=failure",
		`attributes["event.category"] == "availability"`,
		`attributes["event.category"] in ["configuration", "authorization"]`,
		// The prefilter is the second conjunct; the first can fail on a record (an error).
		`attributes["event.count"] > 3 && attributes["event.category"] == "authentication" && body contains "fail"`,
		// Prefilter from a disjunction: nothing is skipped.
		`attributes["event.category"] == "network" || attributes["event.category"] == "availability" && attributes["event.outcome"] == "failure"`,
		`(attributes["event.category"] == "network" && attributes["event.outcome"] == "failure" || attributes["event.category"] == "alert") && severity_number >= 13`,
		`resource["service.name"] == "plc-gw" && attributes["event.outcome"] != "success"`,
		`attributes["event.action"] in ["login", "logout"] && !(attributes["event.outcome"] == "success")`,
		`body contains "fail"`, // no prefilter
	}
	conds := make([]*Condition, len(srcs))
	for i, s := range srcs {
		conds[i] = MustCompile(s)
	}
	if conds[0].afterPrefilter == nil || conds[1].afterPrefilter == nil || conds[3].afterPrefilter == nil {
		t.Fatal("comparisons that are top-level conjuncts must be separable")
	}
	if conds[4].afterPrefilter != nil || conds[5].afterPrefilter != nil {
		t.Fatal("a prefilter drawn from a disjunction must not be separated")
	}
	ix := NewIndex(conds)
	listed, matched := 0, 0
	var c Candidates
	for _, cat := range []string{"authentication", "authorization", "availability", "configuration", "network", "alert", ""} {
		for _, outcome := range []string{"failure", "success", ""} {
			for _, count := range []any{nil, int64(5), int64(1), "many"} {
				for _, svc := range []string{"plc-gw", "other"} {
					for _, action := range []string{"login", "connect"} {
						res := pcommon.NewResource()
						res.Attributes().PutStr("service.name", svc)
						lr := plog.NewLogRecord()
						lr.SetSeverityNumber(plog.SeverityNumberWarn)
						lr.Body().SetStr("login fail")
						a := lr.Attributes()
						if cat != "" {
							a.PutStr("event.category", cat)
						}
						if outcome != "" {
							a.PutStr("event.outcome", outcome)
						}
						switch v := count.(type) {
						case int64:
							a.PutInt("event.count", v)
						case string:
							a.PutStr("event.count", v)
						}
						a.PutStr("event.action", action)
						ix.Reset(&c, res, lr)
						for i, ok := c.Next(); ok; i, ok = c.Next() {
							if !c.Listed() {
								continue
							}
							listed++
							want, wantErr := conds[i].Match(res, lr)
							got, gotErr := conds[i].MatchListed(res, lr)
							if got != want || (gotErr == nil) != (wantErr == nil) {
								t.Errorf("%q on %s/%s/%v/%s/%s: MatchListed = %v, %v; Match = %v, %v",
									srcs[i], cat, outcome, count, svc, action, got, gotErr, want, wantErr)
							}
							if want {
								matched++
							}
						}
					}
				}
			}
		}
	}
	if listed == 0 || matched == 0 {
		t.Fatalf("the records must exercise listed candidates (%d) and matches (%d)", listed, matched)
	}
}

// TestListedOnlyForIndexedCandidates: the conditions without a prefilter are never Listed.
func TestListedOnlyForIndexedCandidates(t *testing.T) {
	conds := []*Condition{MustCompile(`body contains "x"`), MustCompile(`attributes["k"] == "v"`), nil}
	ix := NewIndex(conds)
	lr := plog.NewLogRecord()
	lr.Attributes().PutStr("k", "v")
	var c Candidates
	ix.Reset(&c, pcommon.NewResource(), lr)
	got := map[int]bool{}
	for i, ok := c.Next(); ok; i, ok = c.Next() {
		got[i] = c.Listed()
	}
	want := map[int]bool{0: false, 1: true, 2: false}
	if len(got) != len(want) {
		t.Fatalf("candidates %v, want %v", got, want)
	}
	for i, l := range want {
		if got[i] != l {
			t.Errorf("candidate %d: Listed = %v, want %v", i, got[i], l)
		}
	}
}
