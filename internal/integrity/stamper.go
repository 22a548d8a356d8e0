package integrity

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/unified-ot/otelcol-siem/internal/collectorresource"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// Checkpoint kinds, the `kind:` of a checkpoint statement.
const (
	// CheckpointStart opens a new stream (no state in storage).
	CheckpointStart = "start"
	// CheckpointResume continues a stream after a clean shutdown.
	CheckpointResume = "resume"
	// CheckpointRecover continues a stream after a crash: the statement's `unconfirmed:` range
	// holds the numbers reserved before it whose enqueueing was not confirmed.
	CheckpointRecover = "recover"
	// CheckpointPeriodic is the every-N-records / every-T checkpoint.
	CheckpointPeriodic = "periodic"
	// CheckpointFinal is the last record before a clean shutdown.
	CheckpointFinal = "final"
)

// ActionCheckpoint is the event.action of checkpoint records.
const ActionCheckpoint = "integrity_checkpoint"

// storageName is the storage client's name, beside the sending queue's own client.
const storageName = "integrity"

// stateKey is the storage key of the persisted state.
const stateKey = "state"

// tickAttr marks the in-process records that ask for a checkpoint; its value is a random nonce,
// so that no incoming record can pass for one.
const tickAttr = "otsec.integrity.tick"

// Locate returns the payload of a formatted record: rec[start:end] is what the MAC covers. When
// inString, rec[start:end] is the inside of a JSON string (a HEC event sent as a string): the MAC
// covers its decoded text, which is what the SIEM keeps as the event's raw text, and the stamp is
// written into the string.
type Locate func(rec []byte) (start, end int, inString bool)

// Counters are the stamper's metrics (each exporter's telemetry.go builds them).
type Counters struct {
	Stamped, Checkpoints func(ctx context.Context, n int64)
}

// Settings build a Stamper.
type Settings struct {
	Config   Config
	ID       component.ID
	Kind     Kind
	Locate   Locate
	Logger   *zap.Logger
	Counters Counters
	// Header, when set, rewrites a formatted record's header for the sequence number it is about
	// to get (RFC 5424 meta sequenceId); it returns a new slice, rec is not changed.
	Header func(rec []byte, seqID uint64) []byte
	// Resource is the checkpoint records' resource (the collector's own identity:
	// collectorresource.New); the zero value is otelcol-siem's default one.
	Resource pcommon.Resource
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
}

// MaxStatementSize bounds a checkpoint statement: the exporters keep this much room free under
// their size limits. Void spans that do not fit are stated by the next checkpoint, which is then
// due at once.
const MaxStatementSize = 512

// Span is a run of sequence numbers [from, to].
type Span struct{ From, To uint64 }

func (s Span) String() string {
	return strconv.FormatUint(s.From, 10) + "-" + strconv.FormatUint(s.To, 10)
}

// persisted is the state kept in storage. Seq and Chain are written ahead: before the records
// they number are handed to the sending queue.
type persisted struct {
	Stream    string      `json:"stream"`
	Seq       uint64      `json:"seq"`
	Chain     string      `json:"chain"`
	Committed uint64      `json:"committed"`
	Void      [][2]uint64 `json:"void,omitempty"`
	Clean     bool        `json:"clean"`
}

// Stamper numbers, chains and checkpoints one exporter's records.
type Stamper struct {
	set    Settings
	now    func() time.Time
	nonce  string
	keyID  string
	client storage.Client

	mu     sync.Mutex
	mac    *macer
	stream string
	seq    uint64 // last number used
	chain  Chain  // chain value of record seq
	// committed: every number up to it was handed to the queue (or declared void).
	committed uint64
	pending   []pendingSpan
	// void holds the numbers of refused batches that no queued checkpoint states yet, in order.
	// A checkpoint takes the spans it states along with its batch (pendingSpan.stated); they come
	// back here if the queue refuses that batch.
	void []Span
	// stating is how many spans of void the statement being formatted lists.
	stating int
	// opening is the kind of the first checkpoint after start ("" once emitted); unconfirmed the
	// range a recover checkpoint states.
	opening     string
	unconfirmed Span
	since       int    // records stamped since the last checkpoint
	due         string // kind of a checkpoint asked for by a tick, "" when none
	statement   string // statement of the checkpoint record being formatted
	closed      bool
}

type pendingSpan struct {
	Span
	settled bool
	stated  []Span // void spans a checkpoint in this batch states
}

