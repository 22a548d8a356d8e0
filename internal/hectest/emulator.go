// Package hectest is the project's Splunk HTTP Event Collector (HEC) protocol emulator for tests.
//
// It is written from Splunk's public protocol description (docs: "HTTP Event Collector REST API",
// "About HTTP Event Collector Indexer Acknowledgment"; summarised in the repository's
// shared/reference/splunk-hec.md) and is NOT Splunk: it implements the wire behaviour an HEC client
// sees (token check, gzip bodies, concatenated JSON envelopes, channels, indexer acknowledgement,
// health, the documented status and error codes) and nothing of indexing. Tests use it to count what
// a client sent against what the emulator accepted: lost events, duplicates, resends.
//
// Faults a test can inject at run time: a token that changes (wrong token later fixed), a disabled
// token (403 code 1), forced responses (503 with Retry-After, 429, 500, 413, any code), a body-size
// limit (413), events rejected with code 6 and `invalid-event-number`, a busy health endpoint, acks
// that are late or lost, and a full outage (the listener closed, later reopened on the same port).
package hectest // import "github.com/unified-ot/otelcol-siem/internal/hectest"

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// HEC status codes, as documented by Splunk (the `code` member of every response body).
const (
	CodeSuccess            = 0
	CodeTokenDisabled      = 1
	CodeTokenRequired      = 2
	CodeInvalidAuthz       = 3
	CodeInvalidToken       = 4
	CodeNoData             = 5
	CodeInvalidDataFormat  = 6
	CodeIncorrectIndex     = 7
	CodeInternalError      = 8
	CodeServerBusy         = 9
	CodeChannelMissing     = 10
	CodeInvalidChannel     = 11
	CodeEventFieldRequired = 12
	CodeEventFieldBlank    = 13
	CodeAckDisabled        = 14
	CodeHealthy            = 17
	CodeQueuesFull         = 18
)

// Paths served by the emulator.
const (
	PathEvent      = "/services/collector/event"
	PathEventAlias = "/services/collector"
	PathEventV1    = "/services/collector/event/1.0"
	PathAck        = "/services/collector/ack"
	PathHealth     = "/services/collector/health"
	PathHealthV1   = "/services/collector/health/1.0"
)

// HeaderChannel is the request header carrying the client's channel GUID.
const HeaderChannel = "X-Splunk-Request-Channel"

// Config configures an Emulator. The zero value (plus a Token) is a HEC endpoint with indexer
// acknowledgement disabled and no body limit.
type Config struct {
	// Token is the accepted HEC token (`Authorization: Splunk <token>`). Changeable with SetToken.
	Token string
	// AckEnabled turns on indexer acknowledgement for the token: a channel becomes mandatory and
	// every accepted request gets an ackId.
	AckEnabled bool
	// AckDelay is how long after acceptance an ackId turns true (0: at once).
	AckDelay time.Duration
	// MaxContentLength rejects a request whose decoded body is larger, with 413 (0: no limit). Like
	// Splunk's [http_input] max_content_length it is checked on the decompressed body.
	MaxContentLength int
	// Indexes, when not empty, is the list of indexes the token may write to; an envelope naming
	// another index gets 400 code 7 (Incorrect index).
	Indexes []string
	// ListenAddr is the address to listen on; default "127.0.0.1:0" (loopback, ephemeral port).
	ListenAddr string
	// CountOnly counts accepted events instead of keeping them (benchmarks): Events stays empty,
	// EventCount still counts.
	CountOnly bool
}

// Fault is a response forced on the next event requests, before any other check.
type Fault struct {
	// Status is the HTTP status; Code and Text the HEC body. Text defaults to the code's text.
	Status int
	Code   int
	Text   string
	// RetryAfter, when positive, is sent as a Retry-After header in whole seconds.
	RetryAfter time.Duration
	// InvalidEventNumber, when not nil, is sent as `invalid-event-number` (codes 6, 12, 13).
	InvalidEventNumber *int
}

