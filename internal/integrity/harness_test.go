package integrity_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/unified-ot/otelcol-siem/internal/delivery"
	"github.com/unified-ot/otelcol-siem/internal/integrity"
	"github.com/unified-ot/otelcol-siem/internal/secformat"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// memStore is a storage extension in memory: what a restart of the collector keeps.
type memStore struct {
	component.StartFunc
	component.ShutdownFunc
	mu   sync.Mutex
	data map[string][]byte
	// failSets makes every Set fail (a full disk).
	failSets bool
}

func (m *memStore) GetClient(_ context.Context, _ component.Kind, id component.ID, name string) (storage.Client, error) {
	return &memClient{m: m, prefix: id.String() + "/" + name + "/"}, nil
}

type memClient struct {
	m      *memStore
	prefix string
}

func (c *memClient) Get(_ context.Context, key string) ([]byte, error) {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	return c.m.data[c.prefix+key], nil
}

func (c *memClient) Set(_ context.Context, key string, v []byte) error {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	if c.m.failSets {
		return errors.New("disk full")
	}
	if c.m.data == nil {
		c.m.data = map[string][]byte{}
	}
	c.m.data[c.prefix+key] = append([]byte(nil), v...)
	return nil
}

func (c *memClient) Delete(_ context.Context, key string) error {
	c.m.mu.Lock()
	defer c.m.mu.Unlock()
	delete(c.m.data, c.prefix+key)
	return nil
}

func (c *memClient) Batch(context.Context, ...*storage.Operation) error {
	return errors.New("not used")
}
func (c *memClient) Close(context.Context) error { return nil }

type host struct {
	exts map[component.ID]component.Component
}

func (h host) GetExtensions() map[component.ID]component.Component { return h.exts }

var storageID = component.MustNewID("queue_storage")

// site is one exporter with integrity on, sending synchronously into lines (what the SIEM
// stores), over a storage that outlives it (restarts).
type site struct {
	t      *testing.T
	store  *memStore
	id     component.ID
	json   bool
	header bool
	cfg    integrity.Config
	now    time.Time
	// cut, when positive (json without header), makes every event longer than cut bytes a JSON
	// string of its text cut to cut bytes, as security_webhook sends an event too large.
	cut int

	mu    sync.Mutex
	lines []string
	// refuse makes the next sends fail (the queue refusing a batch).
	refuse bool
	// hold, when set, keeps sends from returning until it is closed (a crash during the enqueue).
	hold chan struct{}

	logs exporter.Logs
	next int // event number
}

func writeKey(t testing.TB, dir, name, key string) string {
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(key+"\n"), 0o600))
	return p
}

const (
	keyA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	keyB = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
)

func newSite(t *testing.T, name string) *site {
	cfg := integrity.DefaultConfig()
	cfg.KeyFile = writeKey(t, t.TempDir(), "key", keyA)
	cfg.CheckpointRecords = 100
	cfg.CheckpointInterval = time.Hour // ticks by hand
	return &site{t: t, store: &memStore{}, id: component.MustNewIDWithName("cef_syslog", name), header: true, cfg: cfg,
		now: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)}
}

