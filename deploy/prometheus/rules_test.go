package prometheus_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The collector's own metrics the rules use (exporterhelper, receiverhelper; as the built binary
// exposes them on :8888, counters without a _total suffix) and Prometheus' own.
var collectorMetrics = []string{
	"up",
	"otelcol_exporter_queue_size",
	"otelcol_exporter_queue_capacity",
	"otelcol_exporter_sent_log_records",
	"otelcol_receiver_refused_log_records",
	"otelcol_receiver_accepted_log_records",
}

var (
	metricInRule = regexp.MustCompile(`\b(otelcol_[a-z0-9_]+|up)\b`)
	nameRegexp   = regexp.MustCompile(`__name__=~"([^"]+)"`)
	goLiteral    = regexp.MustCompile(`"((?:otelcol)?_[a-z0-9_]+)"`)
)

// projectMetrics is every metric name this repository's components can export: the string
// literals of their metric names in non-test Go files, and every prefix (MetricPrefix constants)
// joined with every suffix (the shared instruments of internal/delivery).
func projectMetrics(t *testing.T) map[string]bool {
	t.Helper()
	var full, suffixes []string
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), "_") || d.Name() == "test" || d.Name() == ".git") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range goLiteral.FindAllStringSubmatch(string(src), -1) {
			if strings.HasPrefix(m[1], "otelcol_") {
				full = append(full, m[1])
			} else {
				suffixes = append(suffixes, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range full {
		names[f] = true
		for _, s := range suffixes {
			names[f+s] = true
		}
	}
	for _, c := range collectorMetrics {
		names[c] = true
	}
	return names
}

// Every metric a rule, its test or a dashboard query names is one the binary exports: a renamed
// metric must fail here, not silently disarm an alert or blank a panel.
func TestRulesNameExportedMetrics(t *testing.T) {
	known := projectMetrics(t)
	for _, file := range []string{"otelcol-siem.rules.yaml", "otelcol-siem.rules.test.yaml"} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		checkMetricNames(t, file, string(raw), known)
	}
	checkMetricNames(t, dashboardFile, strings.Join(dashboardQueries(t), "\n"), known)
}

func checkMetricNames(t *testing.T, file, text string, known map[string]bool) {
	t.Helper()
	for _, m := range nameRegexp.FindAllStringSubmatch(text, -1) {
		re := regexp.MustCompile("^(?:" + m[1] + ")$")
		matched := false
		for name := range known {
			matched = matched || re.MatchString(name)
		}
		if !matched {
			t.Errorf("%s: __name__=~%q matches no exported metric", file, m[1])
		}
	}
	for _, m := range metricInRule.FindAllString(nameRegexp.ReplaceAllString(text, ""), -1) {
		if !known[m] {
			t.Errorf("%s names %s, which no component exports", file, m)
		}
	}
}

const dashboardFile = "../grafana/otelcol-siem.dashboard.json"

// dashboardQueries returns the PromQL of every panel of the Grafana dashboard.
func dashboardQueries(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s does not load: %v", dashboardFile, err)
	}
	if d.Title == "" || d.UID == "" || len(d.Panels) == 0 {
		t.Fatalf("%s: no title, uid or panels", dashboardFile)
	}
	var exprs []string
	for _, p := range d.Panels {
		if p.Title == "" || len(p.Targets) == 0 {
			t.Errorf("panel %q has no title or no query", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	return exprs
}

func TestDashboardLoads(t *testing.T) {
	if n := len(dashboardQueries(t)); n < 10 {
		t.Errorf("the dashboard has %d queries", n)
	}
}