// Common faults.
var (
	FaultBusy          = Fault{Status: http.StatusServiceUnavailable, Code: CodeServerBusy}
	FaultInternal      = Fault{Status: http.StatusInternalServerError, Code: CodeInternalError}
	FaultThrottled     = Fault{Status: http.StatusTooManyRequests, Code: CodeServerBusy, Text: "Too many requests"}
	FaultTooLarge      = Fault{Status: http.StatusRequestEntityTooLarge, Code: -1, Text: "Content-Length of request exceeds max_content_length"}
	FaultTokenDisabled = Fault{Status: http.StatusForbidden, Code: CodeTokenDisabled}
	FaultInvalidToken  = Fault{Status: http.StatusForbidden, Code: CodeInvalidToken}
	FaultIncorrectIdx  = Fault{Status: http.StatusBadRequest, Code: CodeIncorrectIndex}
)

// Event is one accepted event: its decoded envelope plus where it came from.
type Event struct {
	Time       *float64                   `json:"time,omitempty"`
	Host       string                     `json:"host,omitempty"`
	Source     string                     `json:"source,omitempty"`
	Sourcetype string                     `json:"sourcetype,omitempty"`
	Index      string                     `json:"index,omitempty"`
	Event      json.RawMessage            `json:"event"`
	Fields     map[string]json.RawMessage `json:"fields,omitempty"`

	// Channel and AckID of the request that carried it (AckID -1 without acknowledgement).
	Channel string `json:"-"`
	AckID   int64  `json:"-"`
	// Request is the sequence number (from 1) of the request that carried it.
	Request int `json:"-"`
}

// EventObject decodes Event (a JSON object, as the json format sends) into a map. It fails for a
// string event.
func (e Event) EventObject() (map[string]any, error) {
	var m map[string]any
	err := json.Unmarshal(e.Event, &m)
	return m, err
}

// EventString decodes Event when it is a JSON string (as the cef format and truncated events send).
func (e Event) EventString() (string, error) {
	var s string
	err := json.Unmarshal(e.Event, &s)
	return s, err
}

// Request describes one request the emulator answered, for assertions on the exchange itself.
type Request struct {
	Seq          int
	Method, Path string
	Channel      string
	Gzip         bool
	WireBytes    int // body bytes as received
	DecodedBytes int // after gzip
	Status       int
	Code         int
	Events       int // accepted events
	AckID        int64
	RetryAfter   string
}

type ackState struct {
	channel string
	readyAt time.Time
	lost    bool
}

// Emulator is a running HEC protocol emulator. All methods are safe for concurrent use.
type Emulator struct {
	mu         sync.Mutex
	cfg        Config
	token      string
	disabled   bool
	faults     []*Fault // nil: a request that passes normally (PassNext)
	sticky     *Fault
	busyHealth bool
	reject     func(Event) bool
	loseAcks   int
	dropLost   bool
	events     []Event
	counted    int
	requests   []Request
	nextAck    map[string]int64
	acks       map[string]map[int64]*ackState
	seq        int

	addr   string
	server *http.Server
}

// New starts an emulator on cfg.ListenAddr (default 127.0.0.1:0). Close it when done.
func New(cfg Config) (*Emulator, error) {
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "127.0.0.1:0"
	}
	e := &Emulator{
		cfg:     cfg,
		token:   cfg.Token,
		nextAck: map[string]int64{},
		acks:    map[string]map[int64]*ackState{},
	}
	if err := e.listen(cfg.ListenAddr); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Emulator) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("hectest: listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	e.mu.Lock()
	e.server, e.addr = srv, ln.Addr().String()
	e.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
	return nil
}

// URL is the emulator's base URL (http://127.0.0.1:port), the value for an exporter's endpoint.
func (e *Emulator) URL() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return "http://" + e.addr
}

