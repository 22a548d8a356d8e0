package condition

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Index avoids evaluating conditions a record cannot satisfy. Most conditions require one attribute
// to equal one of a few strings (`event_type=authentication AND ...`, `attributes["appname"] in
// [...] && ...`; Prefilter finds that conjunct). Such conditions are indexed by attribute key and
// value: per record, each indexed key is read once and only the conditions listed under its value
// are candidates, merged in configuration order with the conditions that have no prefilter. The
// cost per record grows with the candidates, not with the number of conditions. security_classify
// (first match wins) and alert (every rule counts) both walk their rules through it.
type Index struct {
	unindexed []int
	groups    []indexGroup
}

type indexGroup struct {
	resource bool
	key      string
	byValue  map[string][]int // condition indexes, ascending
}

// maxIndexGroups bounds the distinct keys indexed (Candidates keeps its lists on the stack);
// conditions on further keys are evaluated unindexed.
const maxIndexGroups = 7

// NewIndex indexes conds (nil entries, or conditions without a prefilter, are always candidates).
func NewIndex(conds []*Condition) Index {
	var ix Index
	for i, c := range conds {
		var p Prefilter
		ok := false
		if c != nil {
			p, ok = c.Prefilter()
		}
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
			ix.groups = append(ix.groups, indexGroup{resource: p.Resource, key: p.Key, byValue: map[string][]int{}})
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

// Candidates iterates, in ascending order, the indexes of the conditions a record can satisfy.
// It lives on the caller's stack: no allocation per record.
type Candidates struct {
	lists [maxIndexGroups + 1][]int
	pos   [maxIndexGroups + 1]int
	n     int
}

// Candidates returns the iterator for one record.
func (ix *Index) Candidates(res pcommon.Resource, lr plog.LogRecord) Candidates {
	var c Candidates
	if len(ix.unindexed) > 0 {
		c.lists[c.n] = ix.unindexed
		c.n++
	}
	for gi := range ix.groups {
		g := &ix.groups[gi]
		m := lr.Attributes()
		if g.resource {
			m = res.Attributes()
		}
		if v, ok := m.Get(g.key); ok && v.Type() == pcommon.ValueTypeStr {
			if l := g.byValue[v.Str()]; len(l) > 0 {
				c.lists[c.n] = l
				c.n++
			}
		}
	}
	return c
}

// Next returns the next candidate's index, or false when there is none.
func (c *Candidates) Next() (int, bool) {
	best, bi := -1, -1
	for i := 0; i < c.n; i++ {
		if c.pos[i] < len(c.lists[i]) {
			if r := c.lists[i][c.pos[i]]; best < 0 || r < best {
				best, bi = r, i
			}
		}
	}
	if bi < 0 {
		return 0, false
	}
	c.pos[bi]++
	return best, true
}
