// Package pipelinehealth is the in-process account of how otelcol-siem's own pipeline is doing:
// the exporters of internal/delivery report into it (records accepted into their sending queue,
// refused, dropped, and whether their sends reach the destination), queue_storage reports records
// lost to damaged storage, and the siem_audit receiver reads it to write the collector's audit
// records (destination unreachable and recovered, queue filling, records refused or dropped,
// heartbeats). It is one value per process (Default), because the collector gives components no
// other way to find each other's facts; every entry is keyed by the reporting component's id.
package pipelinehealth // import "github.com/unified-ot/otelcol-siem/internal/pipelinehealth"

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
)

// Drop reasons of DropReason-keyed counters.
const (
	// ReasonFormatFailed: a record could not be formatted for the destination.
	ReasonFormatFailed = "format_failed"
	// ReasonRejected: the destination rejected a batch for good (a permanent error).
	ReasonRejected = "rejected"
	// ReasonStorageDamaged: queued records were lost to a damaged storage file.
	ReasonStorageDamaged = "storage_damaged"
)

// maxEndedOutages bounds the outages an exporter remembers after they ended, so that a reader
// polling once a second still finds an outage that ended and a second one that started and ended
// before it looked.
const maxEndedOutages = 8

// Hub holds the reports of one process.
type Hub struct {
	now func() time.Time

	mu            sync.Mutex
	registrations uint64 // the registrations made so far: the last one's number
	exporters     map[component.ID]*Exporter
	storage       map[string]*atomic.Int64 // records lost to damaged storage, by storage client
}

var defaultHub = New(time.Now)

// Default is the process's hub, the one the collector's components report into.
func Default() *Hub { return defaultHub }

// New returns an empty hub whose times come from now (a fake clock in tests).
func New(now func() time.Time) *Hub {
	return &Hub{now: now, exporters: map[component.ID]*Exporter{}, storage: map[string]*atomic.Int64{}}
}

// Register returns the reporter of exporter id, whose sending queue holds capacity records (0:
// not counted in records, so its fill level is unknown). A second registration of the same id (a
// reloaded configuration) replaces the first: its counters start again at zero, under a new
// ExporterState.Registration.
func (h *Hub) Register(id component.ID, capacity int64) *Exporter {
	e := &Exporter{hub: h, id: id, capacity: capacity}
	h.mu.Lock()
	h.registrations++
	e.registration = h.registrations
	h.exporters[id] = e
	h.mu.Unlock()
	return e
}

// Unregister removes e (a shut-down exporter), unless another registration replaced it already.
func (h *Hub) Unregister(e *Exporter) {
	h.mu.Lock()
	if h.exporters[e.id] == e {
		delete(h.exporters, e.id)
	}
	h.mu.Unlock()
}

// StorageDamaged counts n records of the storage client (e.g. exporter_cef_syslog_siem_logs) lost
// because its stored data was damaged and skipped.
func (h *Hub) StorageDamaged(client string, n int64) {
	if n <= 0 {
		return
	}
	h.mu.Lock()
	c := h.storage[client]
	if c == nil {
		c = new(atomic.Int64)
		h.storage[client] = c
	}
	h.mu.Unlock()
	c.Add(n)
}

// Snapshot is the hub's state at one moment.
type Snapshot struct {
	At        time.Time
	Exporters []ExporterState // by id
	// StorageDamaged is the records lost to damaged storage since the process started, by client.
	StorageDamaged map[string]int64
}

// ExporterState is one exporter's counters since it was registered and its send state. Every
// counter only grows for as long as the registration lasts.
type ExporterState struct {
	ID component.ID
	// Registration numbers the registration the counters belong to: a new one (a reloaded
	// configuration) starts them again at zero. Numbers only grow within a hub.
	Registration uint64
	// Capacity is the sending queue's size in records; 0 when it is not counted in records.
	Capacity int64
	// In counts records accepted into the sending queue; Refused those the queue refused (its
	// client was told to retry); Out those delivered; Dropped those dropped for good, by reason.
	In, Refused, Out int64
	Dropped          map[string]int64
	// Restored is the least number of records the sending queue held before the registration (a
	// persistent queue's backlog from an earlier process) that the counters prove: the most that
	// the records delivered and dropped ever outnumbered those accepted and being offered. It is
	// the whole backlog once the queue has been empty.
	Restored int64
	// FailingSince is when the first of the sends that have failed since the last success failed;
	// zero when the last send succeeded (or none was made). InAtFailure is In at that moment.
	FailingSince time.Time
	InAtFailure  int64
	// LastError classifies the last failed send (e.g. connection_refused); FailedSends counts the
	// sends that failed since FailingSince.
	LastError   string
	FailedSends int64
	// Ended lists the latest outages that ended (a send succeeded), oldest first.
	Ended []Outage
}

// Queued is the records in the sending queue: accepted (and Restored), less delivered and
// dropped. It is a lower bound: records a persistent queue restored at start count only as far as
// Restored has seen them, so until the queue has been empty it can miss (part of) the backlog.
func (s ExporterState) Queued() int64 {
	q := s.In + s.Restored - s.Out
	for _, n := range s.Dropped {
		q -= n
	}
	return max(q, 0)
}

