package securitywebhookexporter

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/unified-ot/otelcol-siem/exporter/securitywebhookexporter/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

const bearer = "Bearer s3cr3t-webhook-token"

// fault is a forced answer of the test webhook server.
type fault struct {
	status     int
	retryAfter string
	body       string
	// keep stores the request's events before answering status: a server that took them but
	// failed its answer, so the client resends (at-least-once duplicates).
	keep bool
}

// webhookServer is a local HTTP server standing in for a SOC webhook: it checks the bearer token,
// gunzips, parses a JSON array or NDJSON body, records every event, and injects faults.
type webhookServer struct {
	t       *testing.T
	mu      sync.Mutex
	token   string
	maxBody int
	faults  []*fault
	events  []json.RawMessage
	reqs    []recorded
	addr    string
	srv     *http.Server
}

type recorded struct {
	status      int
	contentType string
	gzip        bool
	bodyBytes   int
	events      int
}

func newWebhookServer(t *testing.T) *webhookServer {
	s := &webhookServer{t: t, token: bearer}
	s.listen("127.0.0.1:0")
	t.Cleanup(s.stop)
	return s
}

func (s *webhookServer) listen(addr string) {
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(s.t, err)
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	s.mu.Lock()
	s.addr, s.srv = ln.Addr().String(), srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
}

func (s *webhookServer) stop() {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	_ = srv.Close()
}

func (s *webhookServer) restart() { s.listen(s.addr) }

func (s *webhookServer) url() string { return "http://" + s.addr + "/hooks/otsec" }

func (s *webhookServer) failNext(n int, f fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < n; i++ {
		f := f
		s.faults = append(s.faults, &f)
	}
}

func (s *webhookServer) passNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < n; i++ {
		s.faults = append(s.faults, nil)
	}
}

func (s *webhookServer) setMaxBody(n int) {
	s.mu.Lock()
	s.maxBody = n
	s.mu.Unlock()
}

func (s *webhookServer) setToken(tok string) {
	s.mu.Lock()
	s.token = tok
	s.mu.Unlock()
}

func (s *webhookServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	rec := recorded{contentType: r.Header.Get("Content-Type"), bodyBytes: len(raw)}
	answer := func(status int, hdr, body string) {
		if hdr != "" {
			w.Header().Set("Retry-After", hdr)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
		rec.status = status
		s.mu.Lock()
		s.reqs = append(s.reqs, rec)
		s.mu.Unlock()
	}
	s.mu.Lock()
	var f *fault
	if len(s.faults) > 0 {
		f = s.faults[0]
		s.faults = s.faults[1:]
	}
	token, limit := s.token, s.maxBody
	s.mu.Unlock()
	if r.Header.Get("Authorization") != token {
		answer(http.StatusUnauthorized, "", "bad token")
		return
	}
	if f != nil && !f.keep {
		answer(f.status, f.retryAfter, f.body)
		return
	}
	body := raw
	if r.Header.Get("Content-Encoding") == "gzip" {
		rec.gzip = true
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		require.NoError(s.t, err)
		body, err = io.ReadAll(zr)
		require.NoError(s.t, err)
	}
	rec.bodyBytes = len(body)
	if limit > 0 && len(body) > limit {
		answer(http.StatusRequestEntityTooLarge, "", "too large")
		return
	}
	var evs []json.RawMessage
	switch rec.contentType {
	case "application/json":
		if err := json.Unmarshal(body, &evs); err != nil {
			answer(http.StatusBadRequest, "", "not a JSON array: "+err.Error())
			return
		}
	case "application/x-ndjson":
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			if !json.Valid(sc.Bytes()) {
				answer(http.StatusBadRequest, "", "bad line")
				return
			}
			evs = append(evs, append(json.RawMessage(nil), sc.Bytes()...))
		}
		if len(body) == 0 || body[len(body)-1] != '\n' {
			answer(http.StatusBadRequest, "", "NDJSON must end with LF")
			return
		}
	default:
		answer(http.StatusUnsupportedMediaType, "", "content type")
		return
	}
	rec.events = len(evs)
	s.mu.Lock()
	s.events = append(s.events, evs...)
	s.mu.Unlock()
	if f != nil {
		answer(f.status, f.retryAfter, f.body)
		return
	}
	answer(http.StatusOK, "", "")
}

