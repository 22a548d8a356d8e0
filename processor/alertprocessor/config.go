package alertprocessor // import "github.com/unified-ot/otelcol-siem/processor/alertprocessor"

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"go.opentelemetry.io/collector/component"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// Limits that keep the processor's memory bounded whatever the configuration says.
const (
	// maxThreshold bounds a rule's threshold: a group keeps up to 2×threshold event times, so
	// the threshold is the per-group memory factor.
	maxThreshold = 1000
	// maxSampleEventIDsLimit bounds otsec.alert.sample_event_ids so an alert stays one small record.
	maxSampleEventIDsLimit = 100
	// The timer's bounds: below 10 ms it would only burn the lock; above 1 min an absence alert
	// would lag its window by more than most windows are long.
	minTickInterval = 10 * time.Millisecond
	maxTickInterval = time.Minute
)

// ruleIDPattern keeps rule ids usable verbatim as CEF Signature IDs, EventName suffixes and
// SIEM search terms: no spaces, no CEF header separators, no quoting needed in SPL/KQL.
var ruleIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// Config is the alert processor's configuration.
type Config struct {
	// Rules are the alert rules; at least one is required.
	Rules []RuleConfig `mapstructure:"rules"`
	// MaxLateness is how far (in event time) a record may lag behind the newest record already
	// seen for the same rule and group and still be counted. Older records are dropped from
	// evaluation (they still pass through) and counted in otelcol_processor_alert_records_late.
	MaxLateness time.Duration `mapstructure:"max_lateness"`
	// MaxGroupsPerRule bounds the number of group_by value combinations a rule tracks; the least
	// recently updated group is evicted beyond it.
	MaxGroupsPerRule int `mapstructure:"max_groups_per_rule"`
	// MaxSampleEventIDs bounds otsec.alert.sample_event_ids.
	MaxSampleEventIDs int `mapstructure:"max_sample_event_ids"`
	// Storage is the id of a storage extension (queue_storage, file_storage) that keeps window state and open
	// incidents across restarts. Nil keeps state in memory only.
	Storage *component.ID `mapstructure:"storage"`
	// CheckpointInterval is how often the state is written to Storage while running, in addition
	// to Shutdown. Only changed state is written.
	CheckpointInterval time.Duration `mapstructure:"checkpoint_interval"`
	// MaxPendingAlerts bounds the alerts kept for re-emission after the next consumer refused a
	// batch (a retryable error); the oldest is dropped beyond it and counted.
	MaxPendingAlerts int `mapstructure:"max_pending_alerts"`
	// TickInterval is how often the rules are evaluated without a batch: alerts about silence
	// (absence) are emitted on this timer, and pending alerts are retried on it.
	TickInterval time.Duration `mapstructure:"tick_interval"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// RuleConfig is one alert rule.
type RuleConfig struct {
	// ID identifies the rule: otsec.alert.rule.id, the EventName suffix and the CEF Signature ID.
	ID string `mapstructure:"id"`
	// Kind is how the rule fires: threshold (the default), absence or distinct (kind_*.go).
	Kind string `mapstructure:"kind"`
	// Name is the human-readable rule name (otsec.alert.rule.name).
	Name string `mapstructure:"name"`
	// Condition selects the records the rule counts: an expr-lang expression or the seed
	// shorthand "k=v AND k=v" (internal/condition).
	Condition string `mapstructure:"condition"`
	// Threshold is how many matching records within Window fire the rule.
	Threshold int `mapstructure:"threshold"`
	// Window is the sliding event-time window: Threshold records whose event times differ by at
	// most Window fire the rule.
	Window time.Duration `mapstructure:"window"`
	// Severity is low, medium, high or critical.
	Severity secevent.AlertSeverity `mapstructure:"severity"`
	// GroupBy lists schema keys (attributes, or resource attributes such as host.name); each
	// combination of their values is counted separately. A missing key counts as the value "".
	GroupBy []string `mapstructure:"group_by"`
	// Cooldown suppresses further alerts for the same group for this long (event time) after
	// the last record of an alert. Zero: every threshold crossing alerts.
	Cooldown time.Duration `mapstructure:"cooldown"`
	// Description is copied into otsec.alert.description.
	Description string `mapstructure:"description"`
	// Field is the schema key whose distinct values a distinct rule counts.
	Field string `mapstructure:"field"`
	// Expected lists groups (group_by key → value) an absence rule watches from start-up, before
	// (or without) having seen them.
	Expected []map[string]string `mapstructure:"expected"`
	// ForgetAfter is how long an absence rule keeps watching a group that went silent and was not
	// expected; zero keeps it until the rule's state is discarded.
	ForgetAfter time.Duration `mapstructure:"forget_after"`
}

// kindName is the rule's kind, the default when none is configured.
func (r *RuleConfig) kindName() string {
	if r.Kind == "" {
		return defaultKind
	}
	return r.Kind
}

var _ component.Config = (*Config)(nil)

// Validate checks the configuration; every error names the rule (by index and id) and the key.
func (cfg *Config) Validate() error {
	var errs []error
	if len(cfg.Rules) == 0 {
		errs = append(errs, errors.New("rules: at least one rule is required"))
	}
	if cfg.MaxLateness < 0 {
		errs = append(errs, fmt.Errorf("max_lateness: must not be negative, got %s", cfg.MaxLateness))
	}
	if cfg.MaxGroupsPerRule < 1 {
		errs = append(errs, fmt.Errorf("max_groups_per_rule: must be at least 1, got %d", cfg.MaxGroupsPerRule))
	}
	if cfg.MaxSampleEventIDs < 0 || cfg.MaxSampleEventIDs > maxSampleEventIDsLimit {
		errs = append(errs, fmt.Errorf("max_sample_event_ids: must be 0..%d, got %d", maxSampleEventIDsLimit, cfg.MaxSampleEventIDs))
	}
	if cfg.Storage != nil && cfg.CheckpointInterval <= 0 {
		errs = append(errs, fmt.Errorf("checkpoint_interval: must be positive when storage is set, got %s", cfg.CheckpointInterval))
	}
	if cfg.MaxPendingAlerts < 0 {
		errs = append(errs, fmt.Errorf("max_pending_alerts: must not be negative, got %d", cfg.MaxPendingAlerts))
	}
	if cfg.TickInterval < minTickInterval || cfg.TickInterval > maxTickInterval {
		errs = append(errs, fmt.Errorf("tick_interval: must be %s..%s, got %s", minTickInterval, maxTickInterval, cfg.TickInterval))
	}
	seen := map[string]int{}
	for i := range cfg.Rules {
		r := &cfg.Rules[i]
		where := fmt.Sprintf("rules[%d] (id %q)", i, r.ID)
		if !ruleIDPattern.MatchString(r.ID) {
			errs = append(errs, fmt.Errorf("%s: id: must match %s", where, ruleIDPattern))
		} else if j, dup := seen[r.ID]; dup {
			errs = append(errs, fmt.Errorf("%s: id: duplicates rules[%d]", where, j))
		} else {
			seen[r.ID] = i
		}
		if r.Name == "" {
			errs = append(errs, fmt.Errorf("%s: name: must not be empty", where))
		}
		if r.Condition == "" {
			errs = append(errs, fmt.Errorf("%s: condition: must not be empty", where))
		} else if _, err := compileCondition(r.Condition); err != nil {
			errs = append(errs, fmt.Errorf("%s: condition: %w", where, err))
		}
		if r.Window <= 0 {
			errs = append(errs, fmt.Errorf("%s: window: must be positive, got %s", where, r.Window))
		}
		if !r.Severity.Valid() {
			errs = append(errs, fmt.Errorf("%s: severity: must be low, medium, high or critical, got %q", where, r.Severity))
		}
		keys := map[string]bool{}
		for _, k := range r.GroupBy {
			f, ok := secevent.FieldByKey(k)
			switch {
			case !ok:
				errs = append(errs, fmt.Errorf("%s: group_by: %q is not a key of the security-event schema", where, k))
			case f.Place == secevent.PlaceRecord:
				errs = append(errs, fmt.Errorf("%s: group_by: %q is a LogRecord field, not an attribute", where, k))
			case keys[k]:
				errs = append(errs, fmt.Errorf("%s: group_by: %q is listed twice", where, k))
			}
			keys[k] = true
		}
		for _, err := range validateKind(r) {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
	}
	return errors.Join(errs...)
}
