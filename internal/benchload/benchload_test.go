package benchload

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/secevent"
)

func TestFailedLogins(t *testing.T) {
	reqs := FailedLogins(1200, 500, "x", time.Unix(0, 0))
	require.Len(t, reqs, 3)
	assert.Equal(t, []int{500, 500, 200}, []int{reqs[0].LogRecordCount(), reqs[1].LogRecordCount(), reqs[2].LogRecordCount()})
	lr := reqs[2].ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(199)
	id, _ := lr.Attributes().Get(secevent.KeyEventID)
	assert.Equal(t, "x-00001199", id.Str())
	user, _ := lr.Attributes().Get(secevent.KeyUserName)
	assert.Equal(t, "operator199@plant-a.example", user.Str(), "1199 mod 1000 accounts")
	assert.Equal(t, int64(1199000), lr.Timestamp().AsTime().UnixNano())
}

func TestReceived(t *testing.T) {
	got, err := Received(600, 500, "r", time.Unix(0, 0))
	require.NoError(t, err)
	require.Len(t, got, 2)
	want := FailedLogins(600, 500, "r", time.Unix(0, 0))
	for i := range got {
		// Equal content after the protobuf round trip.
		assert.Equal(t, want[i].LogRecordCount(), got[i].LogRecordCount())
		wb, _ := (&plog.JSONMarshaler{}).MarshalLogs(want[i])
		gb, _ := (&plog.JSONMarshaler{}).MarshalLogs(got[i])
		assert.JSONEq(t, string(wb), string(gb))
	}
}

func TestSiteConfig(t *testing.T) {
	conf, err := SiteConfig(filepath.Join("..", "..", "otelcol-config.yaml"), "processors::alert")
	require.NoError(t, err)
	assert.Equal(t, "queue_storage", conf.Get("storage"), "env defaults resolved")
	_, err = SiteConfig(filepath.Join("..", "..", "otelcol-config.yaml"), "processors::nonexistent")
	assert.Error(t, err)
}

func TestCountingConsumer(t *testing.T) {
	passed := 0
	next := CountingConsumer(&passed)
	for _, ld := range FailedLogins(7, 4, "count", time.Now()) {
		require.NoError(t, next.ConsumeLogs(context.Background(), ld))
	}
	assert.Equal(t, 3, passed, "the last request's records")
}

func TestUnmarshalSite(t *testing.T) {
	cfg := map[string]any{}
	site := filepath.Join("..", "..", "otelcol-config.yaml")
	require.NoError(t, UnmarshalSite(site, "processors::alert", &cfg))
	assert.Equal(t, "queue_storage", cfg["storage"], "env defaults resolved")
	assert.NotEmpty(t, cfg["rules"])
	assert.Error(t, UnmarshalSite(site, "processors::nonexistent", &cfg))
}
