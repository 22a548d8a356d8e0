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
	// small holds byValue as a slice when it has at most maxSmallValues entries: a few length and
	// byte comparisons cost less per record than hashing the value for a map lookup.
	small []valueList
}

type valueList struct {
	value string
	list  []int
}

// maxSmallValues is the largest byValue kept as a scanned slice (small) as well.
const maxSmallValues = 8

// lookup returns the conditions listed under value v.
func (g *indexGroup) lookup(v string) []int {
	if g.small != nil {
		for i := range g.small {
			if len(g.small[i].value) == len(v) && g.small[i].value == v {
				return g.small[i].list
			}
		}
		return nil
	}
	return g.byValue[v]
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
	for gi := range ix.groups {
		g := &ix.groups[gi]
		if len(g.byValue) <= maxSmallValues {
			g.small = make([]valueList, 0, len(g.byValue))
			for v, l := range g.byValue {
				g.small = append(g.small, valueList{v, l})
			}
		}
	}
	return ix
}

// Candidates iterates, in ascending order, the indexes of the conditions a record can satisfy.
// It lives on the caller's stack: no allocation per record. A caller walking many records reuses
// one with Index.Reset, which costs less than building and copying a new one per record.
type Candidates struct {
	lists [maxIndexGroups + 1][]int
	n     int
	// unindexed: lists[0] is Index.unindexed. last: the list Next took the last candidate from.
	unindexed bool
	last      int
}

// Candidates returns the iterator for one record.
func (ix *Index) Candidates(res pcommon.Resource, lr plog.LogRecord) Candidates {
	var c Candidates
	ix.Reset(&c, res, lr)
	return c
}

// Reset makes c the iterator for one record, as Candidates does.
func (ix *Index) Reset(c *Candidates, res pcommon.Resource, lr plog.LogRecord) {
	c.n, c.unindexed, c.last = 0, false, 0
	if len(ix.unindexed) > 0 {
		c.lists[0] = ix.unindexed
		c.n, c.unindexed = 1, true
	}
	for gi := range ix.groups {
		g := &ix.groups[gi]
		m := lr.Attributes()
		if g.resource {
			m = res.Attributes()
		}
		if v, ok := m.Get(g.key); ok && v.Type() == pcommon.ValueTypeStr {
			if l := g.lookup(v.Str()); len(l) > 0 {
				c.lists[c.n] = l
				c.n++
			}
		}
	}
}

// Next returns the next candidate's index, or false when there is none.
func (c *Candidates) Next() (int, bool) {
	if c.n == 1 {
		// One list (the common case: the rules indexed under one key, or no index): no merge.
		if l := c.lists[0]; len(l) > 0 {
			c.lists[0], c.last = l[1:], 0
			return l[0], true
		}
		return 0, false
	}
	best, bi := -1, -1
	for i := 0; i < c.n; i++ {
		if l := c.lists[i]; len(l) > 0 {
			if r := l[0]; best < 0 || r < best {
				best, bi = r, i
			}
		}
	}
	if bi < 0 {
		return 0, false
	}
	c.lists[bi], c.last = c.lists[bi][1:], bi
	return best, true
}

// Listed reports whether the candidate Next returned last was listed by its prefilter's value
// (not one of the conditions without a prefilter): Condition.MatchListed then applies.
func (c *Candidates) Listed() bool { return !(c.unindexed && c.last == 0) }
