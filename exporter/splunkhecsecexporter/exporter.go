package splunkhecsecexporter // import "github.com/unified-ot/otelcol-siem/exporter/splunkhecsecexporter"

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/exporter/splunkhecsecexporter/internal/metadata"
	"github.com/unified-ot/otelcol-siem/internal/collectorresource"
	"github.com/unified-ot/otelcol-siem/internal/delivery"
	"github.com/unified-ot/otelcol-siem/internal/destlog"
	"github.com/unified-ot/otelcol-siem/internal/integrity"
	"github.com/unified-ot/otelcol-siem/internal/secformat"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// HEC paths, under the endpoint's base URL.
const (
	pathEvent  = "/services/collector/event"
	pathAck    = "/services/collector/ack"
	pathHealth = "/services/collector/health"

	headerChannel = "X-Splunk-Request-Channel"
	// maxResponseBytes bounds how much of an answer is read: HEC answers are a few dozen bytes.
	maxResponseBytes = 64 * 1024
	// minShrink is the smallest size a single event is cut down to after 413 before it is dropped.
	minShrink = 1024
	// maxMetaValue caps one metadata or indexed-field value taken from a record.
	maxMetaValue = 1024
	// minEventRoom is the least room an envelope must leave for its event; below it the record's
	// indexed fields are left out.
	minEventRoom = 256
)

// HEC codes the exporter acts on (Splunk's table).
const (
	codeInvalidDataFormat  = 6
	codeEventFieldRequired = 12
	codeEventFieldBlank    = 13
	codeAckDisabled        = 14
)

// Reasons of the dropped metric specific to HEC.
const (
	ReasonInvalidEvent       = "invalid_event"        // code 6 with invalid-event-number
	ReasonEventFieldRequired = "event_field_required" // code 12
	ReasonEventFieldBlank    = "event_field_blank"    // code 13
)

// metaSource is where an envelope member comes from: a schema key (read from the record's
// attributes or its resource, as the schema places it) and the configured fallback.
type metaSource struct {
	member   string
	key      string
	resource bool
	fallback string
}

type hecExporter struct {
	cfg     *Config
	set     exporter.Settings
	logger  *zap.Logger
	targets []*hecTarget
	balance *delivery.Balancer // nil with one endpoint
	auth    string             // "Splunk <token>": never logged
	channel string
	ua      string
	client  *http.Client

	json *secformat.JSON
	cef  *secformat.CEF
	meta []metaSource
	idx  []secevent.Field
	// idxWithID is idx plus event.id, for cut events; idIndexed says idx already has it.
	idxWithID []secevent.Field
	idIndexed bool

	tel *metadata.Telemetry

	stopping  chan struct{}
	stopOnce  sync.Once
	wg        sync.WaitGroup
	converter *delivery.Converter
	scratch   sync.Pool // *[]byte: a CEF event formatted aside before it is quoted
}

// hecTarget is one HEC endpoint: its URLs, the poller of the acks it gave, and the pusher that
// posts to it.
type hecTarget struct {
	name     string // the base URL without user information, for logs and metrics
	eventURL string
	health   string
	acks     *ackTracker
	pusher   *delivery.Pusher
}

