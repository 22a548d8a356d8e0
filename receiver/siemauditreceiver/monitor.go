package siemauditreceiver // import "github.com/unified-ot/otelcol-siem/receiver/siemauditreceiver"

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/internal/pipelinehealth"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// monitor turns successive pipelinehealth snapshots into audit events. It holds no clock: the
// time is the snapshot's, so that tests drive it with a fake one. Not safe for concurrent use.
type monitor struct {
	cfg     *Config
	started time.Time

	nextHeartbeat time.Time
	heartbeats    int64
	lastBeat      time.Time
	// beatBase is each exporter's counters at the last heartbeat (zero before the first).
	beatBase map[component.ID]pipelinehealth.ExporterState

	exporters map[component.ID]*exporterWatch
	storage   map[string]*rateWatch
}

// exporterWatch is what the monitor remembers of one exporter between snapshots.
type exporterWatch struct {
	// registration is the registration whose counters refused and dropped have seen.
	registration uint64
	// outageStart is the start of the outage reported unreachable and not yet recovered.
	outageStart time.Time
	refused     rateWatch
	dropped     map[string]*rateWatch
	// fillReported is when queue_filling was last written.
	fillReported time.Time
}

// rateWatch rate-limits the records about one cumulative counter: at most one per
// report_interval, carrying what the counter grew by since the last.
type rateWatch struct {
	reported int64
	at       time.Time
}

func newMonitor(cfg *Config, started time.Time) *monitor {
	return &monitor{
		cfg: cfg, started: started, lastBeat: started,
		nextHeartbeat: started.Add(cfg.HeartbeatInterval),
		beatBase:      map[component.ID]pipelinehealth.ExporterState{},
		exporters:     map[component.ID]*exporterWatch{},
		storage:       map[string]*rateWatch{},
	}
}

// watchFor returns the rateWatch of key in ws, adding it on first use.
func watchFor(ws map[string]*rateWatch, key string) *rateWatch {
	w := ws[key]
	if w == nil {
		w = &rateWatch{}
		ws[key] = w
	}
	return w
}

// due is the growth of counter cur since w's last report, if a record may be written now. The
// counter only grows (a replaced reporter's restart is handled by the caller).
func (m *monitor) due(w *rateWatch, cur int64, now time.Time) (n int64, windowStart time.Time, ok bool) {
	n = cur - w.reported
	if n <= 0 || (!w.at.IsZero() && now.Sub(w.at) < m.cfg.ReportInterval) {
		return 0, time.Time{}, false
	}
	windowStart = w.at
	if windowStart.IsZero() {
		windowStart = m.started
	}
	w.reported, w.at = cur, now
	return n, windowStart, true
}

// step returns the events snapshot s calls for, oldest first.
func (m *monitor) step(s pipelinehealth.Snapshot) []event {
	now := s.At
	var evs []event
	seen := make(map[component.ID]bool, len(s.Exporters))
	for _, st := range s.Exporters {
		seen[st.ID] = true
		w := m.exporters[st.ID]
		if w == nil {
			w = &exporterWatch{dropped: map[string]*rateWatch{}}
			m.exporters[st.ID] = w
		}
		evs = append(evs, m.stepExporter(w, st, now)...)
	}
	for id := range m.exporters {
		if !seen[id] {
			delete(m.exporters, id)
			delete(m.beatBase, id)
		}
	}
	clients := slices.Sorted(maps.Keys(s.StorageDamaged))
	for _, c := range clients {
		if n, from, ok := m.due(watchFor(m.storage, c), s.StorageDamaged[c], now); ok {
			evs = append(evs, newEvent(now, ActionDropped, secevent.OutcomeFailure, plog.SeverityNumberError,
				fmt.Sprintf("%d damaged stored writes of %s skipped at read (each a batch of queued records, or queue bookkeeping): what they held is lost", n, c),
				map[string]any{secevent.KeyAuditStorageClient: c, secevent.KeyAuditCount: n, secevent.KeyAuditWindowStart: rfc3339(from)}).withReason(pipelinehealth.ReasonStorageDamaged))
		}
	}
	if !now.Before(m.nextHeartbeat) {
		evs = append(evs, m.heartbeat(s, ActionHeartbeat))
		m.nextHeartbeat = m.nextHeartbeat.Add(m.cfg.HeartbeatInterval)
		if !m.nextHeartbeat.After(now) { // fell behind (the process was stopped): no burst of heartbeats
			m.nextHeartbeat = now.Add(m.cfg.HeartbeatInterval)
		}
	}
	return evs
}

