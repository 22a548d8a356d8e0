package secevent

import (
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated table in docs/security-event-schema.md")

const (
	docPath    = "../docs/security-event-schema.md"
	tableBegin = "<!-- BEGIN GENERATED TABLE: go test ./secevent -run TestSchemaDocInSync -update -->"
	tableEnd   = "<!-- END GENERATED TABLE -->"
)

func renderTable() string {
	var b strings.Builder
	b.WriteString("| canonical key | where | type | allowed values | seed / producer aliases | CEF | JSON / HEC field | meaning |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
	for _, f := range Fields {
		aliases := make([]string, len(f.SeedAliases))
		for i, a := range f.SeedAliases {
			aliases[i] = "`" + a + "`"
		}
		b.WriteString("| `" + f.Key + "` | " + string(f.Place) + " | " + cell(string(f.Type)) + " | " + cell(f.Allowed) + " | " +
			strings.Join(aliases, ", ") + " | " + cell(f.CEF) + " | `" + f.JSON + "` | " + cell(f.Description) + " |\n")
	}
	return b.String()
}

// TestSchemaDocInSync keeps docs/security-event-schema.md's table equal to Fields.
func TestSchemaDocInSync(t *testing.T) {
	raw, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, tableBegin), strings.Index(doc, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the generated-table markers", docPath)
	}
	want := tableBegin + "\n" + renderTable() + tableEnd
	got := doc[i : j+len(tableEnd)]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(docPath, []byte(doc[:i]+want+doc[j+len(tableEnd):]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("%s is out of date with secevent.Fields; run: go test ./secevent -run TestSchemaDocInSync -update", docPath)
}

func TestFieldsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	aliasOwner := map[string]string{}
	for _, f := range Fields {
		if f.Key == "" || f.Type == "" || f.Place == "" || f.JSON == "" || f.CEF == "" || f.Description == "" {
			t.Errorf("field %q has an empty column: %+v", f.Key, f)
		}
		if seen[f.Key] {
			t.Errorf("duplicate key %q", f.Key)
		}
		seen[f.Key] = true
		for _, a := range f.SeedAliases {
			if prev, ok := aliasOwner[a]; ok {
				t.Errorf("alias %q claimed by %q and %q", a, prev, f.Key)
			}
			aliasOwner[a] = f.Key
		}
	}
}

func TestSeedAliasesCoverTheSeed(t *testing.T) {
	// Every extra key the seed's Task 2 passes, except target (placed by PlaceTarget).
	want := map[string]string{
		"event_type":          KeyCategory,
		"user":                KeyUserName,
		"action":              KeyAction,
		"result":              KeyOutcome,
		"source_ip":           KeySourceAddress,
		"failure_reason":      KeyReason,
		"mfa_completed":       KeyMFACompleted,
		"required_permission": KeyPermission,
		"permission":          KeyPermission,
		"user_role":           KeyUserRoles,
		"changes":             KeyConfigChanges,
		"failure_count":       KeyFailureCount,
	}
	got := SeedAliases()
	for alias, key := range want {
		if got[alias] != key {
			t.Errorf("alias %q -> %q, want %q", alias, got[alias], key)
		}
	}
	if _, ok := got["target"]; ok {
		t.Error("target must not have a fixed alias")
	}
	for alias, key := range got {
		if _, ok := FieldByKey(key); !ok {
			t.Errorf("alias %q points at unknown key %q", alias, key)
		}
	}
}

func TestCategoriesAndOutcomes(t *testing.T) {
	if n := len(Categories()); n != 9 {
		t.Fatalf("want 9 categories, got %d", n)
	}
	for _, c := range Categories() {
		if !c.Valid() {
			t.Errorf("%q not valid", c)
		}
	}
	for _, bad := range []Category{"", "Authentication", "auth", "alerts", "Audit"} {
		if bad.Valid() {
			t.Errorf("%q accepted", bad)
		}
	}
	cases := map[string]Outcome{
		"success": OutcomeSuccess, "failure": OutcomeFailure, "denied": OutcomeDenied,
		"degraded_service": OutcomeDegraded, "repeated_failure": OutcomeFailure, "initiated": OutcomeInitiated,
	}
	for in, want := range cases {
		if got, ok := NormalizeOutcome(in); !ok || got != want {
			t.Errorf("NormalizeOutcome(%q) = %q,%v want %q", in, got, ok, want)
		}
	}
	if got, ok := NormalizeOutcome("exploded"); ok || got != OutcomeUnknown {
		t.Errorf("unknown word: got %q,%v", got, ok)
	}
	if EventName(CategoryAuthentication, ActionLogin) != "security.authentication.login" || EventName(CategoryAlert, "") != "security.alert" {
		t.Error("EventName")
	}
}

func TestPlaceTarget(t *testing.T) {
	cases := []struct {
		cat    Category
		target string
		want   TargetPlacement
	}{
		// The seed's six call sites.
		{CategoryAuthorization, "/api/sources/delete", TargetPlacement{KeyURLPath, "/api/sources/delete", 0}},
		{CategoryConfiguration, "zerobus_config", TargetPlacement{KeyConfigKey, "zerobus_config", 0}},
		{CategoryConfiguration, "plc.line1.example", TargetPlacement{KeyConfigKey, "plc.line1.example", 0}},
		{CategoryNetwork, "workspace.cloud.example.com", TargetPlacement{KeyServerAddress, "workspace.cloud.example.com", 0}},
		{CategoryAvailability, "zerobus-gw", TargetPlacement{KeyServerAddress, "zerobus-gw", 0}},
		{CategoryCredentialAccess, "opcua/plc1/password", TargetPlacement{KeyCredentialName, "opcua/plc1/password", 0}},
		{CategoryOperational, "10.20.0.0/16", TargetPlacement{KeyNetworkRange, "10.20.0.0/16", 0}},
		{CategoryNetwork, "192.168.1.50:502", TargetPlacement{KeyServerAddress, "192.168.1.50", 502}},
		// Shapes.
		{CategoryOperational, "fd00::1", TargetPlacement{KeyServerAddress, "fd00::1", 0}},
		{CategoryOperational, "[fd00::1]:4840", TargetPlacement{KeyServerAddress, "fd00::1", 4840}},
		{CategoryOperational, "plc7:102", TargetPlacement{KeyServerAddress, "plc7", 102}},
		{CategoryOperational, "https://x.example/a?b", TargetPlacement{KeyURLFull, "https://x.example/a?b", 0}},
		{CategoryOperational, "fd00::/8", TargetPlacement{KeyNetworkRange, "fd00::/8", 0}},
		{CategoryOperational, "pump station 4", TargetPlacement{KeyTarget, "pump station 4", 0}},
		{CategoryOperational, "plc7", TargetPlacement{KeyTarget, "plc7", 0}},
		{CategoryOperational, "plc7:99999", TargetPlacement{KeyTarget, "plc7:99999", 0}},
		{CategoryOperational, "", TargetPlacement{KeyTarget, "", 0}},
		{CategoryOperational, "a/b", TargetPlacement{KeyTarget, "a/b", 0}},
	}
	for _, c := range cases {
		if got := PlaceTarget(c.cat, c.target); got != c.want {
			t.Errorf("PlaceTarget(%s, %q) = %+v, want %+v", c.cat, c.target, got, c.want)
		}
	}
}

func FuzzPlaceTarget(f *testing.F) {
	for _, s := range []string{"10.0.0.1", "[::1]:1", "/p", "a.b", "x:1", "1.2.3.0/24"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range Categories() {
			p := PlaceTarget(c, s)
			if _, ok := FieldByKey(p.Key); !ok {
				t.Fatalf("PlaceTarget(%s,%q) chose unknown key %q", c, s, p.Key)
			}
			if p.Port < 0 || p.Port > 65535 || (p.Port != 0 && p.Key != KeyServerAddress) {
				t.Fatalf("bad port in %+v", p)
			}
		}
	})
}