func newExporter(cfg *Config, set exporter.Settings) (*hecExporter, error) {
	var err error
	e := &hecExporter{
		cfg:      cfg,
		set:      set,
		logger:   set.Logger,
		auth:     "Splunk " + string(cfg.Token),
		channel:  uuid.NewString(),
		ua:       fmt.Sprintf("%s/%s (%s/%s)", set.BuildInfo.Description, set.BuildInfo.Version, runtime.GOOS, runtime.GOARCH),
		stopping: make(chan struct{}),
	}
	switch cfg.Format {
	case FormatCEF:
		if e.cef, err = secformat.NewCEF(cfg.CEF); err != nil {
			return nil, fmt.Errorf("cef: %w", err)
		}
	default:
		e.json = secformat.NewJSON()
	}
	for _, m := range []struct{ member, key, fallback string }{
		{"host", cfg.Overrides.Host, cfg.Host},
		{"source", cfg.Overrides.Source, cfg.Source},
		{"sourcetype", cfg.Overrides.Sourcetype, cfg.sourcetype()},
		{"index", cfg.Overrides.Index, cfg.Index},
	} {
		ms := metaSource{member: m.member, key: m.key, fallback: m.fallback}
		if m.key != "" {
			f, err := schemaField(m.key)
			if err != nil {
				return nil, fmt.Errorf("overrides.%s: %w", m.member, err)
			}
			ms.resource = f.Place == secevent.PlaceResource
		}
		e.meta = append(e.meta, ms)
	}
	for _, k := range cfg.IndexedFields {
		f, err := schemaField(k)
		if err != nil {
			return nil, fmt.Errorf("indexed_fields: %w", err)
		}
		e.idx = append(e.idx, f)
		e.idIndexed = e.idIndexed || k == secevent.KeyEventID
	}
	idField, _ := secevent.FieldByKey(secevent.KeyEventID)
	e.idxWithID = append(append([]secevent.Field(nil), e.idx...), idField)
	if e.tel, err = metadata.NewTelemetry(set.TelemetrySettings, set.ID); err != nil {
		return nil, err
	}
	var names []string
	for _, ep := range delivery.EndpointList(cfg.ClientConfig.Endpoint, cfg.Endpoints) {
		base, err := baseURL(ep)
		if err != nil {
			return nil, err
		}
		t := &hecTarget{name: destlog.WithoutSecrets(base), eventURL: base.String() + pathEvent, health: base.String() + pathHealth}
		t.acks = newAckTracker(e, base.String()+pathAck)
		t.pusher = &delivery.Pusher{
			Framing:          delivery.Concatenated,
			MaxContentLength: cfg.MaxContentLength,
			MinShrink:        minShrink,
			Post:             func(ctx context.Context, body []byte) delivery.Verdict { return e.post(ctx, t.eventURL, body) },
			Shrink:           shrinkEnvelope,
			Tel:              e.tel.HTTPTelemetry,
			Logger:           e.logger,
			AuthMessage:      "HEC refused the token; events stay queued until the token is fixed",
			AuthFields:       []zap.Field{zap.String("url", t.name+pathEvent)},
			ShrinkMessage:    "HEC answered 413 for a single event; sending it truncated (lower max_content_length to match the server)",
			DropMessage:      "HEC rejected an event; it is dropped",
		}
		e.targets = append(e.targets, t)
		names = append(names, t.name)
	}
	if len(e.targets) > 1 {
		e.balance = delivery.NewBalancer(cfg.Balance, names, "HEC", e.logger, e.tel.BalanceTelemetry)
	}
	maxItem := delivery.Concatenated.MaxItem(cfg.MaxContentLength)
	if cfg.Integrity.Enabled() {
		// The stamp is added after an event is cut to fit.
		maxItem -= integrity.MaxStampSize + integrity.MaxStatementSize
	}
	e.converter = &delivery.Converter{
		Format: func(dst []byte, res pcommon.Resource, lr plog.LogRecord) ([]byte, bool, bool) {
			scratch := e.scratch.Get().(*[]byte)
			defer e.scratch.Put(scratch)
			dst, cut := e.appendEnvelope(dst, res, lr, maxItem, scratch)
			return dst, cut, true
		},
		Logger:    e.logger,
		Failed:    func(ctx context.Context, n int) { e.tel.Drop(ctx, n, delivery.ReasonFormat) },
		Truncated: e.tel.Truncated,
	}
	e.scratch.New = func() any { return new([]byte) }
	if cfg.Integrity.Enabled() {
		kind := integrity.KindJSON
		if e.cef != nil {
			kind = integrity.KindCEF
		}
		e.converter.Integrity = integrity.New(integrity.Settings{
			Config: cfg.Integrity, ID: set.ID, Kind: kind, Logger: e.logger,
			Resource: collectorresource.New(set.TelemetrySettings, set.BuildInfo),
			Locate:   locateEvent, Counters: e.tel.Integrity.Counters(),
		})
	}
	return e, nil
}