// Close stops the emulator and closes every connection.
func (e *Emulator) Close() {
	e.mu.Lock()
	srv := e.server
	e.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Stop simulates an outage: the listener and every connection are closed, so clients get
// "connection refused". Recorded events are kept. Start reopens the same address.
func (e *Emulator) Stop() { e.Close() }

// Start reopens the emulator on the address it had, after Stop.
func (e *Emulator) Start() error {
	e.mu.Lock()
	addr := e.addr
	e.mu.Unlock()
	var err error
	// The port was ours a moment ago; retry briefly in case the kernel has not released it yet.
	for i := 0; i < 50; i++ {
		if err = e.listen(addr); err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// SetToken changes the accepted token (a client holding the old one now gets 403 code 4).
func (e *Emulator) SetToken(token string) {
	e.mu.Lock()
	e.token = token
	e.mu.Unlock()
}

// SetTokenDisabled makes the token answer 403 code 1 (Token disabled) while true.
func (e *Emulator) SetTokenDisabled(disabled bool) {
	e.mu.Lock()
	e.disabled = disabled
	e.mu.Unlock()
}

// FailNext forces the next n event requests to get f (after which normal processing resumes).
func (e *Emulator) FailNext(n int, f Fault) {
	e.mu.Lock()
	for i := 0; i < n; i++ {
		f := f
		e.faults = append(e.faults, &f)
	}
	e.mu.Unlock()
}

// PassNext lets the next n event requests through normally before the faults queued after it
// (FailNext) apply: PassNext(1); FailNext(1, FaultBusy) fails the second request.
func (e *Emulator) PassNext(n int) {
	e.mu.Lock()
	for i := 0; i < n; i++ {
		e.faults = append(e.faults, nil)
	}
	e.mu.Unlock()
}

// FailAll forces every event request to get f until cleared with FailAll(nil).
func (e *Emulator) FailAll(f *Fault) {
	e.mu.Lock()
	e.sticky = f
	e.mu.Unlock()
}

// SetHealthBusy makes the health endpoint answer 503 code 18 (queues full) while true.
func (e *Emulator) SetHealthBusy(busy bool) {
	e.mu.Lock()
	e.busyHealth = busy
	e.mu.Unlock()
}

// RejectEvents answers 400 code 6 (Invalid data format) with `invalid-event-number` set to the
// position of the first event of a request for which reject returns true; nothing of that request
// is accepted. nil clears it.
func (e *Emulator) RejectEvents(reject func(Event) bool) {
	e.mu.Lock()
	e.reject = reject
	e.mu.Unlock()
}

// SetMaxContentLength changes the body limit (0: none).
func (e *Emulator) SetMaxContentLength(n int) {
	e.mu.Lock()
	e.cfg.MaxContentLength = n
	e.mu.Unlock()
}

// LoseAcks makes the ackIds of the next n accepted requests never turn true. With dropEvents the
// events of those requests are also not recorded (indexing failed); without, they are recorded
// (indexed, only the acknowledgement was lost), so a client's resend produces duplicates.
func (e *Emulator) LoseAcks(n int, dropEvents bool) {
	e.mu.Lock()
	e.loseAcks = n
	e.dropLost = dropEvents
	e.mu.Unlock()
}

// SetAckDelay changes how long new ackIds stay false.
func (e *Emulator) SetAckDelay(d time.Duration) {
	e.mu.Lock()
	e.cfg.AckDelay = d
	e.mu.Unlock()
}

// Events returns a copy of every accepted event, in acceptance order.
func (e *Emulator) Events() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.events...)
}

// EventCount is the number of accepted events (len(Events()) unless CountOnly).
func (e *Emulator) EventCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.events) + e.counted
}

// Requests returns a copy of the log of answered requests.
func (e *Emulator) Requests() []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Request(nil), e.requests...)
}

// Delivery compares what a client sent with what the emulator accepted. key extracts an event's
// identity (e.g. its event.id); sent lists the identities the client was given.
type Delivery struct {
	Sent, Received int
	// Lost are sent identities never received; Duplicates counts receptions beyond the first;
	// Unexpected are received identities that were not sent.
	Lost       []string
	Duplicates int
	MaxCopies  int
	Unexpected []string
}

// Compare computes the Delivery of sent against the accepted events.
func (e *Emulator) Compare(sent []string, key func(Event) string) Delivery {
	got := map[string]int{}
	events := e.Events()
	for _, ev := range events {
		got[key(ev)]++
	}
	d := Delivery{Sent: len(sent), Received: len(events)}
	want := map[string]bool{}
	for _, id := range sent {
		want[id] = true
		n := got[id]
		if n == 0 {
			d.Lost = append(d.Lost, id)
		}
		if n > 1 {
			d.Duplicates += n - 1
		}
		d.MaxCopies = max(d.MaxCopies, n)
	}
	for id := range got {
		if !want[id] {
			d.Unexpected = append(d.Unexpected, id)
		}
	}
	return d
}

