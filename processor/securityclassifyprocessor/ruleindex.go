package securityclassifyprocessor // import "github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// ruleIndex avoids evaluating rules a record cannot satisfy. Most rules require one attribute to
// equal one of a few strings (`appname=sshd AND ...`, `attributes["appname"] in [...] && ...`;
// condition.Prefilter finds that conjunct). Such rules are indexed by attribute key and value: per
// record, each indexed key is read once and only the rules listed under its value are candidates,
// merged in configuration order with the rules that have no prefilter. "First match wins" is
// unchanged; the cost per record grows with the candidates, not with the rule count.
type ruleIndex struct {
	unindexed []int
	groups    []ruleGroup
}

type ruleGroup struct {
	resource bool
	key      string
	byValue  map[string][]int // rule indexes, ascending
}

// maxIndexGroups bounds the distinct keys indexed (the merge keeps its lists on the stack); rules
// on further keys are evaluated unindexed.
const maxIndexGroups = 7

func newRuleIndex(rules []rule) ruleIndex {
	var ix ruleIndex
	for i, r := range rules {
		p, ok := r.cond.Prefilter()
		if !ok {
			ix.unindexed = append(ix.unindexed, i)
			continue
		}
		g := -1
		for j := range ix.groups {
			if ix.groups[j].key == p.Key && ix.groups[j].resource == p.Resource {
				g = j
				break
			}
		}
		if g < 0 {
			if len(ix.groups) == maxIndexGroups {
				ix.unindexed = append(ix.unindexed, i)
				continue
			}
			ix.groups = append(ix.groups, ruleGroup{resource: p.Resource, key: p.Key, byValue: map[string][]int{}})
			g = len(ix.groups) - 1
		}
		for _, v := range p.Values {
			l := ix.groups[g].byValue[v]
			if len(l) == 0 || l[len(l)-1] != i {
				ix.groups[g].byValue[v] = append(l, i)
			}
		}
	}
	return ix
}

// first returns the first rule, in configuration order, whose condition matches the record.
func (ix *ruleIndex) first(rules []rule, res pcommon.Resource, lr plog.LogRecord, st *batchStats) *rule {
	var lists [maxIndexGroups + 1][]int
	n := 0
	if len(ix.unindexed) > 0 {
		lists[n] = ix.unindexed
		n++
	}
	for gi := range ix.groups {
		g := &ix.groups[gi]
		m := lr.Attributes()
		if g.resource {
			m = res.Attributes()
		}
		if v, ok := m.Get(g.key); ok && v.Type() == pcommon.ValueTypeStr {
			if l := g.byValue[v.Str()]; len(l) > 0 {
				lists[n] = l
				n++
			}
		}
	}
	var pos [maxIndexGroups + 1]int
	for {
		best, bi := -1, -1
		for i := 0; i < n; i++ {
			if pos[i] < len(lists[i]) {
				if r := lists[i][pos[i]]; best < 0 || r < best {
					best, bi = r, i
				}
			}
		}
		if bi < 0 {
			return nil
		}
		pos[bi]++
		r := &rules[best]
		ok, err := r.cond.Match(res, lr)
		if err != nil {
			st.condErrors[best]++
			continue
		}
		if ok {
			return r
		}
	}
}
