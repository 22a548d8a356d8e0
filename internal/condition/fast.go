package condition

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// The direct evaluator. Most rules are boolean combinations of comparisons between one record value
// and a literal (every seed rule, every shorthand). For those the expr-lang VM would box each
// attribute value into an interface (an allocation per string) and pay an env lookup per access;
// this evaluator reads pdata in place and allocates nothing. It implements exactly the expr-lang
// semantics of the operators it accepts (TestFastMatchesVM checks both paths agree); any other
// expression runs on the VM.

type fkind uint8

const (
	fkAnd fkind = iota
	fkOr
	fkNot
	fkConst
	fkHas // "k" in attributes / resource
	fkCmp // accessor OP literal(s)
)

type acckind uint8

const (
	accAttr acckind = iota
	accRes
	accBody
	accSevNum
	accSevText
	accEventName
)

type accessor struct {
	kind acckind
	key  string
}

type litkind uint8

const (
	litNil litkind = iota
	litStr
	litInt
	litFloat
	litBool
)

type literal struct {
	kind litkind
	s    string
	i    int64
	f    float64
	b    bool
}

type cmpop uint8

const (
	opEq cmpop = iota
	opNe
	opIn
	opLt
	opLe
	opGt
	opGe
	opStartsWith
	opEndsWith
	opContains
	opMatches
)

type fnode struct {
	kind  fkind
	kids  []*fnode
	acc   accessor
	op    cmpop
	lits  []literal
	re    *regexp.Regexp
	value bool // fkConst
	strEq bool // fkCmp: attribute or resource attribute == string literal
}

func (n *fnode) eval(res pcommon.Resource, lr plog.LogRecord) (bool, error) {
	switch n.kind {
	case fkAnd:
		for _, k := range n.kids {
			ok, err := k.eval(res, lr)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case fkOr:
		for _, k := range n.kids {
			ok, err := k.eval(res, lr)
			if err != nil {
				return false, err
			}
			if ok {
				return true, nil
			}
		}
		return false, nil
	case fkNot:
		ok, err := n.kids[0].eval(res, lr)
		return !ok && err == nil, err
	case fkConst:
		return n.value, nil
	case fkHas:
		m := lr.Attributes()
		if n.acc.kind == accRes {
			m = res.Attributes()
		}
		_, ok := m.Get(n.acc.key)
		return ok, nil
	}
	return n.cmp(res, lr)
}

// operand is one record value, without boxing: a string, a number or a bool; or a pdata value
// that no literal can equal (bytes, slice, map); or nil.
type operand struct {
	kind  litkind
	other bool // a bytes, slice or map value
	s     string
	i     int64
	f     float64
	b     bool
}

func (n *fnode) operand(res pcommon.Resource, lr plog.LogRecord) operand {
	switch n.acc.kind {
	case accBody:
		return operand{kind: litStr, s: bodyString(lr)}
	case accSevNum:
		return operand{kind: litInt, i: int64(lr.SeverityNumber())}
	case accSevText:
		return operand{kind: litStr, s: lr.SeverityText()}
	case accEventName:
		return operand{kind: litStr, s: lr.EventName()}
	}
	m := lr.Attributes()
	if n.acc.kind == accRes {
		m = res.Attributes()
	}
	v, ok := m.Get(n.acc.key)
	if !ok {
		return operand{kind: litNil}
	}
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return operand{kind: litStr, s: v.Str()}
	case pcommon.ValueTypeInt:
		return operand{kind: litInt, i: v.Int()}
	case pcommon.ValueTypeDouble:
		return operand{kind: litFloat, f: v.Double()}
	case pcommon.ValueTypeBool:
		return operand{kind: litBool, b: v.Bool()}
	case pcommon.ValueTypeEmpty:
		return operand{kind: litNil}
	}
	return operand{other: true, kind: 255}
}

// equal is expr-lang's runtime.Equal restricted to a record value and a scalar literal: numbers
// compare by value across int and float, everything else only within its own type.
func equal(a operand, l literal) bool {
	switch l.kind {
	case litNil:
		return a.kind == litNil
	case litStr:
		return a.kind == litStr && a.s == l.s
	case litBool:
		return a.kind == litBool && a.b == l.b
	case litInt:
		switch a.kind {
		case litInt:
			return a.i == l.i
		case litFloat:
			return a.f == float64(l.i)
		}
	case litFloat:
		switch a.kind {
		case litInt:
			return float64(a.i) == l.f
		case litFloat:
			return a.f == l.f
		}
	}
	return false
}

