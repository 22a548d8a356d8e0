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

	a.Accepted(3)
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
	assert.Greater(t, h.Snapshot().Exporters[1].Registration, st.Registration, "under a new registration number")
	h.Unregister(b)
	assert.Len(t, h.Snapshot().Exporters, 1)

	h.StorageDamaged("c", 2)
	h.StorageDamaged("c", 0)
	h.StorageDamaged("c", 1)
	assert.Equal(t, map[string]int64{"c": 3}, h.Snapshot().StorageDamaged)
	assert.Same(t, defaultHub, Default())
}

// An offer counts as accepted or refused once the queue decided; no counter ever goes down, and
// what was delivered or dropped before the offer settled proves no restored backlog.
func TestOfferSettle(t *testing.T) {
	h := New(time.Now)
	e := h.Register(component.MustNewID("x"), 10)
	state := func() ExporterState { return h.Snapshot().Exporters[0] }

	e.Offer(4)
	e.Dropped(1, ReasonFormatFailed) // the formatter drops one as the queue takes them
	e.Delivered(2)                   // and a send finishes before ConsumeLogs returns
	s := state()
	assert.Zero(t, s.In, "not accepted yet")
	assert.Zero(t, s.Restored, "offered records explain what went out")
	e.Settle(4, true)
	s = state()
	assert.EqualValues(t, 4, s.In)
	assert.Zero(t, s.Restored)
	assert.EqualValues(t, 1, s.Queued())

	e.Offer(5)
	e.Settle(5, false)
	s = state()
	assert.EqualValues(t, 4, s.In, "a refusal takes nothing back")
	assert.EqualValues(t, 5, s.Refused)
	assert.EqualValues(t, 1, s.Queued())
}

// Records a persistent queue restored at start are delivered without having been accepted: the
// backlog they prove is kept, so that Queued counts the records accepted after them.
func TestQueuedAfterRestoredBacklog(t *testing.T) {
	h := New(time.Now)
	e := h.Register(component.MustNewID("x"), 100)
	state := func() ExporterState { return h.Snapshot().Exporters[0] }

	e.Delivered(5) // restored records
	e.Dropped(2, ReasonRejected)
	s := state()
	assert.EqualValues(t, 7, s.Restored)
	assert.Zero(t, s.Queued())

	e.Accepted(3)
	s = state()
	assert.EqualValues(t, 3, s.Queued(), "the new records are queued, not hidden by the backlog")
	assert.EqualValues(t, 7, s.Restored, "a high-water mark")
	e.Delivered(2)
	assert.EqualValues(t, 1, state().Queued())
	e.Delivered(1)
	s = state()
	assert.Zero(t, s.Queued())
	assert.EqualValues(t, 7, s.Restored)
}