// locateEvent finds the event member, the last of an envelope: what the MAC covers is the event
// as Splunk keeps it (_raw), the JSON object or, for a CEF line or a cut event, the string's text.
func locateEvent(rec []byte) (int, int, bool) {
	i := bytes.Index(rec, []byte(`"event":`))
	if i < 0 || len(rec) < i+len(`"event":`)+2 {
		return 0, len(rec), false
	}
	i += len(`"event":`)
	if rec[i] == '"' {
		return i + 1, len(rec) - 2, true
	}
	return i, len(rec) - 1, false
}

// shrinkEnvelope cuts an envelope HEC refused as too large (413) to at most max bytes: its event,
// the last member, becomes a JSON string holding the event's text cut and marked [truncated].
func shrinkEnvelope(rec []byte, max int) []byte {
	var env struct {
		Event json.RawMessage `json:"event"`
	}
	if json.Unmarshal(rec, &env) != nil || len(env.Event) == 0 || !bytes.HasSuffix(rec, append(env.Event, '}')) {
		return rec // not an envelope this exporter wrote: it cannot be cut safely
	}
	head := rec[:len(rec)-len(env.Event)-1] // up to and including "event":
	// As when an event is cut while formatted: the envelope carries event.id as an indexed field,
	// so the SOC can still correlate and de-duplicate it.
	if id := delivery.EventID(env.Event); id != "" && !bytes.Contains(head, []byte(`"event.id":`)) {
		field := delivery.AppendJSONString([]byte(`"event.id":`), []byte(id))
		if i := bytes.Index(head, []byte(`"fields":{`)); i >= 0 {
			i += len(`"fields":{`)
			head = slices.Concat(head[:i], field, []byte(","), head[i:])
		} else {
			i := len(head) - len(`"event":`)
			head = slices.Concat(head[:i], []byte(`"fields":{`), field, []byte("},"), head[i:])
		}
	}
	return delivery.CutJSON(head, env.Event, []byte("}"), max)
}

func (e *hecExporter) start(ctx context.Context, host component.Host) error {
	client, err := e.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), e.set.TelemetrySettings)
	if err != nil {
		return err
	}
	e.client = client
	// The token is a header (e.auth) and never logged; the URLs lose any user information.
	u, err := url.Parse(e.targets[0].eventURL)
	if err != nil {
		return fmt.Errorf("endpoint: %w", err) // built from the validated endpoint
	}
	dest := []zap.Field{zap.String("transport", u.Scheme)}
	if e.balance == nil {
		dest = append(dest, zap.String("endpoint", destlog.WithoutSecrets(u)))
	} else {
		var names []string
		for _, t := range e.targets {
			names = append(names, t.name+pathEvent)
		}
		dest = append(dest, zap.Strings("endpoints", names), zap.String("balance", e.cfg.Balance.Mode),
			zap.Duration("hold_down", e.cfg.Balance.HoldDown))
	}
	dest = append(dest, zap.String("format", e.cfg.Format), zap.Bool("ack", e.cfg.Ack.Enabled))
	if e.cfg.Index != "" {
		dest = append(dest, zap.String("index", e.cfg.Index))
	}
	destlog.Log(e.logger, e.cfg.QueueConfig, dest...)
	for _, t := range e.targets {
		if e.cfg.Ack.Enabled {
			e.wg.Go(func() { t.acks.run(e.cfg.Ack.PollInterval, e.stopping) })
		}
		if e.cfg.HealthCheck {
			e.wg.Go(func() { e.checkHealth(t.health) })
		}
	}
	return nil
}

func (e *hecExporter) beginShutdown() { e.stopOnce.Do(func() { close(e.stopping) }) }

func (e *hecExporter) shutdown(context.Context) error {
	e.beginShutdown()
	e.wg.Wait()
	if e.balance != nil {
		_ = e.balance.Close()
	}
	if e.client != nil {
		e.client.CloseIdleConnections()
	}
	return nil
}