func (a operand) typeName() string {
	switch a.kind {
	case litNil:
		return "nil"
	case litStr:
		return "string"
	case litInt:
		return "int"
	case litFloat:
		return "float64"
	case litBool:
		return "bool"
	}
	return "composite value"
}

func (n *fnode) cmp(res pcommon.Resource, lr plog.LogRecord) (bool, error) {
	if n.strEq {
		// The commonest leaf, attribute == "literal": no operand copy, no type switch.
		m := lr.Attributes()
		if n.acc.kind == accRes {
			m = res.Attributes()
		}
		v, ok := m.Get(n.acc.key)
		return ok && v.Type() == pcommon.ValueTypeStr && v.Str() == n.lits[0].s, nil
	}
	a := n.operand(res, lr)
	switch n.op {
	case opEq:
		return equal(a, n.lits[0]), nil
	case opNe:
		return !equal(a, n.lits[0]), nil
	case opIn:
		for _, l := range n.lits {
			if equal(a, l) {
				return true, nil
			}
		}
		return false, nil
	case opStartsWith, opEndsWith, opContains, opMatches:
		if a.kind != litStr {
			return false, fmt.Errorf("invalid operation: %s on %s", n.opName(), a.typeName())
		}
		switch n.op {
		case opStartsWith:
			return strings.HasPrefix(a.s, n.lits[0].s), nil
		case opEndsWith:
			return strings.HasSuffix(a.s, n.lits[0].s), nil
		case opContains:
			return strings.Contains(a.s, n.lits[0].s), nil
		default:
			return n.re.MatchString(a.s), nil
		}
	}
	// Ordering: numbers with numbers, strings with strings, as expr-lang does.
	l := n.lits[0]
	var c int
	switch {
	case (a.kind == litInt || a.kind == litFloat) && (l.kind == litInt || l.kind == litFloat):
		if a.kind == litInt && l.kind == litInt {
			c = cmp3(a.i, l.i)
		} else {
			af, lf := a.f, l.f
			if a.kind == litInt {
				af = float64(a.i)
			}
			if l.kind == litInt {
				lf = float64(l.i)
			}
			// NaN compares false both ways, as in Go (and expr-lang).
			if af != af || lf != lf {
				return false, nil
			}
			c = cmp3(af, lf)
		}
	case a.kind == litStr && l.kind == litStr:
		c = strings.Compare(a.s, l.s)
	default:
		return false, fmt.Errorf("invalid operation: %s %s literal of another type", a.typeName(), n.opName())
	}
	switch n.op {
	case opLt:
		return c < 0, nil
	case opLe:
		return c <= 0, nil
	case opGt:
		return c > 0, nil
	default:
		return c >= 0, nil
	}
}

func cmp3[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var opNames = [...]string{"==", "!=", "in", "<", "<=", ">", ">=", "startsWith", "endsWith", "contains", "matches"}

func (n *fnode) opName() string { return opNames[n.op] }

// buildFast returns the direct evaluator for node, or nil when node uses anything it does not
// implement.
func buildFast(node ast.Node, attrKeys, resKeys []string) *fnode {
	switch n := node.(type) {
	case *ast.BoolNode:
		return &fnode{kind: fkConst, value: n.Value}
	case *ast.UnaryNode:
		if n.Operator == "!" || n.Operator == "not" {
			if k := buildFast(n.Node, attrKeys, resKeys); k != nil {
				return &fnode{kind: fkNot, kids: []*fnode{k}}
			}
		}
		return nil
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || len(n.Arguments) != 1 {
			return nil
		}
		key, ok := n.Arguments[0].(*ast.StringNode)
		if !ok {
			return nil
		}
		switch id.Value {
		case fnHasAttr:
			return &fnode{kind: fkHas, acc: accessor{kind: accAttr, key: key.Value}}
		case fnHasRes:
			return &fnode{kind: fkHas, acc: accessor{kind: accRes, key: key.Value}}
		}
		return nil
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "and", "||", "or":
			l := buildFast(n.Left, attrKeys, resKeys)
			r := buildFast(n.Right, attrKeys, resKeys)
			if l == nil || r == nil {
				return nil
			}
			kind := fkAnd
			if n.Operator == "||" || n.Operator == "or" {
				kind = fkOr
			}
			// Flatten a && b && c into one node: fewer calls per record.
			var kids []*fnode
			for _, k := range []*fnode{l, r} {
				if k.kind == kind {
					kids = append(kids, k.kids...)
				} else {
					kids = append(kids, k)
				}
			}
			return &fnode{kind: kind, kids: kids}
		}
		return buildCmp(n, attrKeys, resKeys)
	}
	return nil
}