// New builds a stamper; Start loads its key and state.
func New(set Settings) *Stamper {
	var n [16]byte
	_, _ = rand.Read(n[:])
	s := &Stamper{set: set, now: set.Now, nonce: hex.EncodeToString(n[:])}
	if s.now == nil {
		s.now = time.Now
	}
	if s.set.Resource == (pcommon.Resource{}) {
		s.set.Resource = collectorresource.New(component.TelemetrySettings{}, component.BuildInfo{})
	}
	return s
}

// Start reads the key and opens (or begins) the stream kept in storage extension storageID.
func (s *Stamper) Start(ctx context.Context, host component.Host, storageID component.ID) error {
	key, err := ReadKey(s.set.Config.KeyFile)
	if err != nil {
		return fmt.Errorf("integrity::key_file: %w", err)
	}
	s.keyID = KeyID(key)
	s.mac = newMacer(key)
	ext, ok := host.GetExtensions()[storageID]
	if !ok {
		return fmt.Errorf("integrity: sending_queue::storage %q is not among the service's extensions", storageID)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return fmt.Errorf("integrity: sending_queue::storage %q is not a storage extension", storageID)
	}
	if s.client, err = se.GetClient(ctx, component.KindExporter, s.set.ID, storageName); err != nil {
		return fmt.Errorf("integrity: getting a storage client from %q: %w", storageID, err)
	}
	data, err := s.client.Get(ctx, stateKey)
	if err != nil {
		_ = s.client.Close(ctx)
		return fmt.Errorf("integrity: reading the stream state from %q: %w", storageID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if data == nil {
		s.stream, s.opening = uuid.NewString(), CheckpointStart
	} else if err := s.restore(data); err != nil {
		_ = s.client.Close(ctx)
		// Starting a new stream silently would hide the break; the operator decides (delete the
		// state to start a new stream).
		return fmt.Errorf("integrity: the stream state in %q is unreadable (%w); remove the %s client's data to start a new stream", storageID, err, storageName)
	}
	s.set.Logger.Info("integrity stamping on", zap.String("stream", s.stream), zap.Uint64("next_seq", s.seq+1),
		zap.String("key_id", s.keyID), zap.String("opening", s.opening))
	return s.saveLocked(ctx, false)
}

func (s *Stamper) restore(data []byte) error {
	var p persisted
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	c, err := ParseChain(p.Chain)
	if err != nil || p.Stream == "" || p.Committed > p.Seq {
		return errors.New("inconsistent state")
	}
	s.stream, s.seq, s.chain = p.Stream, p.Seq, c
	for _, v := range p.Void {
		s.void = append(s.void, Span{v[0], v[1]})
	}
	s.opening = CheckpointResume
	if !p.Clean {
		s.opening = CheckpointRecover
		if p.Committed < p.Seq {
			s.unconfirmed = Span{p.Committed + 1, p.Seq}
		}
	}
	s.committed = s.seq // numbers of the previous run are settled: stated as unconfirmed if not
	return nil
}

// saveLocked writes the state; clean marks a shutdown with every number settled.
func (s *Stamper) saveLocked(ctx context.Context, clean bool) error {
	p := persisted{Stream: s.stream, Seq: s.seq, Chain: s.chain.String(), Committed: s.committed, Clean: clean}
	// Spans a checkpoint in a batch still being queued states are kept too: after a crash the next
	// start states them again (stating a span twice is harmless).
	spans := append([]Span(nil), s.void...)
	for _, ps := range s.pending {
		for _, v := range ps.stated {
			spans = addSpan(spans, v)
		}
	}
	for _, v := range spans {
		p.Void = append(p.Void, [2]uint64{v.From, v.To})
	}
	data, _ := json.Marshal(p)
	return s.client.Set(ctx, stateKey, data)
}

// ticket ties the numbers a ConsumeLogs call reserved to its outcome.
type ticket struct {
	reserved Span
}

type ticketKey struct{}

// Batch is one Convert call's stamping session; it holds the stamper's lock until End.
type Batch struct {
	s      *Stamper
	t      *ticket
	first  uint64
	stated []Span // void spans stated by checkpoints stamped in this batch
}

// Begin starts stamping one batch (delivery.Converter calls it).
func (s *Stamper) Begin(ctx context.Context) *Batch {
	s.mu.Lock()
	t, _ := ctx.Value(ticketKey{}).(*ticket)
	return &Batch{s: s, t: t, first: s.seq + 1}
}

// Skip reports whether lr is a tick (asks for a checkpoint; never sent itself).
func (b *Batch) Skip(lr plog.LogRecord) bool {
	v, ok := lr.Attributes().Get(tickAttr)
	if !ok || v.Str() != b.s.nonce {
		return false
	}
	if kind, ok := lr.Attributes().Get("kind"); ok {
		b.s.due = kind.Str()
	}
	return true
}

// Audit returns the checkpoint record due now, if any; the next record stamped must be it.
func (b *Batch) Audit() (pcommon.Resource, plog.LogRecord, bool) {
	s := b.s
	kind := ""
	switch {
	case s.opening != "":
		kind = s.opening
	case s.due != "":
		kind = s.due
	case s.since >= s.set.Config.CheckpointRecords:
		kind = CheckpointPeriodic
	default:
		return pcommon.Resource{}, plog.LogRecord{}, false
	}
	now := s.now().UTC()
	var st strings.Builder
	st.WriteString("kind:" + kind)
	st.WriteString(",records:" + strconv.FormatUint(s.seq, 10))
	st.WriteString(",prev:" + s.chain.String())
	st.WriteString(",time:" + strconv.FormatInt(now.Unix(), 10))
	if kind != CheckpointFinal {
		st.WriteString(",due:" + strconv.FormatInt(now.Add(s.set.Config.CheckpointInterval).Unix(), 10))
	}
	if kind == CheckpointRecover && s.unconfirmed.To > 0 {
		st.WriteString(",unconfirmed:" + s.unconfirmed.String())
	}
	exporter := ",exporter:" + safeID(s.set.ID.String())
	s.stating = 0
	for i, v := range s.void {
		sep := ";"
		if i == 0 {
			sep = ",void:"
		}
		// At least one span, so that the list always drains.
		if i > 0 && st.Len()+len(sep)+len(v.String())+len(exporter) > MaxStatementSize {
			break
		}
		st.WriteString(sep + v.String())
		s.stating++
	}
	st.WriteString(exporter)
	s.statement = st.String()

	lr := plog.NewLogRecord()
	lr.SetTimestamp(pcommon.NewTimestampFromTime(now))
	lr.SetObservedTimestamp(lr.Timestamp())
	lr.SetSeverityNumber(plog.SeverityNumberInfo)
	lr.SetSeverityText("INFO")
	lr.Body().SetStr(fmt.Sprintf("otelcol-siem integrity checkpoint (%s) of %s: %d records so far in stream %s",
		kind, s.set.ID, s.seq, s.stream))
	a := lr.Attributes()
	a.PutStr(secevent.KeyCategory, string(secevent.CategoryAudit))
	a.PutStr(secevent.KeyAction, ActionCheckpoint)
	a.PutStr(secevent.KeyOutcome, string(secevent.OutcomeSuccess))
	a.PutStr(secevent.KeyEventID, s.stream+":"+strconv.FormatUint(s.seq+1, 10))
	return s.set.Resource, lr, true
}

// DropAudit forgets the checkpoint Audit returned when it could not be formatted, so that its
// statement never lands on the next record; the next checkpoint is due as if it had been sent.
func (b *Batch) DropAudit() {
	s := b.s
	s.statement, s.opening, s.due, s.since, s.stating = "", "", "", 0, 0
}

// safeID keeps a component id readable inside a statement: no separator and nothing a CEF or JSON
// value would escape.
func safeID(id string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_./-", r) {
			return r
		}
		return '_'
	}, id)
}

