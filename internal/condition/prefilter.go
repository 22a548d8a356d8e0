package condition

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Prefilter is a necessary condition of a Condition: Match can be true only if the attribute Key
// (the resource attribute, if Resource) is a string equal to one of Values. A caller with many
// conditions uses it to index them by value and evaluate only those a record can satisfy.
type Prefilter struct {
	Resource bool
	Key      string
	Values   []string
}

// Prefilter returns a necessary condition of c, when its expression has one the direct evaluator
// can see: a top-level conjunct `attributes["k"] == "v"` or `attributes["k"] in ["v1", "v2"]` (or
// a disjunction whose every branch has one on the same key). Every shorthand has one.
func (c *Condition) Prefilter() (Prefilter, bool) {
	if c.fast == nil {
		return Prefilter{}, false
	}
	return prefilterOf(c.fast)
}

func prefilterOf(n *fnode) (Prefilter, bool) {
	switch n.kind {
	case fkCmp:
		if n.acc.kind != accAttr && n.acc.kind != accRes {
			return Prefilter{}, false
		}
		if n.op != opEq && n.op != opIn {
			return Prefilter{}, false
		}
		p := Prefilter{Resource: n.acc.kind == accRes, Key: n.acc.key}
		for _, l := range n.lits {
			if l.kind != litStr {
				return Prefilter{}, false
			}
			p.Values = append(p.Values, l.s)
		}
		return p, true
	case fkAnd:
		for _, k := range n.kids {
			if p, ok := prefilterOf(k); ok {
				return p, true
			}
		}
	case fkOr:
		var out Prefilter
		for i, k := range n.kids {
			p, ok := prefilterOf(k)
			if !ok || (i > 0 && (p.Key != out.Key || p.Resource != out.Resource)) {
				return Prefilter{}, false
			}
			if i == 0 {
				out = Prefilter{Resource: p.Resource, Key: p.Key}
			}
			out.Values = append(out.Values, p.Values...)
		}
		return out, len(n.kids) > 0
	}
	return Prefilter{}, false
}

// MatchListed is Match for a record the Index listed c for through its prefilter: the record's
// attribute Key holds one of Values, so the conjunct the prefilter came from is true and is not
// evaluated again. The result and error are Match's.
func (c *Condition) MatchListed(res pcommon.Resource, lr plog.LogRecord) (bool, error) {
	if c.afterPrefilter != nil {
		return c.afterPrefilter.eval(res, lr)
	}
	return c.Match(res, lr)
}

// withoutPrefilter returns n without the conjunct prefilterOf(n) comes from, when that conjunct is
// a comparison (true, without error, for every record whose value is one of the prefilter's
// values); nil when it cannot be separated (a prefilter drawn from a disjunction).
func withoutPrefilter(n *fnode) *fnode {
	switch n.kind {
	case fkCmp:
		if _, ok := prefilterOf(n); ok {
			return &fnode{kind: fkConst, value: true}
		}
	case fkAnd:
		// prefilterOf takes the first conjunct that has one: drop that one.
		for i, k := range n.kids {
			if _, ok := prefilterOf(k); !ok {
				continue
			}
			if k.kind != fkCmp {
				return nil
			}
			rest := make([]*fnode, 0, len(n.kids)-1)
			rest = append(rest, n.kids[:i]...)
			rest = append(rest, n.kids[i+1:]...)
			switch len(rest) {
			case 0:
				return &fnode{kind: fkConst, value: true}
			case 1:
				return rest[0]
			}
			return &fnode{kind: fkAnd, kids: rest}
		}
	}
	return nil
}
