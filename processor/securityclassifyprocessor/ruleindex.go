package securityclassifyprocessor // import "github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/internal/condition"
)

// newRuleIndex indexes the rules' conditions by their required attribute values
// (condition.Index), so a record is tested only against the rules it can satisfy.
func newRuleIndex(rules []rule) condition.Index {
	conds := make([]*condition.Condition, len(rules))
	for i := range rules {
		conds[i] = rules[i].cond
	}
	return condition.NewIndex(conds)
}

// firstMatch returns the first rule, in configuration order, whose condition matches the record:
// "first match wins" is unchanged by the index.
func firstMatch(ix *condition.Index, rules []rule, res pcommon.Resource, lr plog.LogRecord, st *batchStats) *rule {
	var c condition.Candidates
	ix.Reset(&c, res, lr)
	for i, ok := c.Next(); ok; i, ok = c.Next() {
		r := &rules[i]
		var match bool
		var err error
		if c.Listed() {
			// The index already compared the attribute the rule's prefilter is on.
			match, err = r.cond.MatchListed(res, lr)
		} else {
			match, err = r.cond.Match(res, lr)
		}
		if err != nil {
			st.condErrors[i]++
			continue
		}
		if match {
			return r
		}
	}
	return nil
}