// checkHealth asks HEC whether it is healthy and only logs the answer: a SIEM that is down at start
// must not keep the collector (and every other pipeline) from starting; the queue holds the data.
func (e *hecExporter) checkHealth(health string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	go func() {
		select {
		case <-e.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, health, http.NoBody)
	if err != nil {
		e.logger.Warn("HEC health check: cannot build the request", zap.Error(err))
		return
	}
	e.headers(req)
	resp, err := e.client.Do(req)
	if err != nil {
		e.logger.Warn("HEC health check failed: endpoint unreachable; events stay queued until it answers",
			zap.String("url", health), zap.Error(err))
		return
	}
	defer resp.Body.Close()
	hr := readAnswer(resp)
	if resp.StatusCode == http.StatusOK {
		e.logger.Info("HEC health check passed", zap.String("url", health), zap.String("text", hr.Text))
		return
	}
	e.logger.Warn("HEC health check: endpoint not healthy; events stay queued until it accepts them",
		zap.String("url", health), zap.Int("status", resp.StatusCode), zap.Int("code", hr.code()), zap.String("text", hr.Text))
}

func (e *hecExporter) headers(req *http.Request) {
	req.Header.Set("Authorization", e.auth)
	req.Header.Set(headerChannel, e.channel)
	req.Header.Set("User-Agent", e.ua)
}

// hecAnswer is the JSON body of every HEC answer.
type hecAnswer struct {
	Text               string `json:"text"`
	Code               *int   `json:"code"`
	AckID              *int64 `json:"ackId"`
	InvalidEventNumber *int   `json:"invalid-event-number"`
}

func (a hecAnswer) code() int {
	if a.Code == nil {
		return -1
	}
	return *a.Code
}

func readAnswer(resp *http.Response) hecAnswer {
	var a hecAnswer
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	_ = json.Unmarshal(b, &a)
	return a
}

// sendBatch sends a batch of envelopes in bodies of at most max_content_length bytes, and delivery
// acts on each answer. With acknowledgement it returns only once every delivered body is
// acknowledged, or with an error holding the envelopes to resend.
func (e *hecExporter) sendBatch(ctx context.Context, b *delivery.Batch) error {
	if b.ItemsCount() == 0 {
		return nil
	}
	recs := b.Records()
	i := 0
	if e.balance != nil {
		i = e.balance.Order()[0]
	}
	t := e.targets[i]
	res := t.pusher.Push(ctx, recs)
	if e.balance != nil {
		// An endpoint that is unreachable or overloaded (a retry verdict) is held down, and the
		// retry of what it did not take goes to the next one.
		if len(res.Pending) > 0 && !res.Auth {
			e.balance.Fail(ctx, i, res.Cause)
		} else {
			e.balance.Use(ctx, i)
		}
	}

	if !e.cfg.Ack.Enabled {
		for _, d := range res.Delivered {
			e.tel.Sent(ctx, len(d.Items), e.tel.EndpointAttrs(t.name))
		}
		return res.Error(recs)
	}
	unacked := e.awaitAcks(ctx, t, res.Delivered)
	if len(unacked) > 0 {
		if len(res.Pending) == 0 {
			res.Cause = fmt.Errorf("indexer acknowledgement not received within %s for %d events; resending them", e.cfg.Ack.Timeout, len(unacked))
		}
		res.Pending = append(res.Pending, unacked...)
	}
	return res.Error(recs)
}

// post sends one body to eventURL and reads the answer into a verdict.
func (e *hecExporter) post(ctx context.Context, eventURL string, body []byte) delivery.Verdict {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, eventURL, bytes.NewReader(body))
	if err != nil {
		return delivery.Verdict{Kind: delivery.Reject, Reason: delivery.ReasonRejected, Err: err}
	}
	e.headers(req)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return delivery.Verdict{Kind: delivery.Retry, Err: fmt.Errorf("HEC request failed: %w", err)}
	}
	defer resp.Body.Close()
	a := readAnswer(resp)
	v := delivery.ClassifyStatus(resp, fmt.Sprintf("HEC code %d: %s", a.code(), a.Text))
	switch {
	case v.Kind == delivery.Delivered:
		if a.AckID != nil {
			v.Ack = *a.AckID
		}
	case resp.StatusCode == http.StatusBadRequest && a.InvalidEventNumber != nil:
		switch a.code() {
		case codeInvalidDataFormat:
			v = delivery.Verdict{Kind: delivery.DropItem, Index: *a.InvalidEventNumber, Reason: ReasonInvalidEvent, Err: v.Err}
		case codeEventFieldRequired:
			v = delivery.Verdict{Kind: delivery.DropItem, Index: *a.InvalidEventNumber, Reason: ReasonEventFieldRequired, Err: v.Err}
		case codeEventFieldBlank:
			v = delivery.Verdict{Kind: delivery.DropItem, Index: *a.InvalidEventNumber, Reason: ReasonEventFieldBlank, Err: v.Err}
		}
	}
	return v
}