// ServeHTTP implements the HEC endpoints.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch path {
	case PathEvent, PathEventAlias, PathEventV1:
		if r.Method != http.MethodPost {
			e.reply(w, r, http.StatusMethodNotAllowed, -1, "Method not allowed", nil)
			return
		}
		e.serveEvent(w, r)
	case PathAck:
		if r.Method != http.MethodPost {
			e.reply(w, r, http.StatusMethodNotAllowed, -1, "Method not allowed", nil)
			return
		}
		e.serveAck(w, r)
	case PathHealth, PathHealthV1:
		e.serveHealth(w, r)
	default:
		e.reply(w, r, http.StatusNotFound, -1, "The requested URL was not found on this server.", nil)
	}
}

// authorize checks the Authorization header; it returns false after answering.
func (e *Emulator) authorize(w http.ResponseWriter, r *http.Request) bool {
	e.mu.Lock()
	token, disabled := e.token, e.disabled
	e.mu.Unlock()
	h := r.Header.Get("Authorization")
	if h == "" {
		e.reply(w, r, http.StatusUnauthorized, CodeTokenRequired, "", nil)
		return false
	}
	got, ok := strings.CutPrefix(h, "Splunk ")
	if !ok {
		e.reply(w, r, http.StatusUnauthorized, CodeInvalidAuthz, "", nil)
		return false
	}
	if got != token {
		e.reply(w, r, http.StatusForbidden, CodeInvalidToken, "", nil)
		return false
	}
	if disabled {
		e.reply(w, r, http.StatusForbidden, CodeTokenDisabled, "", nil)
		return false
	}
	return true
}

// channel validates the request channel; it returns false after answering.
func (e *Emulator) channel(w http.ResponseWriter, r *http.Request, required bool) (string, bool) {
	ch := r.Header.Get(HeaderChannel)
	if ch == "" {
		ch = r.URL.Query().Get("channel")
	}
	if ch == "" {
		if required {
			e.reply(w, r, http.StatusBadRequest, CodeChannelMissing, "", nil)
			return "", false
		}
		return "", true
	}
	if !isGUID(ch) {
		e.reply(w, r, http.StatusBadRequest, CodeInvalidChannel, "", nil)
		return "", false
	}
	return ch, true
}

func (e *Emulator) serveEvent(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		e.reply(w, r, http.StatusBadRequest, CodeInvalidDataFormat, "Could not read request body", nil)
		return
	}
	info := Request{Method: r.Method, Path: r.URL.Path, WireBytes: len(raw)}
	e.mu.Lock()
	var forced *Fault
	if len(e.faults) > 0 {
		forced = e.faults[0]
		e.faults = e.faults[1:]
	} else if e.sticky != nil {
		f := *e.sticky
		forced = &f
	}
	limit := e.cfg.MaxContentLength
	ackOn := e.cfg.AckEnabled
	e.mu.Unlock()

	if !e.authorize(w, r) {
		return
	}
	ch, ok := e.channel(w, r, ackOn)
	if !ok {
		return
	}
	info.Channel = ch
	if forced != nil {
		var hdr map[string]string
		if forced.RetryAfter > 0 {
			hdr = map[string]string{"Retry-After": strconv.Itoa(int((forced.RetryAfter + time.Second - 1) / time.Second))}
		}
		var extra map[string]any
		if forced.InvalidEventNumber != nil {
			extra = map[string]any{"invalid-event-number": *forced.InvalidEventNumber}
		}
		e.reply(w, r, forced.Status, forced.Code, forced.Text, extra, hdr)
		return
	}

	body, gz, err := decodeBody(r.Header.Get("Content-Encoding"), raw)
	if err != nil {
		e.reply(w, r, http.StatusBadRequest, CodeInvalidDataFormat, err.Error(), nil)
		return
	}
	info.Gzip = gz
	info.DecodedBytes = len(body)
	if limit > 0 && len(body) > limit {
		e.reply(w, r, http.StatusRequestEntityTooLarge, -1, "Content-Length of request exceeds max_content_length", nil)
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		e.reply(w, r, http.StatusBadRequest, CodeNoData, "", nil)
		return
	}

	events, bad, code, text := e.decode(body)
	if bad >= 0 {
		e.reply(w, r, http.StatusBadRequest, code, text, map[string]any{"invalid-event-number": bad})
		return
	}

	e.mu.Lock()
	e.seq++
	seq := e.seq
	ackID := int64(-1)
	record := true
	if ackOn {
		ackID = e.nextAck[ch]
		e.nextAck[ch] = ackID + 1
		st := &ackState{channel: ch, readyAt: time.Now().Add(e.cfg.AckDelay)}
		if e.loseAcks > 0 {
			e.loseAcks--
			st.lost = true
			record = !e.dropLost
		}
		if e.acks[ch] == nil {
			e.acks[ch] = map[int64]*ackState{}
		}
		e.acks[ch][ackID] = st
	}
	if record && e.cfg.CountOnly {
		e.counted += len(events)
	} else if record {
		for i := range events {
			events[i].Channel, events[i].AckID, events[i].Request = ch, ackID, seq
		}
		e.events = append(e.events, events...)
	}
	e.mu.Unlock()
	info.Events = len(events)
	extra := map[string]any{}
	if ackOn {
		extra["ackId"] = ackID
		info.AckID = ackID
	} else {
		info.AckID = -1
	}
	e.replyInfo(w, http.StatusOK, CodeSuccess, "", extra, nil, info)
}

