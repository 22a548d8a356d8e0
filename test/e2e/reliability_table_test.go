//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// reliabilityMu serialises appends from parallel tests of this binary.
var reliabilityMu sync.Mutex

// recordReliability appends one row `| scenario | sent | received | lost | duplicated | notes |` of
// the zero-loss table to the markdown file named by $RELIABILITY_TABLE (the header is written when
// the file is new or empty); without that variable it does nothing. Every scenario of issue 8 calls
// it once with what the receiving peer counted, so that docs/reliability.md can be produced from a
// test run instead of being written by hand.
func recordReliability(t *testing.T, scenario string, sent, received, lost, dup int, notes string) {
	t.Helper()
	path := os.Getenv("RELIABILITY_TABLE")
	if path == "" {
		return
	}
	reliabilityMu.Lock()
	defer reliabilityMu.Unlock()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Errorf("reliability table: %v", err)
		return
	}
	defer f.Close()
	var b strings.Builder
	if st, err := f.Stat(); err == nil && st.Size() == 0 {
		b.WriteString("| scenario | sent | received | lost | duplicated | notes |\n|---|---:|---:|---:|---:|---|\n")
	}
	cell := func(s string) string {
		// A '|' or a line break in a cell would break the table row.
		return strings.NewReplacer("|", `\|`, "\r", " ", "\n", " ").Replace(s)
	}
	fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %s |\n", cell(scenario), sent, received, lost, dup, cell(notes))
	if _, err := f.WriteString(b.String()); err != nil {
		t.Errorf("reliability table: %v", err)
	}
}