func (ev event) withReason(r string) event {
	ev.reason = r
	return ev
}

func (m *monitor) stepExporter(w *exporterWatch, st pipelinehealth.ExporterState, now time.Time) []event {
	var evs []event
	id := st.ID.String()
	if w.registration != st.Registration {
		// The reporter was replaced (configuration reloaded): its counts restarted from zero.
		w.registration = st.Registration
		w.refused.reported = 0
		for _, rw := range w.dropped {
			rw.reported = 0
		}
	}
	// An outage reported unreachable ends with a recovered record, at the time it ended: before any
	// record about a newer outage.
	if !w.outageStart.IsZero() {
		for _, o := range st.Ended {
			if o.Start.Equal(w.outageStart) {
				evs = append(evs, newEvent(o.End, ActionRecovered, secevent.OutcomeSuccess, plog.SeverityNumberInfo,
					fmt.Sprintf("Destination of %s reachable again after %s; %d records were queued meanwhile", id, o.End.Sub(o.Start).Round(time.Millisecond), o.QueuedDuring),
					map[string]any{
						secevent.KeyAuditExporter: id, secevent.KeyAuditOutageStart: rfc3339(o.Start), secevent.KeyAuditOutageMillis: o.End.Sub(o.Start).Milliseconds(),
						secevent.KeyAuditRecordsQueued: o.QueuedDuring, secevent.KeyAuditFailedSends: o.FailedSends,
					}).withReason(o.LastError))
				w.outageStart = time.Time{}
				break
			}
		}
		if !w.outageStart.IsZero() && !st.FailingSince.Equal(w.outageStart) {
			// The outage is no longer known (its reporter was replaced): nothing true to say about its end.
			w.outageStart = time.Time{}
		}
	}
	if w.outageStart.IsZero() && !st.FailingSince.IsZero() && now.Sub(st.FailingSince) >= m.cfg.UnreachableAfter {
		down := now.Sub(st.FailingSince)
		evs = append(evs, newEvent(now, ActionUnreachable, secevent.OutcomeFailure, plog.SeverityNumberError,
			fmt.Sprintf("Destination of %s unreachable for %s (%s); records wait in its queue", id, down.Round(time.Millisecond), st.LastError),
			map[string]any{
				secevent.KeyAuditExporter: id, secevent.KeyAuditOutageStart: rfc3339(st.FailingSince), secevent.KeyAuditOutageMillis: down.Milliseconds(),
				secevent.KeyAuditFailedSends: st.FailedSends, secevent.KeyAuditRecordsQueued: st.In - st.InAtFailure,
				secevent.KeyAuditUnreachableAfter: int64(m.cfg.UnreachableAfter / time.Second),
			}).withReason(st.LastError))
		w.outageStart = st.FailingSince
	}
	if n, from, ok := m.due(&w.refused, st.Refused, now); ok {
		evs = append(evs, newEvent(now, ActionRefused, secevent.OutcomeFailure, plog.SeverityNumberWarn,
			fmt.Sprintf("%d records refused by the sending queue of %s (full, or its storage refused them); their senders were told to retry", n, id),
			map[string]any{secevent.KeyAuditExporter: id, secevent.KeyAuditCount: n, secevent.KeyAuditWindowStart: rfc3339(from)}).withReason("queue_refused"))
	}
	reasons := slices.Sorted(maps.Keys(st.Dropped))
	for _, r := range reasons {
		if n, from, ok := m.due(watchFor(w.dropped, r), st.Dropped[r], now); ok {
			evs = append(evs, newEvent(now, ActionDropped, secevent.OutcomeFailure, plog.SeverityNumberError,
				fmt.Sprintf("%d records dropped by %s (%s)", n, id, r),
				map[string]any{secevent.KeyAuditExporter: id, secevent.KeyAuditCount: n, secevent.KeyAuditWindowStart: rfc3339(from)}).withReason(r))
		}
	}
	if st.Capacity > 0 {
		q := st.Queued()
		pct := float64(q) * 100 / float64(st.Capacity)
		if pct >= m.cfg.QueueFillPercent && (w.fillReported.IsZero() || now.Sub(w.fillReported) >= m.cfg.ReportInterval) {
			w.fillReported = now
			evs = append(evs, newEvent(now, ActionQueueFill, secevent.OutcomeDegraded, plog.SeverityNumberWarn,
				fmt.Sprintf("Sending queue of %s is %.1f%% full (%d of %d records)", id, pct, q, st.Capacity),
				map[string]any{secevent.KeyAuditExporter: id, secevent.KeyAuditRecordsQueued: q, secevent.KeyAuditQueueCapacity: st.Capacity, secevent.KeyAuditQueueFillPercent: int64(pct)}))
		}
	}
	return evs
}

