package pipelinehealth

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
)

func TestHub(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := New(func() time.Time { return now })
	a := h.Register(component.MustNewID("b_exporter"), 100)
	h.Register(component.MustNewID("a_exporter"), 0)
	s := h.Snapshot()
	require.Len(t, s.Exporters, 2)
	assert.Equal(t, "a_exporter", s.Exporters[0].ID.String(), "sorted by id")
	assert.Equal(t, now, s.At)

	a.Accepted(5)
	a.Refused(2)
	a.Dropped(1, ReasonFormatFailed)
	a.Dropped(0, ReasonRejected)
	st := h.Snapshot().Exporters[1]
	assert.EqualValues(t, 3, st.In)
	assert.EqualValues(t, 2, st.Refused)
	assert.Equal(t, map[string]int64{ReasonFormatFailed: 1}, st.Dropped)
	assert.EqualValues(t, 2, st.Queued())

	// Outages: the ended ones are kept, the last maxEndedOutages of them.
	for i := range maxEndedOutages + 3 {
		a.SendFailed("timeout")
		a.Accepted(i)
		now = now.Add(time.Second)
		a.Delivered(0)
	}
	st = h.Snapshot().Exporters[1]
	require.Len(t, st.Ended, maxEndedOutages)
	last := st.Ended[maxEndedOutages-1]
	assert.EqualValues(t, maxEndedOutages+2, last.QueuedDuring)
	assert.Equal(t, time.Second, last.End.Sub(last.Start))
	assert.Equal(t, "timeout", last.LastError)
	assert.EqualValues(t, 1, last.FailedSends)

	// A replaced registration is not removed by the old one's Unregister.
	b := h.Register(component.MustNewID("b_exporter"), 100)
	h.Unregister(a)
	require.Len(t, h.Snapshot().Exporters, 2)
	assert.Zero(t, h.Snapshot().Exporters[1].In, "counters restart with the new registration")
	h.Unregister(b)
	assert.Len(t, h.Snapshot().Exporters, 1)

	h.StorageDamaged("c", 2)
	h.StorageDamaged("c", 0)
	h.StorageDamaged("c", 1)
	assert.Equal(t, map[string]int64{"c": 3}, h.Snapshot().StorageDamaged)
	assert.Same(t, defaultHub, Default())
}
