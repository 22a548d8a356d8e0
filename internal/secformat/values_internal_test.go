package secformat

import (
	"math"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// isIPAddress decides between src and shost (dst and dhost): it must accept exactly what net/netip
// accepts without a zone, which this compares on hand-picked and random strings over the literal
// alphabet.
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

// The timestamp texts: RFC 3339 in UTC with exactly 6 (syslog) or 9 (JSON) fractional digits, and
// RFC 3164's, at the epoch, a leap day, and the ends of the range (a Timestamp of 2^63 ns or more
// reads as a negative int64: before 1970).
func TestTimestampText(t *testing.T) {
	for _, c := range []struct {
		ts                 pcommon.Timestamp
		micro, nano, stamp string
	}{
		{1, "1970-01-01T00:00:00.000000Z", "1970-01-01T00:00:00.000000001Z", "Jan  1 00:00:00"},
		{999, "1970-01-01T00:00:00.000000Z", "1970-01-01T00:00:00.000000999Z", "Jan  1 00:00:00"},
		{1795688102123456789, "2026-11-26T10:15:02.123456Z", "2026-11-26T10:15:02.123456789Z", "Nov 26 10:15:02"},
		{1795688102120000000, "2026-11-26T10:15:02.120000Z", "2026-11-26T10:15:02.120000000Z", "Nov 26 10:15:02"},
		{951782400e9 + 1, "2000-02-29T00:00:00.000000Z", "2000-02-29T00:00:00.000000001Z", "Feb 29 00:00:00"},
		{math.MaxInt64, "2262-04-11T23:47:16.854775Z", "2262-04-11T23:47:16.854775807Z", "Apr 11 23:47:16"},
		{1 << 63, "1677-09-21T00:12:43.145224Z", "1677-09-21T00:12:43.145224192Z", "Sep 21 00:12:43"},
		{math.MaxUint64, "1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999999Z", "Dec 31 23:59:59"},
	} {
		assert.Equal(t, c.micro, string(appendRFC3339(nil, c.ts, 6)), "%d", c.ts)
		assert.Equal(t, c.nano, string(appendRFC3339(nil, c.ts, 9)), "%d", c.ts)
		assert.Equal(t, c.stamp, string(appendTime(nil, c.ts, time.Stamp)), "%d", c.ts)
	}
}

// appendRFC3339 writes what time.Time.AppendFormat writes for the same layout, at any time.
func TestAppendRFC3339MatchesAppendFormat(t *testing.T) {
	const micro, nano = "2006-01-02T15:04:05.000000Z07:00", "2006-01-02T15:04:05.000000000Z07:00"
	for i := 0; i < 200000; i++ {
		ts := pcommon.Timestamp(rand.Uint64())
		if i%2 == 0 { // around now, where the records are
			ts = pcommon.Timestamp(1.7e18 + rand.Int64N(2e17))
		}
		u := time.Unix(0, int64(ts)).UTC()
		if got, want := string(appendRFC3339(nil, ts, 6)), u.Format(micro); got != want {
			t.Fatalf("%d: %q, want %q", ts, got, want)
		}
		if got, want := string(appendRFC3339(nil, ts, 9)), u.Format(nano); got != want {
			t.Fatalf("%d: %q, want %q", ts, got, want)
		}
	}
}