// readBody reads a request body, gunzipping it when Content-Encoding says gzip.
func readBody(r *http.Request) ([]byte, bool, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, false, err
	}
	return decodeBody(r.Header.Get("Content-Encoding"), raw)
}

func decodeBody(encoding string, raw []byte) ([]byte, bool, error) {
	if encoding == "" {
		return raw, false, nil
	}
	if !strings.EqualFold(encoding, "gzip") {
		return nil, false, fmt.Errorf("unsupported Content-Encoding %q", encoding)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, true, fmt.Errorf("invalid gzip body: %w", err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		return nil, true, fmt.Errorf("invalid gzip body: %w", err)
	}
	return body, true, nil
}

// decode splits body into concatenated envelopes and validates each. It returns the events, or the
// 0-based number of the first bad event with its code and text (bad = -1 when all are good).
func (e *Emulator) decode(body []byte) ([]Event, int, int, string) {
	e.mu.Lock()
	reject := e.reject
	indexes := e.cfg.Indexes
	e.mu.Unlock()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var events []Event
	for n := 0; ; n++ {
		var env map[string]json.RawMessage
		if err := dec.Decode(&env); err != nil {
			if errors.Is(err, io.EOF) {
				return events, -1, 0, ""
			}
			return nil, n, CodeInvalidDataFormat, ""
		}
		ev, code := validate(env)
		if code != CodeSuccess {
			return nil, n, code, ""
		}
		if len(indexes) > 0 && ev.Index != "" && !contains(indexes, ev.Index) {
			return nil, n, CodeIncorrectIndex, ""
		}
		if reject != nil && reject(ev) {
			return nil, n, CodeInvalidDataFormat, ""
		}
		events = append(events, ev)
	}
}

// validate checks one envelope as HEC does: `event` present and not blank, `time` a number (or a
// numeric string), the metadata strings, `fields` a flat object.
func validate(env map[string]json.RawMessage) (Event, int) {
	var ev Event
	raw, ok := env["event"]
	if !ok || string(raw) == "null" {
		return ev, CodeEventFieldRequired
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && strings.TrimSpace(s) == "" {
		return ev, CodeEventFieldBlank
	}
	ev.Event = raw
	if t, ok := env["time"]; ok {
		var num json.Number
		if err := json.Unmarshal(t, &num); err != nil {
			var ts string
			if json.Unmarshal(t, &ts) != nil {
				return ev, CodeInvalidDataFormat
			}
			num = json.Number(ts)
		}
		f, err := num.Float64()
		if err != nil {
			return ev, CodeInvalidDataFormat
		}
		ev.Time = &f
	}
	for key, dst := range map[string]*string{"host": &ev.Host, "source": &ev.Source, "sourcetype": &ev.Sourcetype, "index": &ev.Index} {
		if v, ok := env[key]; ok {
			if json.Unmarshal(v, dst) != nil {
				return ev, CodeInvalidDataFormat
			}
		}
	}
	if f, ok := env["fields"]; ok {
		if json.Unmarshal(f, &ev.Fields) != nil {
			return ev, CodeInvalidDataFormat
		}
		// Indexed fields are flat: a value is a string, a number or an array of them.
		for _, v := range ev.Fields {
			t := bytes.TrimSpace(v)
			if len(t) > 0 && t[0] == '{' {
				return ev, CodeInvalidDataFormat
			}
			if len(t) > 0 && t[0] == '[' && bytes.ContainsAny(t[1:], "{[") {
				return ev, CodeInvalidDataFormat
			}
		}
	}
	return ev, CodeSuccess
}

func (e *Emulator) serveAck(w http.ResponseWriter, r *http.Request) {
	if !e.authorize(w, r) {
		return
	}
	e.mu.Lock()
	ackOn := e.cfg.AckEnabled
	e.mu.Unlock()
	if !ackOn {
		e.reply(w, r, http.StatusBadRequest, CodeAckDisabled, "", nil)
		return
	}
	ch, ok := e.channel(w, r, true)
	if !ok {
		return
	}
	var req struct {
		Acks []int64 `json:"acks"`
	}
	body, _, err := readBody(r)
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		e.reply(w, r, http.StatusBadRequest, CodeInvalidDataFormat, "", nil)
		return
	}
	out := make(map[string]bool, len(req.Acks))
	now := time.Now()
	e.mu.Lock()
	for _, id := range req.Acks {
		st := e.acks[ch][id]
		done := st != nil && !st.lost && !now.Before(st.readyAt)
		out[strconv.FormatInt(id, 10)] = done
		if done {
			// Splunk forgets an ackId once it has reported it true.
			delete(e.acks[ch], id)
		}
	}
	e.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"acks": out})
	e.log(Request{Method: r.Method, Path: r.URL.Path, Channel: ch, Status: http.StatusOK, AckID: -1})
}

