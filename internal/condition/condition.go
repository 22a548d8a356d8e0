package condition

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// Limits on what a condition may cost. They are checked at compile time, so a rule that passes
// Compile cannot make Match run away.
const (
	// MaxSourceLen is the longest condition source accepted, in bytes.
	MaxSourceLen = 4096
	// MaxNodes is the largest expression accepted, in expr-lang AST nodes (after the shorthand is
	// translated and before internal rewriting).
	MaxNodes = 500
	// MaxMemory is the expr-lang VM memory budget per evaluation (counted in array/map elements
	// built by the expression).
	MaxMemory = 10000
)

// allowedBuiltins are the expr-lang builtins a condition may call. Every one of them runs in time
// bounded by the size of its arguments, which are bounded by the record. The builtins that iterate
// with a predicate (all, any, filter, map, reduce, ...), repeat (which multiplies memory) and the
// date/time functions (which make a rule's result depend on the wall clock) are disabled.
var allowedBuiltins = []string{
	"len", "type", "abs", "ceil", "floor", "round", "int", "float", "string",
	"trim", "trimPrefix", "trimSuffix", "upper", "lower", "split", "splitAfter", "replace",
	"indexOf", "lastIndexOf", "hasPrefix", "hasSuffix", "max", "min",
	"toJSON", "fromJSON", "first", "last", "get", "keys", "values", "join",
}

func builtinAllowed(name string) bool {
	for _, b := range allowedBuiltins {
		if b == name {
			return true
		}
	}
	return false
}

// Internal names the rewritten AST calls. They start with "__" so they cannot collide with the
// documented names; a user writing them gets what the documented form would give.
const (
	fnBody      = "__body"
	fnSevNum    = "__sevnum"
	fnSevText   = "__sevtext"
	fnEventName = "__eventname"
	fnAttrDyn   = "__attr"  // attributes[<non-constant key>]
	fnResDyn    = "__res"   // resource[<non-constant key>]
	fnHasAttr   = "__hattr" // "k" in attributes
	fnHasRes    = "__hres"  // "k" in resource
	attrPrefix  = "__a"     // __a<i>: attributes["constant key i"]
	resPrefix   = "__r"     // __r<i>: resource["constant key i"]
)

// Condition is a compiled condition. It is immutable after Compile and safe for concurrent use.
type Condition struct {
	source     string
	expression string

	// fast evaluates the condition directly on pdata when the whole expression is made of the
	// operators the direct evaluator knows (see fast.go); it allocates nothing per record.
	fast *fnode
	// afterPrefilter is fast without the conjunct Prefilter comes from (MatchListed); nil when
	// that conjunct cannot be separated.
	afterPrefilter *fnode
	// program is the expr-lang program, used when fast is nil (and by tests to cross-check fast).
	program  *vm.Program
	attrKeys []string // constant attribute keys, in __a<i> order
	resKeys  []string // constant resource keys, in __r<i> order
	states   sync.Pool
}

// Error is a compile error: where in the source, and what is wrong.
type Error struct {
	Line   int // 1-based
	Column int // 1-based, in characters
	Msg    string
}

func (e *Error) Error() string {
	if e.Line > 1 {
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("column %d: %s", e.Column, e.Msg)
}

// Compile compiles either an expr-lang expression or the seed's shorthand "key=value AND key=value"
// (accepted verbatim, translated to an expression over canonical schema keys: seed aliases such as
// event_type/result/user are mapped with secevent.SeedAliases(); seed words for outcome normalised
// with secevent.NormalizeOutcome). Errors name the position and the problem.
func Compile(src string) (*Condition, error) {
	if len(src) > MaxSourceLen {
		return nil, &Error{Line: 1, Column: MaxSourceLen + 1, Msg: fmt.Sprintf("condition is %d bytes long; at most %d are allowed", len(src), MaxSourceLen)}
	}
	text := src
	if isShorthand(src) {
		t, err := translateShorthand(src)
		if err != nil {
			return nil, err
		}
		text = t
	}
	c, err := compileExpr(text)
	if err != nil {
		if text != src {
			// The translation is ours: a failure here is a bug in it, say so with both texts.
			return nil, fmt.Errorf("shorthand %q translated to %q which does not compile: %w", src, text, err)
		}
		return nil, err
	}
	c.source = src
	return c, nil
}

// MustCompile is Compile for conditions known at build time (tests, defaults); it panics on error.
func MustCompile(src string) *Condition {
	c, err := Compile(src)
	if err != nil {
		panic(fmt.Sprintf("condition.MustCompile(%q): %v", src, err))
	}
	return c
}

// Source returns the condition as written.
func (c *Condition) Source() string { return c.source }

// Expression returns the expr-lang text actually compiled (the translation, for shorthand).
func (c *Condition) Expression() string { return c.expression }

// String returns the source.
func (c *Condition) String() string { return c.source }

// Match evaluates the condition on one record. It is safe for concurrent use. A condition on a
// missing attribute is false (== and in) or true (!=), never a panic; an error is returned only
// when the expression itself fails on this record's values (e.g. arithmetic on a string), and the
// result is then false.
func (c *Condition) Match(res pcommon.Resource, lr plog.LogRecord) (bool, error) {
	if c.fast != nil {
		return c.fast.eval(res, lr)
	}
	return c.runVM(res, lr)
}

func (c *Condition) runVM(res pcommon.Resource, lr plog.LogRecord) (bool, error) {
	st := c.states.Get().(*evalState)
	st.res, st.lr = res, lr
	out, err := st.vm.Run(c.program, st.env)
	// Drop the references so that a pooled state does not keep a batch alive.
	st.res, st.lr = pcommon.Resource{}, plog.LogRecord{}
	c.states.Put(st)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		// AsBool makes the checker reject expressions of a known non-bool type; an expression of
		// type any (e.g. a bare attribute) is checked here.
		return false, fmt.Errorf("condition evaluated to %T, not bool", out)
	}
	return b, nil
}