// Outage is a period in which every send of an exporter failed.
type Outage struct {
	Start, End time.Time
	// QueuedDuring is the records accepted into the queue between Start and End.
	QueuedDuring int64
	// LastError classifies the last failure before End.
	LastError   string
	FailedSends int64
}

// Snapshot returns the state of every exporter and storage client.
func (h *Hub) Snapshot() Snapshot {
	h.mu.Lock()
	exps := make([]*Exporter, 0, len(h.exporters))
	for _, e := range h.exporters {
		exps = append(exps, e)
	}
	storage := make(map[string]int64, len(h.storage))
	for k, c := range h.storage {
		storage[k] = c.Load()
	}
	h.mu.Unlock()
	sort.Slice(exps, func(i, j int) bool { return exps[i].id.String() < exps[j].id.String() })
	s := Snapshot{At: h.now(), StorageDamaged: storage, Exporters: make([]ExporterState, len(exps))}
	for i, e := range exps {
		s.Exporters[i] = e.state()
	}
	return s
}

// Exporter is one exporter's reporter. Its methods are safe for concurrent use.
type Exporter struct {
	hub          *Hub
	id           component.ID
	registration uint64
	capacity     int64

	// offering counts records offered to the queue whose outcome (Settle) is not known yet.
	in, refused, out, offering atomic.Int64

	mu           sync.Mutex
	dropped      map[string]int64
	droppedAll   int64 // the sum of dropped
	restored     int64
	failingSince time.Time
	inAtFailure  int64
	lastError    string
	failedSends  int64
	ended        []Outage
}

// Offer counts n records being offered to the sending queue, before it took them: the records
// it drops or delivers at once are then never more than it was offered. Settle must follow.
func (e *Exporter) Offer(n int) { e.offering.Add(int64(n)) }

// Settle ends the offer of n records (Offer): they count as accepted or as refused.
func (e *Exporter) Settle(n int, accepted bool) {
	if accepted {
		e.Accepted(n)
	} else {
		e.Refused(n)
	}
	e.offering.Add(-int64(n))
}

// Accepted counts n records the sending queue accepted.
func (e *Exporter) Accepted(n int) { e.in.Add(int64(n)) }

// Refused counts n records the sending queue refused (their client was told to retry).
func (e *Exporter) Refused(n int) { e.refused.Add(int64(n)) }

// noteRestored raises restored to what the counters prove the queue held before the
// registration. Called with e.mu held, after out or dropped grew. out (and dropped) are read
// before offering and in: a record delivered or dropped was counted in one of them before.
func (e *Exporter) noteRestored() {
	gone := e.out.Load() + e.droppedAll
	off := e.offering.Load()
	if r := gone - off - e.in.Load(); r > e.restored {
		e.restored = r
	}
}

// Dropped counts n records dropped for good for reason.
func (e *Exporter) Dropped(n int, reason string) {
	if n <= 0 {
		return
	}
	e.mu.Lock()
	if e.dropped == nil {
		e.dropped = map[string]int64{}
	}
	e.dropped[reason] += int64(n)
	e.droppedAll += int64(n)
	e.noteRestored()
	e.mu.Unlock()
}

// Delivered counts n records delivered: the destination is reachable. It ends an outage.
func (e *Exporter) Delivered(n int) {
	e.out.Add(int64(n))
	now := e.hub.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.noteRestored()
	if e.failingSince.IsZero() {
		return
	}
	e.ended = append(e.ended, Outage{
		Start: e.failingSince, End: now, QueuedDuring: e.in.Load() - e.inAtFailure,
		LastError: e.lastError, FailedSends: e.failedSends,
	})
	if len(e.ended) > maxEndedOutages {
		e.ended = append([]Outage(nil), e.ended[len(e.ended)-maxEndedOutages:]...)
	}
	e.failingSince = time.Time{}
	e.lastError, e.failedSends = "", 0
}

// SendFailed records a send that reached no destination; class is a short classification of the
// error (never its text, which may carry an address or a credential).
func (e *Exporter) SendFailed(class string) {
	now := e.hub.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.failingSince.IsZero() {
		e.failingSince = now
		e.inAtFailure = e.in.Load()
	}
	e.lastError = class
	e.failedSends++
}

func (e *Exporter) state() ExporterState {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.noteRestored()
	s := ExporterState{
		ID: e.id, Registration: e.registration, Capacity: e.capacity,
		Out: e.out.Load(), Refused: e.refused.Load(), In: e.in.Load(),
		Dropped:      make(map[string]int64, len(e.dropped)),
		Restored:     e.restored,
		FailingSince: e.failingSince, InAtFailure: e.inAtFailure,
		LastError: e.lastError, FailedSends: e.failedSends,
		Ended: append([]Outage(nil), e.ended...),
	}
	for k, v := range e.dropped {
		s.Dropped[k] = v
	}
	return s
}