func (e *Emulator) serveHealth(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	busy, token := e.busyHealth, e.token
	e.mu.Unlock()
	if h := r.Header.Get("Authorization"); h != "" {
		if got, _ := strings.CutPrefix(h, "Splunk "); got != token {
			e.reply(w, r, http.StatusBadRequest, CodeInvalidToken, "", nil)
			return
		}
	}
	if busy {
		e.reply(w, r, http.StatusServiceUnavailable, CodeQueuesFull, "", nil)
		return
	}
	e.reply(w, r, http.StatusOK, CodeHealthy, "", nil)
}

// codeText is the `text` Splunk sends with each code.
var codeText = map[int]string{
	CodeSuccess:            "Success",
	CodeTokenDisabled:      "Token disabled",
	CodeTokenRequired:      "Token is required",
	CodeInvalidAuthz:       "Invalid authorization",
	CodeInvalidToken:       "Invalid token",
	CodeNoData:             "No data",
	CodeInvalidDataFormat:  "Invalid data format",
	CodeIncorrectIndex:     "Incorrect index",
	CodeInternalError:      "Internal server error",
	CodeServerBusy:         "Server is busy",
	CodeChannelMissing:     "Data channel is missing",
	CodeInvalidChannel:     "Invalid data channel",
	CodeEventFieldRequired: "Event field is required",
	CodeEventFieldBlank:    "Event field cannot be blank",
	CodeAckDisabled:        "ACK is disabled",
	CodeHealthy:            "HEC is healthy",
	CodeQueuesFull:         "HEC is unhealthy, queues are full",
}

func (e *Emulator) reply(w http.ResponseWriter, r *http.Request, status, code int, text string, extra map[string]any, hdr ...map[string]string) {
	info := Request{Method: r.Method, Path: r.URL.Path, Channel: r.Header.Get(HeaderChannel), AckID: -1}
	var h map[string]string
	if len(hdr) > 0 {
		h = hdr[0]
	}
	e.replyInfo(w, status, code, text, extra, h, info)
}

func (e *Emulator) replyInfo(w http.ResponseWriter, status, code int, text string, extra map[string]any, hdr map[string]string, info Request) {
	if text == "" {
		text = codeText[code]
	}
	body := map[string]any{"text": text}
	if code >= 0 {
		body["code"] = code
	}
	for k, v := range extra {
		body[k] = v
	}
	for k, v := range hdr {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
	info.Status, info.Code, info.RetryAfter = status, code, hdr["Retry-After"]
	e.log(info)
}

func (e *Emulator) log(info Request) {
	e.mu.Lock()
	info.Seq = len(e.requests) + 1
	e.requests = append(e.requests, info)
	e.mu.Unlock()
}

// isGUID accepts the 8-4-4-4-12 hex form Splunk requires of a channel.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