// start builds and starts the exporter (a restart when it ran before).
func (s *site) start() {
	t := s.t
	cef, err := secformat.NewCEF(secformat.DefaultCEFConfig())
	require.NoError(t, err)
	sl, err := secformat.NewSyslog(secformat.DefaultSyslogConfig())
	require.NoError(t, err)
	var msg secformat.MessageFormatter = cef
	kind := integrity.KindCEF
	if s.json {
		msg, kind = secformat.NewJSON(), integrity.KindJSON
	}
	st := integrity.New(integrity.Settings{
		Config: s.cfg, ID: s.id, Kind: kind, Logger: zap.NewNop(),
		Locate: func(rec []byte) (int, int, bool) {
			if s.cut > 0 && len(rec) >= 2 && rec[0] == '"' {
				return 1, len(rec) - 1, true
			}
			if !s.header {
				return 0, len(rec), false
			}
			return sl.MsgStart(rec), len(rec), false
		},
		Counters: integrity.Counters{Stamped: func(context.Context, int64) {}, Checkpoints: func(context.Context, int64) {}},
		Now:      func() time.Time { return s.now },
	})
	conv := &delivery.Converter{
		Format: func(dst []byte, res pcommon.Resource, lr plog.LogRecord) ([]byte, bool, bool) {
			if !s.header {
				start := len(dst)
				out := msg.Append(dst, res, lr)
				if s.cut > 0 && len(out)-start > s.cut {
					raw := append([]byte(nil), out[start:]...)
					out, _ = delivery.AppendTruncatedJSONString(out[:start], raw, s.cut)
					return out, true, true
				}
				return out, false, len(out) > len(dst)
			}
			out, ok := sl.AppendRecord(dst, res, lr, msg)
			return out, false, ok
		},
		Logger: zap.NewNop(), Failed: func(context.Context, int) {}, Truncated: func(context.Context, int) {},
		Integrity: st,
	}
	logs, err := delivery.NewLogs(context.Background(), exportertest.NewNopSettings(s.id.Type()), delivery.Settings{
		Queue:     configoptional.None[exporterhelper.QueueBatchConfig](),
		Retry:     configretry.BackOffConfig{Enabled: false},
		Converter: conv,
		Send: func(_ context.Context, b *delivery.Batch) error {
			s.mu.Lock()
			hold := s.hold
			s.mu.Unlock()
			if hold != nil {
				<-hold
				return errors.New("crashed")
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.refuse {
				return errors.New("queue full")
			}
			for _, r := range b.Records() {
				s.lines = append(s.lines, string(r))
			}
			return nil
		},
	})
	require.NoError(t, err)
	s.logs = integrity.Wrap(logs, st, storageID)
	require.NoError(t, s.logs.Start(context.Background(), host{exts: map[component.ID]component.Component{storageID: s.store}}))
}

// crashWhileQueueing sends n events that the queue holds, waits until the stamper has saved
// sequence number seq ahead of them, then crashes and starts the site again. release, called after
// the restarted site is stopped, lets the held send return and checks that it failed.
func (s *site) crashWhileQueueing(n int, seq uint64) (release func()) {
	hold := make(chan struct{})
	s.mu.Lock()
	s.hold = hold
	s.mu.Unlock()
	stuck := s.logs
	done := make(chan error)
	go func() { done <- stuck.ConsumeLogs(context.Background(), eventsLogs(s, n)) }()
	require.Eventually(s.t, func() bool { return s.store.savedSeq(s.t) == seq }, 5*time.Second, time.Millisecond)
	s.crash()
	s.mu.Lock()
	s.hold = nil
	s.mu.Unlock()
	s.start()
	return func() {
		close(hold)
		require.Error(s.t, <-done)
	}
}

// send delivers n events in one batch; it returns ConsumeLogs' error.
func (s *site) send(n int) error { return s.logs.ConsumeLogs(context.Background(), eventsLogs(s, n)) }

// savedSeq is the last number the stream state in storage has written ahead (0: none).
func (m *memStore) savedSeq(t *testing.T) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, v := range m.data {
		if strings.HasSuffix(k, "/integrity/state") {
			var p struct {
				Seq uint64 `json:"seq"`
			}
			require.NoError(t, json.Unmarshal(v, &p))
			return p.Seq
		}
	}
	return 0
}

// eventsLogs builds the site's next n events.
func eventsLogs(s *site, n int) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(secevent.KeyHostName, "plc-gw-1")
	rl.Resource().Attributes().PutStr("service.name", "unified-ot-connector")
	lrs := rl.ScopeLogs().AppendEmpty().LogRecords()
	for range n {
		s.next++
		lr := lrs.AppendEmpty()
		lr.SetTimestamp(pcommon.NewTimestampFromTime(s.now))
		lr.SetSeverityNumber(plog.SeverityNumberWarn)
		lr.Body().SetStr(fmt.Sprintf("login failed for operator-%d = \\ | \"quoted\"", s.next))
		a := lr.Attributes()
		a.PutStr(secevent.KeyCategory, string(secevent.CategoryAuthentication))
		a.PutStr(secevent.KeyAction, "login")
		a.PutStr(secevent.KeyOutcome, string(secevent.OutcomeFailure))
		a.PutStr(secevent.KeyUserName, fmt.Sprintf("operator-%d", s.next))
		a.PutStr(secevent.KeyEventID, fmt.Sprintf("ev-%d", s.next))
		a.PutStr(secevent.KeySourceAddress, "10.0.0.7")
	}
	return ld
}

func (s *site) stop() { require.NoError(s.t, s.logs.Shutdown(context.Background())) }

// crash drops the exporter without its shutdown (no final checkpoint, state not marked clean).
func (s *site) crash() { s.logs = nil }

func (s *site) output() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

// verify runs the verifier over lines with keys.
func verify(t *testing.T, lines []string, until time.Time, keys ...string) *integrity.Report {
	t.Helper()
	v := &integrity.Verifier{Keys: map[string][]byte{}, Until: until, Slack: time.Minute}
	for _, k := range keys {
		v.Keys[integrity.KeyID([]byte(k))] = []byte(k)
	}
	for _, l := range lines {
		v.Add([]byte(l))
	}
	r := v.Report()
	var b strings.Builder
	_, _ = r.WriteTo(&b)
	t.Log(b.String())
	return r
}