// awaitAcks waits until every delivered batch is acknowledged, ack.timeout passes, or shutdown
// begins, and returns the items of the batches not acknowledged.
func (e *hecExporter) awaitAcks(ctx context.Context, t *hecTarget, delivered []delivery.DeliveredBatch) []int {
	acks, at := t.acks, e.tel.EndpointAttrs(t.name)
	type waiter struct {
		b  delivery.DeliveredBatch
		ch <-chan struct{}
	}
	var waiters []waiter
	for _, b := range delivered {
		if b.Ack < 0 {
			// Accepted without an ackId: the token has acknowledgement off. Resending would index
			// the batch again on every attempt, so it counts as delivered, loudly.
			e.tel.AckUnavailable.Add(ctx, 1, e.tel.ID)
			e.tel.Sent(ctx, len(b.Items), at)
			e.logger.Error("HEC accepted a batch without an ackId although ack.enabled is true: indexer acknowledgement is off for this token; delivery is not confirmed (enable it on the token or set ack.enabled: false)",
				zap.Int("events", len(b.Items)))
			continue
		}
		waiters = append(waiters, waiter{b: b, ch: acks.add(b.Ack)})
	}
	timer := time.NewTimer(e.cfg.Ack.Timeout)
	defer timer.Stop()
	var unacked []int
	expired := false
	for _, w := range waiters {
		if !expired {
			select {
			case <-w.ch:
			case <-timer.C:
				expired = true
			case <-e.stopping:
				expired = true
			case <-ctx.Done():
				expired = true
			}
		}
		if expired {
			select {
			case <-w.ch:
			default:
				acks.remove(w.b.Ack)
				e.tel.AckTimeouts.Add(ctx, 1, e.tel.ID)
				unacked = append(unacked, w.b.Items...)
				continue
			}
		}
		e.tel.EventsAcked.Add(ctx, int64(len(w.b.Items)), e.tel.ID)
		e.tel.Sent(ctx, len(w.b.Items), at)
	}
	if len(unacked) > 0 {
		e.logger.Warn("HEC did not acknowledge batches in time; they will be resent (duplicates possible, no loss)",
			zap.Int("events", len(unacked)), zap.Duration("ack_timeout", e.cfg.Ack.Timeout))
	}
	return unacked
}

// appendEnvelope appends one HEC envelope of at most max bytes:
//
//	{"time":<s.mmm>,"host":..,"source":..,"sourcetype":..,"index":..,"fields":{..},"event":<event>}
//
// `event` comes last so that an event too large for max can be cut to the room the rest leaves.
// A cut event is sent as a JSON string holding the formatter's output cut and marked [truncated]
// (a cut JSON object would not be JSON). It reports whether it cut.
//
// A cut event may have lost its event.id (the formatter writes it after the message), so a cut
// envelope also carries event.id as an indexed field: the SOC can still correlate and de-duplicate it.
//
// scratch is a reusable buffer for the formatted event when it cannot be written in place.
func (e *hecExporter) appendEnvelope(dst []byte, res pcommon.Resource, lr plog.LogRecord, max int, scratch *[]byte) ([]byte, bool) {
	start := len(dst)
	dst, cut := e.appendEnvelopeOnce(dst, res, lr, max, false, scratch)
	if cut && !e.idIndexed {
		if _, ok := lr.Attributes().Get(secevent.KeyEventID); ok {
			dst, cut = e.appendEnvelopeOnce(dst[:start], res, lr, max, true, scratch)
		}
	}
	return dst, cut
}

