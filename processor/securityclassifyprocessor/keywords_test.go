package securityclassifyprocessor

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unified-ot/otelcol-siem/secevent"
)

func TestKeywordMatcher(t *testing.T) {
	m, err := newKeywordMatcher([]KeywordConfig{
		{Category: "authentication", Any: []string{"login", "logged out", "two factor*"}},
		{Category: "network", All: []string{"link", "down"}},
		{Category: "availability", All: []string{"circuit breaker*"}, Any: []string{"open*", "tripped"}},
		{Category: "credential_access", Any: []string{"mot de passe", "schlüssel"}},
		{Category: "configuration", Any: []string{"config*"}},
	})
	require.NoError(t, err)
	tests := map[string]secevent.Category{
		"User LOGIN ok":                      "authentication",
		"login":                              "authentication",
		"(login)":                            "authentication",
		"LOGIN_FAILED":                       "authentication",
		"weblogin":                           "",
		"logins":                             "",
		"user logged   out":                  "authentication",
		"user logged-out":                    "authentication",
		"user logged":                        "",
		"logged in":                          "",
		"Two-Factor-Authentication done":     "authentication",
		"two factors":                        "authentication",
		"link eth0 down":                     "network",
		"down link":                          "network", // all: any order
		"link up":                            "",
		"Circuit breakers opened":            "availability",
		"circuit breaker closed":             "",
		"mot de passe changé":                "credential_access",
		"Schlüssel gelesen":                  "credential_access",
		"the config and the login":           "authentication", // first rule in order
		"reconfigured":                       "",
		"Configuration":                      "configuration",
		"":                                   "",
		strings.Repeat("x", 100) + " config": "configuration",
		"config" + strings.Repeat("y", 100):  "configuration",
		"\xff\xfe login \x00":                "authentication",
	}
	for text, want := range tests {
		got, ok := m.match(text)
		assert.Equal(t, want != "", ok, "%q", text)
		assert.Equal(t, want, got, "%q", text)
	}
}

func TestKeywordMatcherNoRules(t *testing.T) {
	m, err := newKeywordMatcher(nil)
	require.NoError(t, err)
	_, ok := m.match("login")
	assert.False(t, ok)
}

func TestKeywordMatchDoesNotAllocate(t *testing.T) {
	m, err := newKeywordMatcher(DefaultKeywords())
	require.NoError(t, err)
	allocs := testing.AllocsPerRun(100, func() {
		if c, _ := m.match("Repeated connection failures to 10.20.1.5:4840"); c != secevent.CategoryNetwork {
			panic(c)
		}
	})
	assert.Zero(t, allocs)
}