var swapped = map[string]string{"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

func buildCmp(n *ast.BinaryNode, attrKeys, resKeys []string) *fnode {
	op := n.Operator
	accNode, litNode := n.Left, n.Right
	acc, ok := accessorOf(accNode, attrKeys, resKeys)
	if !ok {
		// literal OP accessor: only the symmetric and ordering operators can be swapped.
		s, can := swapped[op]
		if !can {
			return nil
		}
		if acc, ok = accessorOf(n.Right, attrKeys, resKeys); !ok {
			return nil
		}
		op, litNode = s, n.Left
	}
	f := &fnode{kind: fkCmp, acc: acc}
	switch op {
	case "==", "!=", "<", "<=", ">", ">=":
		l, ok := literalOf(litNode)
		if !ok {
			return nil
		}
		f.lits = []literal{l}
		f.op = map[string]cmpop{"==": opEq, "!=": opNe, "<": opLt, "<=": opLe, ">": opGt, ">=": opGe}[op]
		if f.op >= opLt && l.kind != litInt && l.kind != litFloat && l.kind != litStr {
			return nil
		}
	case "in":
		arr, ok := litNode.(*ast.ArrayNode)
		if !ok {
			return nil
		}
		for _, e := range arr.Nodes {
			l, ok := literalOf(e)
			if !ok {
				return nil
			}
			f.lits = append(f.lits, l)
		}
		f.op = opIn
	case "startsWith", "endsWith", "contains", "matches":
		s, ok := litNode.(*ast.StringNode)
		if !ok {
			return nil
		}
		f.lits = []literal{{kind: litStr, s: s.Value}}
		f.op = map[string]cmpop{"startsWith": opStartsWith, "endsWith": opEndsWith, "contains": opContains, "matches": opMatches}[op]
		if f.op == opMatches {
			re, err := regexp.Compile(s.Value)
			if err != nil {
				return nil // the VM path reports it (the checker already did, for a constant)
			}
			f.re = re
		}
	default:
		return nil
	}
	f.strEq = f.op == opEq && f.lits[0].kind == litStr && (acc.kind == accAttr || acc.kind == accRes)
	return f
}

func accessorOf(n ast.Node, attrKeys, resKeys []string) (accessor, bool) {
	c, ok := n.(*ast.CallNode)
	if !ok {
		return accessor{}, false
	}
	id, ok := c.Callee.(*ast.IdentifierNode)
	if !ok || len(c.Arguments) != 0 {
		return accessor{}, false
	}
	switch id.Value {
	case fnBody:
		return accessor{kind: accBody}, true
	case fnSevNum:
		return accessor{kind: accSevNum}, true
	case fnSevText:
		return accessor{kind: accSevText}, true
	case fnEventName:
		return accessor{kind: accEventName}, true
	}
	if len(id.Value) > 3 {
		i, err := strconv.Atoi(id.Value[3:])
		if err == nil && i >= 0 {
			switch id.Value[:3] {
			case attrPrefix:
				if i < len(attrKeys) {
					return accessor{kind: accAttr, key: attrKeys[i]}, true
				}
			case resPrefix:
				if i < len(resKeys) {
					return accessor{kind: accRes, key: resKeys[i]}, true
				}
			}
		}
	}
	return accessor{}, false
}

func literalOf(n ast.Node) (literal, bool) {
	switch l := n.(type) {
	case *ast.NilNode:
		return literal{kind: litNil}, true
	case *ast.StringNode:
		return literal{kind: litStr, s: l.Value}, true
	case *ast.IntegerNode:
		return literal{kind: litInt, i: int64(l.Value)}, true
	case *ast.FloatNode:
		return literal{kind: litFloat, f: l.Value}, true
	case *ast.BoolNode:
		return literal{kind: litBool, b: l.Value}, true
	case *ast.UnaryNode:
		if l.Operator == "-" {
			switch v := l.Node.(type) {
			case *ast.IntegerNode:
				return literal{kind: litInt, i: -int64(v.Value)}, true
			case *ast.FloatNode:
				return literal{kind: litFloat, f: -v.Value}, true
			}
		}
	}
	return literal{}, false
}