// evalState is what one evaluation on the VM path needs. The env map and its closures are built
// once per state (states are pooled), so that an evaluation does not allocate them.
type evalState struct {
	res pcommon.Resource
	lr  plog.LogRecord
	env map[string]any
	vm  vm.VM
}

func (c *Condition) newState() any {
	st := &evalState{}
	st.vm.MemoryBudget = MaxMemory
	env := map[string]any{
		fnBody:      func() string { return bodyString(st.lr) },
		fnSevNum:    func() int { return int(st.lr.SeverityNumber()) },
		fnSevText:   func() string { return st.lr.SeverityText() },
		fnEventName: func() string { return st.lr.EventName() },
		fnAttrDyn:   func(args ...any) any { return dynGet(st.lr.Attributes(), args) },
		fnResDyn:    func(args ...any) any { return dynGet(st.res.Attributes(), args) },
		fnHasAttr:   func(k string) bool { _, ok := st.lr.Attributes().Get(k); return ok },
		fnHasRes:    func(k string) bool { _, ok := st.res.Attributes().Get(k); return ok },
	}
	for i, k := range c.attrKeys {
		env[attrPrefix+strconv.Itoa(i)] = func() any { return attrAny(st.lr.Attributes(), k) }
	}
	for i, k := range c.resKeys {
		env[resPrefix+strconv.Itoa(i)] = func() any { return attrAny(st.res.Attributes(), k) }
	}
	st.env = env
	return st
}

// typeEnv is the environment the checker sees: the same names with the same types as newState's.
func typeEnv(attrKeys, resKeys []string) map[string]any {
	env := map[string]any{
		fnBody:      func() string { return "" },
		fnSevNum:    func() int { return 0 },
		fnSevText:   func() string { return "" },
		fnEventName: func() string { return "" },
		fnAttrDyn:   func(args ...any) any { return nil },
		fnResDyn:    func(args ...any) any { return nil },
		fnHasAttr:   func(string) bool { return false },
		fnHasRes:    func(string) bool { return false },
	}
	for i := range attrKeys {
		env[attrPrefix+strconv.Itoa(i)] = func() any { return nil }
	}
	for i := range resKeys {
		env[resPrefix+strconv.Itoa(i)] = func() any { return nil }
	}
	return env
}

func bodyString(lr plog.LogRecord) string {
	b := lr.Body()
	if b.Type() == pcommon.ValueTypeStr {
		return b.Str()
	}
	if b.Type() == pcommon.ValueTypeEmpty {
		return ""
	}
	return b.AsString()
}

func dynGet(m pcommon.Map, args []any) any {
	if len(args) != 1 {
		panic(fmt.Sprintf("expected one key, got %d", len(args)))
	}
	k, ok := args[0].(string)
	if !ok {
		panic(fmt.Sprintf("attribute key must be a string, not %T", args[0]))
	}
	return attrAny(m, k)
}

// attrAny converts an attribute to the value an expression sees: string, int, float64, bool,
// []byte, []any, map[string]any, or nil when the key is absent or the value empty.
func attrAny(m pcommon.Map, k string) any {
	v, ok := m.Get(k)
	if !ok {
		return nil
	}
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str()
	case pcommon.ValueTypeInt:
		return int(v.Int())
	case pcommon.ValueTypeDouble:
		return v.Double()
	case pcommon.ValueTypeBool:
		return v.Bool()
	case pcommon.ValueTypeEmpty:
		return nil
	default:
		return v.AsRaw()
	}
}

