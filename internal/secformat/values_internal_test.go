package secformat

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestAppendRFC3339UTC(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 11, 26, 10, 15, 2, 123456789, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 999999999, time.FixedZone("x", 3600)),
		time.Date(999, 12, 31, 23, 59, 59, 1, time.UTC),
		time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Unix(0, -1),
	} {
		assert.Equal(t, tm.UTC().Format("2006-01-02T15:04:05.000000Z07:00"), string(appendRFC3339UTC(nil, tm, 6)))
		assert.Equal(t, tm.UTC().Format("2006-01-02T15:04:05.000000000Z07:00"), string(appendRFC3339UTC(nil, tm, 9)))
	}
}

// isIPAddress has its own pre-checks and IPv4 parser; it must accept exactly what net/netip accepts
// (without a zone), which this compares on hand-picked and random strings over the literal alphabet.
func TestIsIPAddressMatchesNetip(t *testing.T) {
	ref := func(s string) bool {
		if len(s) < 2 || len(s) > 45 {
			return false
		}
		a, err := netip.ParseAddr(s)
		return err == nil && a.Zone() == ""
	}
	cases := []string{
		"192.168.1.100", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5",
		"1..2.3", ".1.2.3", "1.2.3.", "1.2.3.04", "1.2.3.0", "00.1.2.3", "1.2.3.4 ", "10", "::", "::1",
		"fe80::1%eth0", "2001:db8::68", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9",
		"ws.cloud.example.com", "abc", "a.b.c.d", "1.2.3.4%x", "999.1.1.1", "1.2.3.255", "1.2.3.2555",
	}
	for _, s := range cases {
		assert.Equal(t, ref(s), isIPAddress(s), "%q", s)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "0123456789.0123456789.:aAf%x"
	for n := 0; n < 300000; n++ {
		b := make([]byte, 1+rng.IntN(20))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		if s := string(b); ref(s) != isIPAddress(s) {
			t.Fatalf("%q: netip %v, isIPAddress %v", s, ref(s), isIPAddress(s))
		}
	}
	// Dotted fields of 0..4 digits: leading zeros, values over 255, empty, too few and too many fields.
	accepted := 0
	for n := 0; n < 100000; n++ {
		var b []byte
		for f := rng.IntN(6); f >= 0; f-- {
			for d := rng.IntN(5); d > 0; d-- {
				b = append(b, byte('0'+rng.IntN(10)))
			}
			if f > 0 {
				b = append(b, '.')
			}
		}
		s := string(b)
		if ref(s) != isIPAddress(s) {
			t.Fatalf("%q: netip %v, isIPAddress %v", s, ref(s), isIPAddress(s))
		}
		if ref(s) {
			accepted++
		}
	}
	assert.Greater(t, accepted, 200, "the generator must also produce valid addresses")
}

// The date arithmetic of appendRFC3339UnixNano against the time package, over the whole int64 range
// (negative values take the time package's path) and around the calendar's edges.
func TestAppendRFC3339UnixNano(t *testing.T) {
	ns := []int64{0, 1, 999999999, 1e9, 86400e9 - 1, 951782400e9, 951868800e9 - 1, 4107542400e9, 1795688102123456789,
		math.MaxInt64, -1, math.MinInt64, -86400e9}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200000; i++ {
		ns = append(ns, rng.Int64(), rng.Int64N(4102444800e9), -rng.Int64N(1e18))
	}
	// Every day from 1970 to 2262 once, at a random time of day.
	for d := int64(0); d < 106751; d++ {
		ns = append(ns, d*86400e9+rng.Int64N(86400e9))
	}
	for _, n := range ns {
		for _, frac := range []int{6, 9} {
			want := appendRFC3339UTC(nil, time.Unix(0, n), frac)
			if got := appendRFC3339UnixNano(nil, n, frac); string(got) != string(want) {
				t.Fatalf("%d frac %d: %s, want %s", n, frac, got, want)
			}
		}
	}
}