// Stamp numbers, chains and stamps the record dst[start:] that was just formatted.
func (b *Batch) Stamp(dst []byte, start int) []byte {
	s := b.s
	if s.set.Header != nil {
		dst = append(dst[:start], s.set.Header(dst[start:], s.seq%2147483647+1)...)
	}
	rec := dst[start:]
	ps, pe, inString := s.set.Locate(rec)
	// What follows the payload (a HEC envelope's closing brace) is put back after the stamp.
	var tail []byte
	if pe < len(rec) {
		tail = append(tail, rec[pe:]...)
	}
	payload := payloadForMAC(s.set.Kind, rec[ps:pe])
	covered := payload
	if inString {
		covered = decodeJSONString(payload)
	}
	st := Stamp{Stream: s.stream, Seq: s.seq + 1, KeyID: s.keyID, Checkpoint: s.statement}
	st.MAC = s.mac.Mac(s.chain, &st, covered)
	end := start + ps + len(payload)
	if inString {
		stamp := appendStamp(nil, s.set.Kind, &st)
		dst = append(dst[:end], bytes.ReplaceAll(stamp, []byte(`"`), []byte(`\"`))...)
	} else {
		dst = appendStamp(dst[:end], s.set.Kind, &st)
	}
	dst = append(dst, tail...)
	s.seq, s.chain = st.Seq, st.MAC
	if st.Checkpoint != "" {
		// Audit chooses the opening kind first: this checkpoint was it, and a checkpoint a tick
		// asked for (the final one) still follows.
		if s.opening != "" {
			s.opening = ""
		} else {
			s.due = ""
		}
		b.stated = append(b.stated, s.void[:s.stating]...)
		s.void = append([]Span(nil), s.void[s.stating:]...)
		s.since, s.statement, s.stating = 0, "", 0
		s.dueIfVoidWaits()
		s.set.Counters.Checkpoints(context.Background(), 1)
	} else {
		s.since++
	}
	return dst
}