func compileExpr(text string) (*Condition, error) {
	cfg := conf.CreateNew()
	expr.MaxNodes(MaxNodes)(cfg)
	expr.AsBool()(cfg)
	expr.DisableAllBuiltins()(cfg)
	for _, b := range allowedBuiltins {
		expr.EnableBuiltin(b)(cfg)
	}
	for name := range cfg.Disabled {
		delete(cfg.Builtins, name)
	}

	tree, err := parser.ParseWithConfig(text, cfg)
	if err != nil {
		return nil, toError(err, text)
	}
	rw := &rewriter{}
	ast.Walk(&tree.Node, rw)
	tree.Node = asBool(tree.Node)
	if rw.err != nil {
		return nil, bind(rw.err, text)
	}
	if e := findBare(tree.Node); e != nil {
		return nil, bind(e, text)
	}

	expr.Env(typeEnv(rw.attrKeys, rw.resKeys))(cfg)
	cfg.Check()
	if _, err := checker.Check(tree, cfg); err != nil {
		return nil, toError(err, text)
	}
	// The direct evaluator is built from the checked tree before the optimizer rewrites it.
	fast := buildFast(tree.Node, rw.attrKeys, rw.resKeys)
	if err := optimizer.Optimize(&tree.Node, cfg); err != nil {
		var fe *file.Error
		if errors.As(err, &fe) {
			return nil, toError(fe.Bind(tree.Source), text)
		}
		return nil, err
	}
	prog, err := compiler.Compile(tree, cfg)
	if err != nil {
		return nil, toError(err, text)
	}
	c := &Condition{expression: text, fast: fast, program: prog, attrKeys: rw.attrKeys, resKeys: rw.resKeys}
	if fast != nil {
		c.afterPrefilter = withoutPrefilter(fast)
	}
	c.states.New = c.newState
	return c, nil
}

func toError(err error, text string) error {
	var fe *file.Error
	if errors.As(err, &fe) {
		if fe.Line == 0 {
			fe = fe.Bind(file.NewSource(text))
		}
		return &Error{Line: fe.Line, Column: fe.Column + 1, Msg: fe.Message}
	}
	// The checker reports a wrong result type without a position: it is the whole expression's.
	return &Error{Line: 1, Column: 1, Msg: "a condition must be a boolean expression: " + err.Error()}
}

// errAt makes an Error at node n's position in text.
func errAt(n ast.Node, format string, args ...any) *Error {
	loc := n.Location()
	return &Error{Line: 0, Column: loc.From, Msg: fmt.Sprintf(format, args...)}
}

// rewriter turns the documented environment (attributes[...], resource[...], attr(), res(), body,
// severity_number, ...) into calls of the internal accessors, and guards the operators that fail on
// nil so that a missing attribute makes them false instead of an error.
type rewriter struct {
	attrKeys []string
	resKeys  []string
	err      *Error
}

func (r *rewriter) fail(n ast.Node, format string, args ...any) {
	if r.err == nil {
		r.err = errAt(n, format, args...)
	}
}

func (r *rewriter) keyIndex(keys *[]string, k string) int {
	for i, x := range *keys {
		if x == k {
			return i
		}
	}
	*keys = append(*keys, k)
	return len(*keys) - 1
}

// access returns the accessor call for attributes/resource[key].
func (r *rewriter) access(resource bool, key ast.Node) ast.Node {
	if s, ok := key.(*ast.StringNode); ok {
		if resource {
			return call(resPrefix + strconv.Itoa(r.keyIndex(&r.resKeys, s.Value)))
		}
		return call(attrPrefix + strconv.Itoa(r.keyIndex(&r.attrKeys, s.Value)))
	}
	if resource {
		return call(fnResDyn, key)
	}
	return call(fnAttrDyn, key)
}

func call(name string, args ...ast.Node) ast.Node {
	return &ast.CallNode{Callee: &ast.IdentifierNode{Value: name}, Arguments: args}
}

