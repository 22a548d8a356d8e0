package securityclassifyprocessor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.yaml.in/yaml/v3"

	"github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	id := component.NewID(metadata.Type)
	if name != "" {
		id = component.NewIDWithName(metadata.Type, name)
	}
	sub, err := cm.Sub(id.String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestDefaultConfig(t *testing.T) {
	cfg := defaultConfig()
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, cfg, loadConfig(t, ""))
	assert.Equal(t, secevent.KeyCategory, cfg.Aliases["event_type"])
	assert.Equal(t, secevent.KeyOutcome, cfg.Aliases["result"])
	assert.Equal(t, secevent.RecordBody, cfg.Aliases["message"])
	assert.NotContains(t, cfg.Aliases, "target", "target is placed by secevent.PlaceTarget, not aliased")
	assert.True(t, cfg.KeepOriginalKeys)
	assert.Equal(t, "WARN", cfg.SeverityFloor.MinSeverity)
}

func TestLoadCustomConfig(t *testing.T) {
	cfg := loadConfig(t, "custom")
	require.NoError(t, confmap.Validate(cfg))
	assert.False(t, cfg.KeepOriginalKeys)
	assert.False(t, cfg.PlaceTarget)
	assert.False(t, cfg.PromoteResourceAttributes)
	// Maps merge over the defaults; "" removes an entry.
	assert.Equal(t, secevent.KeyUserName, cfg.Aliases["actor"])
	assert.Equal(t, secevent.KeyHostName, cfg.Aliases["device"])
	assert.Equal(t, "", cfg.Aliases["user"])
	assert.Equal(t, secevent.KeyCategory, cfg.Aliases["event_type"])
	// Lists replace the defaults.
	assert.Equal(t, []RuleConfig{
		{ID: "historian_audit", Condition: "appname=historian AND msg_id=AUDIT", Category: "configuration",
			Set: map[string]string{"event.action": "modify"}, Severity: "WARN"},
		{ID: "plc_stop", Condition: `body matches "(?i)plc (stopped|halted)" && severity_number >= 9`, Category: "availability"},
	}, cfg.Rules)
	assert.Equal(t, []KeywordConfig{
		{Category: "authentication", Any: []string{"login*", "logged in"}},
		{Category: "network", All: []string{"link"}, Any: []string{"down", "flapping"}},
	}, cfg.Keywords)
	assert.Equal(t, SeverityFloorConfig{MinSeverity: "ERROR", Overrides: []SeverityOverride{
		{Category: "authentication", Outcomes: []string{"success", "failure"}, MinSeverity: "INFO"},
		{Category: "alert", MinSeverity: "0"},
	}}, cfg.SeverityFloor)

	// The custom configuration works end to end.
	h := newHarness(t, cfg)
	lr := classifyOne(t, h, rec{body: "Link eth1 down", sev: plog.SeverityNumberError, attrs: map[string]any{"device": "rtu-9"}})
	assert.Equal(t, "network", attrStr(lr, secevent.KeyCategory))
	assert.Equal(t, "<absent>", attrStr(lr, "device"), "keep_original_keys: false")
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"alias to unknown key", func(c *Config) { c.Aliases["x"] = "no.such.key" }, `aliases: "x" maps to "no.such.key", which is not a key of the security-event schema`},
		{"alias to itself", func(c *Config) { c.Aliases["user.name"] = "user.name" }, `aliases: "user.name" maps to itself`},
		{"alias to timestamp", func(c *Config) { c.Aliases["ts"] = secevent.RecordTimestamp }, "only Body and SeverityNumber can be alias targets"},
		{"alias to processor key", func(c *Config) { c.Aliases["src"] = secevent.KeyClassificationSource }, "only otelcol-siem's processors write"},
		{"rule without id", func(c *Config) { c.Rules = []RuleConfig{{Condition: "a=b", Category: "network"}} }, "rules[0]: id must not be empty"},
		{"duplicate rule id", func(c *Config) {
			c.Rules = []RuleConfig{{ID: "a", Condition: "a=b", Category: "network"}, {ID: "a", Condition: "c=d", Category: "network"}}
		}, `rules[1]: id "a" is also rules[0]'s`},
		{"empty condition", func(c *Config) { c.Rules = []RuleConfig{{ID: "r", Condition: " ", Category: "network"}} }, `rules[0] (id "r"): condition must not be empty`},
		{"bad shorthand", func(c *Config) { c.Rules = []RuleConfig{{ID: "r", Condition: `user="x`, Category: "network"}} }, `rules[0] (id "r"): condition: column 6: unterminated quoted value`},
		{"bad expression", func(c *Config) {
			c.Rules = []RuleConfig{{ID: "r", Condition: `attributes["a"] == `, Category: "network"}}
		}, `rules[0] (id "r"): condition: column 19: unexpected token EOF`},
		{"non-bool expression", func(c *Config) {
			c.Rules = []RuleConfig{{ID: "r", Condition: `severity_number + 1`, Category: "network"}}
		}, "must be a boolean expression"},
		{"bad category", func(c *Config) { c.Rules = []RuleConfig{{ID: "r", Condition: "a=b", Category: "security"}} }, `category "security" is not one of authentication`},
		{"alert category", func(c *Config) { c.Rules = []RuleConfig{{ID: "r", Condition: "a=b", Category: "alert"}} }, `category "alert" is not one of`},
		{"audit category", func(c *Config) { c.Rules = []RuleConfig{{ID: "r", Condition: "a=b", Category: "audit"}} }, `category "audit" is not one of`},
		{"keyword audit category", func(c *Config) { c.Keywords = []KeywordConfig{{Category: "audit", Any: []string{"heartbeat"}}} }, `keywords[0]: category "audit" is not one of`},
		{"set unknown key", func(c *Config) {
			c.Rules = []RuleConfig{{ID: "r", Condition: "a=b", Category: "network", Set: map[string]string{"foo": "x"}}}
		}, `set: "foo" is not a schema attribute a rule may set`},
		{"set category", func(c *Config) {
			c.Rules = []RuleConfig{{ID: "r", Condition: "a=b", Category: "network", Set: map[string]string{"event.category": "x"}}}
		}, `set: "event.category" is not a schema attribute`},
		{"set int key", func(c *Config) {
			c.Rules = []RuleConfig{{ID: "r", Condition: "a=b", Category: "network", Set: map[string]string{"server.port": "22"}}}
		}, "set: server.port is of type int"},
		{"set bad outcome", func(c *Config) {
			c.Rules = []RuleConfig{{ID: "r", Condition: "a=b", Category: "network", Set: map[string]string{"event.outcome": "meh"}}}
		}, `set: event.outcome "meh" is not one of`},
		{"rule severity", func(c *Config) {
			c.Rules = []RuleConfig{{ID: "r", Condition: "a=b", Category: "network", Severity: "LOUD"}}
		}, `rules[0] (id "r"): severity: "LOUD" is neither`},
		{"keyword category", func(c *Config) { c.Keywords = []KeywordConfig{{Category: "x", Any: []string{"a"}}} }, `keywords[0]: category "x" is not one of`},
		{"keyword empty", func(c *Config) { c.Keywords = []KeywordConfig{{Category: "network"}} }, "keywords[0] (network): give at least one keyword"},
		{"keyword punctuation", func(c *Config) { c.Keywords = []KeywordConfig{{Category: "network", Any: []string{"--"}}} }, `keywords[0]: keyword "--" has no letters or digits`},
		{"keyword star inside", func(c *Config) { c.Keywords = []KeywordConfig{{Category: "network", Any: []string{"a*b"}}} }, "'*' is allowed only at the end"},
		{"keyword star alone", func(c *Config) { c.Keywords = []KeywordConfig{{Category: "network", Any: []string{"a *"}}} }, "'*' must follow a letter or digit"},
		{"too many keywords", func(c *Config) {
			var kws []string
			for i := range maxKeywords + 1 {
				kws = append(kws, "w"+strings.Repeat("x", i))
			}
			c.Keywords = []KeywordConfig{{Category: "network", Any: kws}}
		}, "257 distinct keywords, at most 256"},
		{"floor min", func(c *Config) { c.SeverityFloor.MinSeverity = "" }, "severity_floor: min_severity"},
		{"floor number", func(c *Config) { c.SeverityFloor.MinSeverity = "25" }, "nor a number 0..24"},
		{"override category", func(c *Config) { c.SeverityFloor.Overrides = []SeverityOverride{{Category: "x", MinSeverity: "INFO"}} }, `overrides[0]: category "x"`},
		{"override outcome", func(c *Config) {
			c.SeverityFloor.Overrides = []SeverityOverride{{Category: "network", Outcomes: []string{"fine"}, MinSeverity: "INFO"}}
		}, `overrides[0]: outcome "fine"`},
		{"override severity", func(c *Config) {
			c.SeverityFloor.Overrides = []SeverityOverride{{Category: "network", MinSeverity: "x"}}
		}, "overrides[0]: min_severity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaultConfig()
			tt.mutate(cfg)
			err := confmap.Validate(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// The README's default-configuration block is the factory default, word for word.
func TestReadmeDefaultsInSync(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	require.NoError(t, err)
	const begin, end = "<!-- BEGIN DEFAULT CONFIG -->\n```yaml\n", "```\n<!-- END DEFAULT CONFIG -->"
	s := string(raw)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	require.True(t, i >= 0 && j > i, "README.md lacks the default-configuration block")
	var m map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(s[i+len(begin):j]), &m))
	sub, err := confmap.NewFromStringMap(m).Sub("processors")
	require.NoError(t, err)
	sub, err = sub.Sub("security_classify")
	require.NoError(t, err)
	// Unmarshal over an empty config: the block alone must spell out the defaults.
	cfg := &Config{}
	require.NoError(t, sub.Unmarshal(cfg))
	want := defaultConfig()
	// The alias table is the schema's (secevent); the block shows only the aliases it adds.
	for k, v := range DefaultAliases() {
		if _, ok := cfg.Aliases[k]; !ok {
			if cfg.Aliases == nil {
				cfg.Aliases = map[string]string{}
			}
			cfg.Aliases[k] = v
		}
	}
	assert.Equal(t, want, cfg)
}
