// Package condition is the one condition language of otelcol-siem: expr-lang
// (github.com/expr-lang/expr) expressions over one log record in the security-event schema, plus the
// seed's shorthand `key=value AND key=value`, translated to an expression. The security_classify
// rules and the alert rules both use it. README.md in this directory is the language reference:
// the environment (attributes, resource, body, severity_number, severity_text, event_name), the
// shorthand's translation, the treatment of missing attributes and the cost limits (MaxSourceLen,
// MaxNodes, MaxMemory, the allowed builtins).
//
// Compile once at start-up; Match per record. Conditions made only of comparisons with literals
// (all shorthand, most rules) are evaluated directly on pdata without allocating; others run on the
// expr-lang VM with pooled state.
package condition