func (r *rewriter) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		switch n.Value {
		case "body":
			ast.Patch(node, call(fnBody))
		case "severity_number":
			ast.Patch(node, call(fnSevNum))
		case "severity_text":
			ast.Patch(node, call(fnSevText))
		case "event_name":
			ast.Patch(node, call(fnEventName))
		}
	case *ast.BuiltinNode:
		// The parser turns the predicate builtins (all, filter, map, reduce, ...) into builtin
		// nodes whatever the disabled list says; refuse them here.
		if !builtinAllowed(n.Name) {
			r.fail(n, "unknown name %s (only bounded builtins are allowed in a condition: %s)", n.Name, strings.Join(allowedBuiltins, ", "))
		}
	case *ast.MemberNode:
		if id, ok := n.Node.(*ast.IdentifierNode); ok && (id.Value == "attributes" || id.Value == "resource") {
			ast.Patch(node, r.access(id.Value == "resource", n.Property))
		}
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && (id.Value == "attr" || id.Value == "res") {
			if len(n.Arguments) != 1 {
				r.fail(n, "%s() takes one argument, the attribute key; got %d", id.Value, len(n.Arguments))
				return
			}
			ast.Patch(node, r.access(id.Value == "res", n.Arguments[0]))
		}
	case *ast.UnaryNode:
		if n.Operator == "!" || n.Operator == "not" {
			n.Node = asBool(n.Node)
		}
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "and", "||", "or":
			n.Left, n.Right = asBool(n.Left), asBool(n.Right)
		case "in":
			if id, ok := n.Right.(*ast.IdentifierNode); ok && (id.Value == "attributes" || id.Value == "resource") {
				fn := fnHasAttr
				if id.Value == "resource" {
					fn = fnHasRes
				}
				ast.Patch(node, call(fn, n.Left))
			}
		case "..":
			r.fail(n, "the range operator .. is not allowed in a condition (it builds arrays of unbounded size)")
		case "<", "<=", ">", ">=", "startsWith", "endsWith", "contains", "matches":
			// These operators fail on nil. A missing attribute makes the comparison false, like
			// SQL's NULL, so that a rule over an attribute most records lack is not an error on
			// every record: rewrite to (attr != nil && attr OP x).
			var guards []ast.Node
			for _, side := range []ast.Node{n.Left, n.Right} {
				if isAttrAccess(side) {
					guards = append(guards, &ast.BinaryNode{Operator: "!=", Left: side, Right: &ast.NilNode{}})
				}
			}
			if len(guards) == 0 {
				return
			}
			var out ast.Node = &ast.BinaryNode{Operator: n.Operator, Left: n.Left, Right: n.Right}
			for i := len(guards) - 1; i >= 0; i-- {
				out = &ast.BinaryNode{Operator: "&&", Left: guards[i], Right: out}
			}
			ast.Patch(node, out)
		}
	}
}

// asBool makes an attribute used as a boolean (`attributes["otsec.auth.mfa_completed"] && ...`) true
// only when it is the bool true: a missing or non-bool attribute is false rather than an error.
func asBool(n ast.Node) ast.Node {
	if !isAttrAccess(n) {
		return n
	}
	out := &ast.BinaryNode{Operator: "==", Left: n, Right: &ast.BoolNode{Value: true}}
	out.SetLocation(n.Location())
	return out
}

// isAttrAccess reports whether n is a rewritten attribute or resource access (the values that can
// be nil).
func isAttrAccess(n ast.Node) bool {
	c, ok := n.(*ast.CallNode)
	if !ok {
		return false
	}
	id, ok := c.Callee.(*ast.IdentifierNode)
	if !ok {
		return false
	}
	v := id.Value
	return v == fnAttrDyn || v == fnResDyn ||
		(len(v) > 3 && (v[:3] == attrPrefix || v[:3] == resPrefix) && v[3] >= '0' && v[3] <= '9')
}

// findBare reports a use of attributes or resource that is not an index or an "in" test: the
// environment does not build the whole map per record.
func findBare(n ast.Node) *Error {
	var found *Error
	ast.Walk(&n, visitorFunc(func(node *ast.Node) {
		if id, ok := (*node).(*ast.IdentifierNode); ok && found == nil {
			if id.Value == "attributes" || id.Value == "resource" {
				found = errAt(id, "%s can only be indexed with a key (%s[\"key\"]) or tested with \"key\" in %s", id.Value, id.Value, id.Value)
			}
		}
	}))
	return found
}

type visitorFunc func(*ast.Node)

func (f visitorFunc) Visit(n *ast.Node) { f(n) }

// bind resolves an Error made by errAt (character offset in Column, Line 0) to line and column.
func bind(e *Error, text string) *Error {
	if e == nil || e.Line != 0 {
		return e
	}
	line, col := 1, 1
	for i, r := range []rune(text) {
		if i == e.Column {
			break
		}
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return &Error{Line: line, Column: col, Msg: e.Msg}
}
