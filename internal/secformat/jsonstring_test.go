package secformat

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAppendJSONStringMaxStaysValidAndBounded(t *testing.T) {
	inputs := []string{"plain text", "quote \" backslash \\ newline \n tab \t", "ünïcödé ✓ \u2028", "\x00\x01\x7f", "bad \xff utf8", strings.Repeat("x\"", 200)}
	for _, s := range inputs {
		full := AppendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(full, &back); err != nil {
			t.Fatalf("AppendJSONString(%q) = %s: %v", s, full, err)
		}
		for max := 0; max <= len(full)+2; max++ {
			out, cut := AppendJSONStringMax([]byte("prefix"), s, max)
			lit := out[len("prefix"):]
			if err := json.Unmarshal(lit, &back); err != nil {
				t.Fatalf("max %d: %s is not a JSON string: %v", max, lit, err)
			}
			if cut != (len(full) > max) {
				t.Fatalf("max %d: cut = %v for a literal of %d bytes", max, cut, len(full))
			}
			if cut && len(lit) > max && len(lit) != 2 {
				t.Fatalf("max %d: literal of %d bytes: %s", max, len(lit), lit)
			}
			if cut && len(lit) > 2 && !strings.HasSuffix(back, TruncationMarker) {
				t.Fatalf("max %d: cut string %q lacks the marker", max, back)
			}
		}
	}
}
