package secformat

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

// appendInt and appendMillis write what strconv writes, around every power of ten and at random.
func TestAppendIntMatchesStrconv(t *testing.T) {
	ns := []int64{0, 1, 9, 10, 99, 100, math.MaxInt64, math.MinInt64, -1, -10, 65535, 51544}
	for p := int64(1); p <= 1e18; p *= 10 {
		ns = append(ns, p-1, p, p+1, -p)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := 0; i < 100000; i++ {
		ns = append(ns, rng.Int64N(1e9), rng.Int64(), -rng.Int64N(1e9))
	}
	for _, n := range ns {
		if got, want := string(appendInt([]byte("x"), n)), "x"+strconv.FormatInt(n, 10); got != want {
			t.Fatalf("appendInt(%d) = %s, want %s", n, got, want)
		}
		if n >= 0 {
			if got, want := string(appendMillis(nil, uint64(n))), strconv.FormatUint(uint64(n), 10); got != want {
				t.Fatalf("appendMillis(%d) = %s, want %s", n, got, want)
			}
		}
	}
}
