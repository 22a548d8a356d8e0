package alertprocessor // import "github.com/unified-ot/otelcol-siem/processor/alertprocessor"

import (
	"github.com/unified-ot/otelcol-siem/internal/condition"
)

// compileCondition compiles a rule condition with the same language as security_classify: an
// expr-lang expression, or the seed shorthand "k=v AND k=v".
func compileCondition(src string) (matcher, error) {
	c, err := condition.Compile(src)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// asCondition returns m as a *condition.Condition, or nil when it is another matcher (tests).
func asCondition(m matcher) *condition.Condition {
	c, _ := m.(*condition.Condition)
	return c
}