func (e *hecExporter) appendEnvelopeOnce(dst []byte, res pcommon.Resource, lr plog.LogRecord, max int, withID bool, scratch *[]byte) ([]byte, bool) {
	start := len(dst)
	dst = e.appendHead(dst, res, lr, true, withID)
	if max-(len(dst)-start)-len(`,"event":}`) < minEventRoom {
		dst = e.appendHead(dst[:start], res, lr, false, false)
	}
	if dst[len(dst)-1] != '{' {
		dst = append(dst, ',')
	}
	dst = append(dst, `"event":`...)
	room := max - (len(dst) - start) - 1
	evStart := len(dst)
	cut := false
	if e.cef != nil {
		// The CEF line is a string event: format it aside, then quote (and cut) it into dst.
		*scratch = e.cef.Append((*scratch)[:0], res, lr)
		dst, cut = delivery.AppendTruncatedJSONString(dst, *scratch, room)
		return append(dst, '}'), cut
	}
	// The JSON object goes straight into dst; only an oversized one is moved aside and quoted.
	dst = e.json.Append(dst, res, lr)
	if len(dst)-evStart > room {
		*scratch = append((*scratch)[:0], dst[evStart:]...)
		dst, cut = delivery.AppendTruncatedJSONString(dst[:evStart], *scratch, room)
	}
	return append(dst, '}'), cut
}

// appendHead appends the envelope up to (not including) the event member.
func (e *hecExporter) appendHead(dst []byte, res pcommon.Resource, lr plog.LogRecord, withFields, withID bool) []byte {
	dst = append(dst, '{')
	first := true
	sep := func() {
		if !first {
			dst = append(dst, ',')
		}
		first = false
	}
	ts := lr.Timestamp()
	if ts == 0 {
		ts = lr.ObservedTimestamp()
	}
	if ts != 0 {
		// Epoch seconds with millisecond precision, written exactly (no float rounding).
		ms := int64(ts) / int64(time.Millisecond)
		sep()
		dst = append(dst, `"time":`...)
		dst = strconv.AppendInt(dst, ms/1000, 10)
		frac := ms % 1000
		dst = append(dst, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
	}
	for _, m := range e.meta {
		v := m.fallback
		if m.key != "" {
			attrs := lr.Attributes()
			if m.resource {
				attrs = res.Attributes()
			}
			if av, ok := attrs.Get(m.key); ok && av.AsString() != "" {
				v = av.AsString()
			}
		}
		if v == "" {
			continue
		}
		sep()
		dst = append(dst, '"')
		dst = append(dst, m.member...)
		dst = append(dst, `":`...)
		dst, _ = delivery.AppendTruncatedJSONString(dst, []byte(v), maxMetaValue)
	}
	if withFields {
		dst = e.appendFields(dst, res, lr, !first, withID)
	}
	return dst
}

// appendFields appends `"fields":{...}` with the configured schema keys the record has. Indexed
// field values are flat: scalars as strings, a list as an array of strings, a map as its JSON text.
func (e *hecExporter) appendFields(dst []byte, res pcommon.Resource, lr plog.LogRecord, comma, withID bool) []byte {
	opened := false
	fields := e.idx
	if withID {
		fields = e.idxWithID
	}
	for _, f := range fields {
		attrs := lr.Attributes()
		if f.Place == secevent.PlaceResource {
			attrs = res.Attributes()
		}
		v, ok := attrs.Get(f.Key)
		if !ok || v.Type() == pcommon.ValueTypeEmpty {
			continue
		}
		if !opened {
			if comma {
				dst = append(dst, ',')
			}
			dst = append(dst, `"fields":{`...)
			opened = true
		} else {
			dst = append(dst, ',')
		}
		dst = delivery.AppendJSONString(dst, []byte(f.Key))
		dst = append(dst, ':')
		if v.Type() == pcommon.ValueTypeSlice {
			dst = append(dst, '[')
			sl := v.Slice()
			for i := 0; i < sl.Len(); i++ {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst, _ = delivery.AppendTruncatedJSONString(dst, []byte(sl.At(i).AsString()), maxMetaValue)
			}
			dst = append(dst, ']')
			continue
		}
		dst, _ = delivery.AppendTruncatedJSONString(dst, []byte(v.AsString()), maxMetaValue)
	}
	if opened {
		dst = append(dst, '}')
	}
	return dst
}