func (s *webhookServer) ids() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, ev := range s.events {
		var m map[string]any
		if json.Unmarshal(ev, &m) == nil {
			id, _ := m[secevent.KeyEventID].(string)
			out[id]++
			continue
		}
		out["<string>"]++
	}
	return out
}

func (s *webhookServer) requests() []recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]recorded(nil), s.reqs...)
}

// lostAndDup compares sent ids with what the server recorded.
func (s *webhookServer) lostAndDup(sent []string) (lost []string, dups int) {
	got := s.ids()
	for _, id := range sent {
		switch n := got[id]; {
		case n == 0:
			lost = append(lost, id)
		case n > 1:
			dups += n - 1
		}
	}
	return lost, dups
}

var eventTime = time.Date(2026, 11, 26, 10, 15, 2, 123456789, time.UTC)

func testLogs(prefix string, n int) (plog.Logs, []string) {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(secevent.KeyServiceName, "unified-ot-connector")
	rl.Resource().Attributes().PutStr(secevent.KeyHostName, "edge-01")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	var ids []string
	for i := 0; i < n; i++ {
		id := prefix + "-" + strconv.Itoa(i)
		ids = append(ids, id)
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(eventTime))
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.SetEventName("security.authorization.access")
		lr.Body().SetStr(fmt.Sprintf("Permission denied for bob on /api/config (%d)", i))
		a := lr.Attributes()
		a.PutStr(secevent.KeyEventID, id)
		a.PutStr(secevent.KeyCategory, string(secevent.CategoryAuthorization))
		a.PutStr(secevent.KeyOutcome, string(secevent.OutcomeDenied))
		a.PutStr(secevent.KeyUserName, "bob")
		a.PutStr(secevent.KeyURLPath, "/api/config")
	}
	return ld, ids
}

func testConfig(s *webhookServer) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = s.url()
	cfg.ClientConfig.Timeout = 5 * time.Second
	cfg.ClientConfig.Headers.Set("Authorization", configopaque.String(bearer))
	return cfg
}

type harness struct {
	tel  *componenttest.Telemetry
	logs *observer.ObservedLogs
	set  exporter.Settings
}

func newHarness(t *testing.T) *harness {
	h := &harness{tel: componenttest.NewTelemetry()}
	t.Cleanup(func() { _ = h.tel.Shutdown(context.Background()) })
	core, logs := observer.New(zap.DebugLevel)
	h.logs = logs
	h.set = exportertest.NewNopSettings(metadata.Type)
	h.set.TelemetrySettings = h.tel.NewTelemetrySettings()
	h.set.Logger = zap.New(core)
	return h
}

func (h *harness) startExporter(t *testing.T, cfg *Config) *webhookExporter {
	t.Helper()
	require.NoError(t, cfg.Validate())
	e, err := newExporter(cfg, h.set)
	require.NoError(t, err)
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, e.shutdown(context.Background())) })
	return e
}

func (h *harness) counter(t *testing.T, name string, attrs ...attribute.KeyValue) int64 {
	t.Helper()
	m, err := h.tel.GetMetric(name)
	if err != nil {
		return 0
	}
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok)
	var total int64
	for _, dp := range sum.DataPoints {
		match := true
		for _, a := range attrs {
			if v, ok := dp.Attributes.Value(a.Key); !ok || v != a.Value {
				match = false
			}
		}
		if match {
			total += dp.Value
		}
	}
	return total
}

// pushLogs formats and sends ld: the converter and the send in one call, what exporterhelper does
// for a batch, without the queue between them.
func (e *webhookExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	return e.sendBatch(ctx, e.converter.Convert(ctx, ld))
}
