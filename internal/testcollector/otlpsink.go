package testcollector

import (
	"compress/gzip"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// OTLPSink is an OTLP/HTTP logs server (POST /v1/logs, protobuf) on loopback that keeps every
// record it receives, keyed by event.id, so a test can count what arrived, lost and duplicated.
type OTLPSink struct {
	URL string // http://127.0.0.1:PORT, for an otlp_http exporter's endpoint

	srv     *http.Server
	mu      sync.Mutex
	records map[string][]plog.LogRecord
	total   int
}

// NewOTLPSink starts a sink on a free loopback port; it is closed at the end of the test.
func NewOTLPSink(t testing.TB) *OTLPSink {
	t.Helper()
	return NewOTLPSinkAt(t, "127.0.0.1:0")
}

// NewOTLPSinkAt starts a sink on addr, e.g. a port a collector was already told to send to while
// nothing listened there (the SIEM coming up late).
func NewOTLPSinkAt(t testing.TB, addr string) *OTLPSink {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &OTLPSink{URL: "http://" + l.Addr().String(), records: map[string][]plog.LogRecord{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/logs", s.handle)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(l) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

// Close stops the sink (the SIEM going down); what it received stays readable.
func (s *OTLPSink) Close() { _ = s.srv.Close() }

func (s *OTLPSink) handle(w http.ResponseWriter, r *http.Request) {
	var rd io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rd = gz
	}
	body, err := io.ReadAll(rd)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := plogotlp.NewExportRequest()
	if err := req.UnmarshalProto(body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	logs := req.Logs()
	s.mu.Lock()
	for i := 0; i < logs.ResourceLogs().Len(); i++ {
		sls := logs.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := plog.NewLogRecord()
				lrs.At(k).CopyTo(lr)
				id := ""
				if v, ok := lr.Attributes().Get(secevent.KeyEventID); ok {
					id = v.AsString()
				}
				s.records[id] = append(s.records[id], lr)
				s.total++
			}
		}
	}
	s.mu.Unlock()
	resp, _ := plogotlp.NewExportResponse().MarshalProto()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(resp)
}

// Total is the number of records received, duplicates included.
func (s *OTLPSink) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// IDs lists the distinct event.id values received (alerts carry their own).
func (s *OTLPSink) IDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.records))
	for id := range s.records {
		ids = append(ids, id)
	}
	return ids
}

// All returns a copy of every record received, in no particular order.
func (s *OTLPSink) All() []plog.LogRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	var all []plog.LogRecord
	for _, rs := range s.records {
		all = append(all, rs...)
	}
	return all
}

// Record returns the first record received with event.id id.
func (s *OTLPSink) Record(id string) (plog.LogRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.records[id]
	if len(r) == 0 {
		return plog.LogRecord{}, false
	}
	return r[0], true
}

// Count returns, for the given ids, how many were received at least once and how many extra
// copies arrived.
func (s *OTLPSink) Count(ids []string) (received, duplicated int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if n := len(s.records[id]); n > 0 {
			received++
			duplicated += n - 1
		}
	}
	return received, duplicated
}

// WaitFor waits until every id has arrived or timeout passes, and returns how many arrived.
func (s *OTLPSink) WaitFor(ids []string, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		got, _ := s.Count(ids)
		if got == len(ids) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Event is one security event for a test to send, in schema keys.
type Event struct {
	ID         string
	Time       time.Time
	Severity   plog.SeverityNumber
	Body       string
	Attributes map[string]any
}

// Logs builds one plog.Logs holding events under a resource with service.name.
func Logs(serviceName string, events ...Event) plog.Logs {
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(secevent.KeyServiceName, serviceName)
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	for _, e := range events {
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(e.Time))
		lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(e.Time))
		lr.SetSeverityNumber(e.Severity)
		lr.SetSeverityText(e.Severity.String())
		lr.Body().SetStr(e.Body)
		_ = lr.Attributes().FromRaw(e.Attributes)
		lr.Attributes().PutStr(secevent.KeyEventID, e.ID)
	}
	return logs
}
