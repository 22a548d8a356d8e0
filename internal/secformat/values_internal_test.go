package secformat

import (
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