// End writes the state ahead of the enqueueing and releases the lock.
func (b *Batch) End(ctx context.Context) {
	s := b.s
	defer s.mu.Unlock()
	n := s.seq + 1 - b.first
	if n == 0 {
		return
	}
	s.set.Counters.Stamped(ctx, int64(n))
	r := Span{b.first, s.seq}
	// Pending before the save, so that the save keeps the void spans this batch's checkpoint took.
	s.pending = append(s.pending, pendingSpan{Span: r, stated: b.stated})
	err := s.saveLocked(ctx, false)
	if err != nil {
		// The records go on (the queue holds them); a crash before the next successful save may
		// reuse these numbers, which the verifier reports as a fork.
		s.set.Logger.Error("integrity: could not save the stream state ahead of queueing", zap.Error(err))
	}
	if b.t == nil {
		// Not from ConsumeLogs (a stored batch formatted again): already in the queue.
		s.settleLocked(r, true)
		return
	}
	b.t.reserved = r
}

// decodeJSONString returns the text of the inside of a JSON string (itself when it is not one).
func decodeJSONString(inside []byte) []byte {
	var text string
	q := make([]byte, 0, len(inside)+2)
	q = append(append(append(q, '"'), inside...), '"')
	if json.Unmarshal(q, &text) != nil {
		return inside
	}
	return []byte(text)
}

// settle records the outcome of a ConsumeLogs call.
func (s *Stamper) settle(t *ticket, queued bool) {
	if t.reserved.To == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleLocked(t.reserved, queued)
}

func (s *Stamper) settleLocked(r Span, queued bool) {
	for i := range s.pending {
		if s.pending[i].Span != r || s.pending[i].settled {
			continue
		}
		s.pending[i].settled = true
		if !queued {
			// The queue refused the batch: its sender was told to retry, so these numbers never
			// carry a record, and what a checkpoint in it stated never reaches the SIEM. The
			// next checkpoint states both.
			for _, v := range s.pending[i].stated {
				s.void = addSpan(s.void, v)
			}
			s.void = addSpan(s.void, r)
			s.dueIfVoidWaits()
		}
		s.pending[i].stated = nil
	}
	for len(s.pending) > 0 && s.pending[0].settled {
		s.committed = s.pending[0].To
		s.pending = s.pending[1:]
	}
	if len(s.pending) == 0 && s.committed < s.seq {
		s.committed = s.seq
	}
}

// dueIfVoidWaits makes a checkpoint due at once when more void spans wait than one statement
// holds, so that the list stays short. Callers hold mu.
func (s *Stamper) dueIfVoidWaits() {
	if len(s.void) >= maxWaitingVoid && s.due == "" {
		s.due = CheckpointPeriodic
	}
}

// maxWaitingVoid is how many void spans may wait for the periodic checkpoint.
const maxWaitingVoid = 8

// addSpan adds v to the ordered, disjoint spans, joining it with a neighbour it continues.
func addSpan(spans []Span, v Span) []Span {
	i := len(spans)
	for i > 0 && spans[i-1].From > v.From {
		i--
	}
	spans = slices.Insert(spans, i, v)
	if i+1 < len(spans) && spans[i].To+1 == spans[i+1].From {
		spans[i].To = spans[i+1].To
		spans = slices.Delete(spans, i+1, i+2)
	}
	if i > 0 && spans[i-1].To+1 == spans[i].From {
		spans[i-1].To = spans[i].To
		spans = slices.Delete(spans, i, i+1)
	}
	return spans
}

// tick returns the in-process record that asks for a checkpoint of kind.
func (s *Stamper) tick(kind string) plog.Logs {
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.Attributes().PutStr(tickAttr, s.nonce)
	lr.Attributes().PutStr("kind", kind)
	return ld
}

// close saves the state as cleanly shut down when every number is settled.
func (s *Stamper) close(ctx context.Context) error {
	if s.client == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.saveLocked(ctx, len(s.pending) == 0)
	return errors.Join(err, s.client.Close(ctx))
}
