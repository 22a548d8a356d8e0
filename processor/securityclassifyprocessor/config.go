package securityclassifyprocessor // import "github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor"

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/internal/condition"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// Config is the security_classify configuration. See README.md for every option.
type Config struct {
	// Aliases maps a producer's key to a canonical schema key. It is merged over the default table
	// (DefaultAliases); mapping an alias to "" removes it.
	Aliases map[string]string `mapstructure:"aliases"`
	// KeepOriginalKeys keeps an aliased attribute under its original key as well.
	KeepOriginalKeys bool `mapstructure:"keep_original_keys"`
	// PlaceTarget moves the seed's catch-all `target` to the key secevent.PlaceTarget chooses.
	PlaceTarget bool `mapstructure:"place_target"`
	// PromoteResourceAttributes moves record attributes that belong to the resource (host.name,
	// service.name, otsec.site.name, ... and their aliases, e.g. the syslog receiver's hostname)
	// to the resource, regrouping the records by their values.
	PromoteResourceAttributes bool `mapstructure:"promote_resource_attributes"`
	// Rules are tried in order for records without a valid producer category; the first match wins.
	Rules []RuleConfig `mapstructure:"rules"`
	// Keywords are tried in order on the body when no rule matched; the first match wins.
	Keywords []KeywordConfig `mapstructure:"keywords"`
	// SeverityFloor decides which records are forwarded.
	SeverityFloor SeverityFloorConfig `mapstructure:"severity_floor"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// RuleConfig is one classification rule.
type RuleConfig struct {
	// ID names the rule in errors, in otsec.classification.rule and in metrics.
	ID string `mapstructure:"id"`
	// Condition is an expr-lang expression or the seed's `key=value AND key=value` shorthand
	// (internal/condition).
	Condition string `mapstructure:"condition"`
	// Category is what a matching record becomes.
	Category string `mapstructure:"category"`
	// Set gives schema attributes (e.g. event.action, event.outcome) to a matching record that lacks them.
	Set map[string]string `mapstructure:"set"`
	// Severity raises a matching record's SeverityNumber to at least this level (e.g. a device that
	// logs failed logins at INFO). Empty: unchanged.
	Severity string `mapstructure:"severity"`
}

// KeywordConfig is one keyword rule: the body must contain every word of All and, if Any is not
// empty, at least one word of Any.
type KeywordConfig struct {
	Category string   `mapstructure:"category"`
	Any      []string `mapstructure:"any"`
	All      []string `mapstructure:"all"`
}

// SeverityFloorConfig is the severity floor.
type SeverityFloorConfig struct {
	// MinSeverity is the lowest severity forwarded: a level name (TRACE..FATAL4, WARNING, CRITICAL,
	// UNSPECIFIED) or a SeverityNumber 0..24.
	MinSeverity string `mapstructure:"min_severity"`
	// Overrides replace MinSeverity for records of a category (and, if given, outcome); the first
	// matching override applies.
	Overrides []SeverityOverride `mapstructure:"overrides"`
}

// SeverityOverride is a per-category severity floor.
type SeverityOverride struct {
	Category    string   `mapstructure:"category"`
	Outcomes    []string `mapstructure:"outcomes"`
	MinSeverity string   `mapstructure:"min_severity"`
}

// Record-level alias targets: the alias goes to a LogRecord field, not an attribute.
const (
	targetBody     = secevent.RecordBody
	targetSeverity = secevent.RecordSeverity
)

// maxKeywords bounds the keyword table (the matcher keeps one bit per keyword on the stack).
const maxKeywords = 256

// DefaultAliases is the default alias table: secevent.SeedAliases() plus the record-level aliases
// (message, msg -> Body; severity, levelname -> SeverityNumber).
func DefaultAliases() map[string]string {
	m := secevent.SeedAliases()
	for alias, target := range m {
		if alias == target {
			// The schema lists source.port among source.port's own aliases: not an alias.
			delete(m, alias)
		}
	}
	for _, f := range secevent.Fields {
		if f.Key == targetBody || f.Key == targetSeverity {
			for _, a := range f.SeedAliases {
				m[a] = f.Key
			}
		}
	}
	return m
}

// Validate checks the configuration; rule conditions are compiled so that a bad one fails start-up
// with the rule's id and the compile error.
func (cfg *Config) Validate() error {
	var errs []error
	keys := make([]string, 0, len(cfg.Aliases))
	for k := range cfg.Aliases {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, alias := range keys {
		target := cfg.Aliases[alias]
		if target == "" {
			continue
		}
		if err := validAliasTarget(alias, target); err != nil {
			errs = append(errs, err)
		}
	}
	seen := map[string]int{}
	for i, r := range cfg.Rules {
		if _, err := compileRule(i, r); err != nil {
			errs = append(errs, err)
		}
		if r.ID != "" {
			if j, dup := seen[r.ID]; dup {
				errs = append(errs, fmt.Errorf("rules[%d]: id %q is also rules[%d]'s", i, r.ID, j))
			}
			seen[r.ID] = i
		}
	}
	if _, err := newKeywordMatcher(cfg.Keywords); err != nil {
		errs = append(errs, err)
	}
	if _, err := newFloor(cfg.SeverityFloor); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func validAliasTarget(alias, target string) error {
	if alias == target {
		return fmt.Errorf("aliases: %q maps to itself", alias)
	}
	f, ok := secevent.FieldByKey(target)
	if !ok {
		return fmt.Errorf("aliases: %q maps to %q, which is not a key of the security-event schema", alias, target)
	}
	if f.Place == secevent.PlaceRecord && target != targetBody && target != targetSeverity {
		return fmt.Errorf("aliases: %q maps to the record field %s; only %s and %s can be alias targets", alias, target, targetBody, targetSeverity)
	}
	if target == secevent.KeyClassificationSource || target == secevent.KeyClassificationRule || strings.HasPrefix(target, "otsec.alert.") || strings.HasPrefix(target, "otsec.nis2.") {
		return fmt.Errorf("aliases: %q maps to %s, which only otelcol-siem's processors write", alias, target)
	}
	return nil
}

// rule is a compiled RuleConfig.
type rule struct {
	id       string
	cond     *condition.Condition
	category secevent.Category
	set      [][2]string // sorted by key, for a deterministic result
	severity plog.SeverityNumber
}

func compileRule(i int, r RuleConfig) (rule, error) {
	name := fmt.Sprintf("rules[%d]", i)
	if r.ID == "" {
		return rule{}, fmt.Errorf("%s: id must not be empty", name)
	}
	name = fmt.Sprintf("rules[%d] (id %q)", i, r.ID)
	if strings.TrimSpace(r.Condition) == "" {
		return rule{}, fmt.Errorf("%s: condition must not be empty", name)
	}
	c, err := condition.Compile(r.Condition)
	if err != nil {
		return rule{}, fmt.Errorf("%s: condition: %w", name, err)
	}
	cat := secevent.Category(r.Category)
	if !assignable(cat) {
		return rule{}, fmt.Errorf("%s: category %q is not one of %s", name, r.Category, categoryList())
	}
	out := rule{id: r.ID, cond: c, category: cat}
	for k, v := range r.Set {
		f, ok := secevent.FieldByKey(k)
		if !ok || f.Place != secevent.PlaceAttribute || k == secevent.KeyCategory ||
			k == secevent.KeyClassificationSource || k == secevent.KeyClassificationRule || strings.HasPrefix(k, "otsec.alert.") || strings.HasPrefix(k, "otsec.nis2.") {
			return rule{}, fmt.Errorf("%s: set: %q is not a schema attribute a rule may set", name, k)
		}
		if f.Type != secevent.TypeString {
			return rule{}, fmt.Errorf("%s: set: %s is of type %s; a rule sets string attributes only", name, k, f.Type)
		}
		if k == secevent.KeyOutcome && !secevent.Outcome(v).Valid() {
			return rule{}, fmt.Errorf("%s: set: event.outcome %q is not one of %v", name, v, secevent.Outcomes())
		}
		out.set = append(out.set, [2]string{k, v})
	}
	sort.Slice(out.set, func(a, b int) bool { return out.set[a][0] < out.set[b][0] })
	if r.Severity != "" {
		s, err := parseSeverity(r.Severity)
		if err != nil {
			return rule{}, fmt.Errorf("%s: severity: %w", name, err)
		}
		out.severity = s
	}
	return out, nil
}

// assignable reports whether a rule or keyword may give records category c: alert and audit are
// written by the collector's own components only, so that a crafted event cannot be made to look
// like an alert or a pipeline report by the classifier.
func assignable(c secevent.Category) bool {
	return c.Valid() && c != secevent.CategoryAlert && c != secevent.CategoryAudit
}

func categoryList() string {
	var s []string
	for _, c := range secevent.Categories() {
		if assignable(c) {
			s = append(s, string(c))
		}
	}
	return strings.Join(s, ", ")
}

// severityNames are the accepted level names: OpenTelemetry's short names and the seed's Python ones.
var severityNames = map[string]plog.SeverityNumber{
	"UNSPECIFIED": 0,
	"TRACE":       1, "TRACE2": 2, "TRACE3": 3, "TRACE4": 4,
	"DEBUG": 5, "DEBUG2": 6, "DEBUG3": 7, "DEBUG4": 8,
	"INFO": 9, "INFO2": 10, "INFO3": 11, "INFO4": 12,
	"WARN": 13, "WARNING": 13, "WARN2": 14, "WARN3": 15, "WARN4": 16,
	"ERROR": 17, "ERROR2": 18, "ERROR3": 19, "ERROR4": 20,
	"FATAL": 21, "CRITICAL": 21, "FATAL2": 22, "FATAL3": 23, "FATAL4": 24,
}

func parseSeverity(s string) (plog.SeverityNumber, error) {
	if n, ok := severityNames[strings.ToUpper(strings.TrimSpace(s))]; ok {
		return n, nil
	}
	if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 0 && n <= 24 {
		return plog.SeverityNumber(n), nil
	}
	return 0, fmt.Errorf("%q is neither a severity name (TRACE..FATAL4, WARNING, CRITICAL, UNSPECIFIED) nor a number 0..24", s)
}

// floor is the compiled SeverityFloorConfig.
type floor struct {
	min       plog.SeverityNumber
	overrides []floorOverride
}

type floorOverride struct {
	category secevent.Category
	outcomes []string
	min      plog.SeverityNumber
}

func newFloor(c SeverityFloorConfig) (floor, error) {
	var f floor
	var errs []error
	m, err := parseSeverity(c.MinSeverity)
	if err != nil {
		errs = append(errs, fmt.Errorf("severity_floor: min_severity: %w", err))
	}
	f.min = m
	for i, o := range c.Overrides {
		cat := secevent.Category(o.Category)
		if !cat.Valid() {
			errs = append(errs, fmt.Errorf("severity_floor: overrides[%d]: category %q is not a schema category", i, o.Category))
		}
		for _, oc := range o.Outcomes {
			if !secevent.Outcome(oc).Valid() {
				errs = append(errs, fmt.Errorf("severity_floor: overrides[%d]: outcome %q is not one of %v", i, oc, secevent.Outcomes()))
			}
		}
		om, err := parseSeverity(o.MinSeverity)
		if err != nil {
			errs = append(errs, fmt.Errorf("severity_floor: overrides[%d]: min_severity: %w", i, err))
		}
		f.overrides = append(f.overrides, floorOverride{category: cat, outcomes: o.Outcomes, min: om})
	}
	return f, errors.Join(errs...)
}

// minFor returns the floor for a record of category cat and outcome outcome.
func (f *floor) minFor(cat secevent.Category, outcome string) plog.SeverityNumber {
	for i := range f.overrides {
		o := &f.overrides[i]
		if o.category != cat {
			continue
		}
		if len(o.outcomes) == 0 {
			return o.min
		}
		for _, oc := range o.outcomes {
			if oc == outcome {
				return o.min
			}
		}
	}
	return f.min
}