// heartbeat is a heartbeat (or, at the end, collector_stopping) record with the counters since
// the last heartbeat, and moves the base of the next one to s.
func (m *monitor) heartbeat(s pipelinehealth.Snapshot, action string) event {
	now := s.At
	var in, out, refused, dropped, queued int64
	perExporter := make(map[string]any, len(s.Exporters))
	for _, st := range s.Exporters {
		base := m.beatBase[st.ID]
		if base.Registration != st.Registration { // a new reporter (or a replaced one): from zero
			base = pipelinehealth.ExporterState{}
		}
		var d, baseD int64
		for _, n := range st.Dropped {
			d += n
		}
		for _, n := range base.Dropped {
			baseD += n
		}
		state := "ok"
		switch w := m.exporters[st.ID]; {
		case w != nil && !w.outageStart.IsZero():
			state = "unreachable"
		case !st.FailingSince.IsZero():
			state = "failing"
		}
		e := map[string]any{
			"records_in": st.In - base.In, "records_out": st.Out - base.Out,
			"records_refused": st.Refused - base.Refused, "records_dropped": d - baseD,
			"records_queued": st.Queued(), "state": state,
		}
		if st.Capacity > 0 {
			e["queue_capacity"] = st.Capacity
		}
		perExporter[st.ID.String()] = e
		in += st.In - base.In
		out += st.Out - base.Out
		refused += st.Refused - base.Refused
		dropped += d - baseD
		queued += st.Queued()
		m.beatBase[st.ID] = st
	}
	attrs := map[string]any{
		secevent.KeyAuditRecordsIn: in, secevent.KeyAuditRecordsOut: out, secevent.KeyAuditRecordsRefused: refused, secevent.KeyAuditRecordsDropped: dropped,
		secevent.KeyAuditRecordsQueued: queued, secevent.KeyAuditExporters: perExporter, secevent.KeyAuditWindowStart: rfc3339(m.lastBeat),
		secevent.KeyAuditHeartbeatInterval: int64(m.cfg.HeartbeatInterval / time.Second),
		secevent.KeyAuditUptimeSeconds:     wholeSeconds(now.Sub(m.started)),
	}
	m.lastBeat = now
	if action == ActionHeartbeat {
		m.heartbeats++
		attrs[secevent.KeyAuditHeartbeatSequence] = m.heartbeats
		return newEvent(now, ActionHeartbeat, secevent.OutcomeSuccess, plog.SeverityNumberInfo,
			fmt.Sprintf("Heartbeat %d: %d records in, %d delivered, %d refused, %d dropped since %s; %d queued",
				m.heartbeats, in, out, refused, dropped, attrs[secevent.KeyAuditWindowStart], queued), attrs)
	}
	return newEvent(now, ActionStopping, secevent.OutcomeInitiated, plog.SeverityNumberWarn,
		fmt.Sprintf("Collector stopping after %s: %d records in, %d delivered, %d refused, %d dropped since the last heartbeat; %d queued",
			now.Sub(m.started).Round(time.Second), in, out, refused, dropped, queued), attrs)
}
