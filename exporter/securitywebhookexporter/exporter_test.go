package securitywebhookexporter

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/otel/attribute"

	"github.com/unified-ot/otelcol-siem/exporter/securitywebhookexporter/internal/metadata"
	"github.com/unified-ot/otelcol-siem/internal/delivery"
	"github.com/unified-ot/otelcol-siem/internal/secformat"
	"github.com/unified-ot/otelcol-siem/secevent"
)

const prefix = metadata.MetricPrefix

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	id := component.NewID(metadata.Type)
	if name != "" {
		id = component.NewIDWithName(metadata.Type, name)
	}
	sub, err := cm.Sub(id.String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg
}

func TestConfig(t *testing.T) {
	require.NoError(t, componenttest.CheckConfigStruct(createDefaultConfig()))
	def := createDefaultConfig().(*Config)
	assert.ErrorContains(t, def.Validate(), "endpoint: required")
	assert.Empty(t, string(def.ClientConfig.Compression), "no compression by default")
	assert.True(t, def.QueueConfig.HasValue())
	assert.Zero(t, def.RetryConfig.MaxElapsedTime, "retries never give up by default")

	cfg := loadConfig(t, "")
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, FormatJSONArray, cfg.Format)
	assert.Equal(t, defaultContentLength, cfg.MaxContentLength)

	full := loadConfig(t, "full")
	require.NoError(t, confmap.Validate(full))
	assert.Equal(t, FormatNDJSON, full.Format)
	assert.Equal(t, 262144, full.MaxContentLength)
	require.True(t, full.ClientConfig.Auth.HasValue())
	assert.Equal(t, "bearertokenauth/soc", full.ClientConfig.Auth.Get().AuthenticatorID.String())

	err := loadConfig(t, "invalid").Validate()
	require.Error(t, err)
	for _, want := range []string{
		`endpoint: "ftp://soc.example.com/": scheme must be http or https`,
		`format: "xml" is not supported`,
		"max_content_length: must be at least 1024 bytes, got 10",
	} {
		assert.Contains(t, err.Error(), want)
	}
	noHost := createDefaultConfig().(*Config)
	noHost.ClientConfig.Endpoint = "https:///path"
	assert.ErrorContains(t, noHost.Validate(), "has no host")
	noHost.ClientConfig.Endpoint = "http://[::1"
	assert.ErrorContains(t, noHost.Validate(), "is not a URL")
}

func TestBodiesAreFormatterObjects(t *testing.T) {
	for _, format := range []string{FormatJSONArray, FormatNDJSON} {
		t.Run(format, func(t *testing.T) {
			s := newWebhookServer(t)
			h := newHarness(t)
			cfg := testConfig(s)
			cfg.Format = format
			cfg.MaxContentLength = 4096
			e := h.startExporter(t, cfg)
			ld, ids := testLogs("w", 30)
			require.NoError(t, e.pushLogs(context.Background(), ld))
			lost, dups := s.lostAndDup(ids)
			assert.Empty(t, lost)
			assert.Zero(t, dups)
			reqs := s.requests()
			assert.Greater(t, len(reqs), 2, "30 events do not fit one 4 KiB body")
			for _, r := range reqs {
				assert.LessOrEqual(t, r.bodyBytes, 4096)
				if format == FormatNDJSON {
					assert.Equal(t, "application/x-ndjson", r.contentType)
				} else {
					assert.Equal(t, "application/json", r.contentType)
				}
			}
			var first map[string]any
			s.mu.Lock()
			require.NoError(t, json.Unmarshal(s.events[0], &first))
			s.mu.Unlock()
			assert.Equal(t, "w-0", first[secevent.KeyEventID])
			assert.Equal(t, "Permission denied for bob on /api/config (0)", first[secformat.JSONMessage])
			assert.Equal(t, int64(30), h.counter(t, prefix+"_events_sent"))
			assert.Equal(t, int64(30), h.counter(t, prefix+"_events_sent", attribute.String(delivery.AttrExporter, h.set.ID.String())), "the series carries the exporter id")
		})
	}
}

func TestGzip(t *testing.T) {
	s := newWebhookServer(t)
	cfg := testConfig(s)
	cfg.ClientConfig.Compression = "gzip"
	e := newHarness(t).startExporter(t, cfg)
	ld, ids := testLogs("gz", 10)
	require.NoError(t, e.pushLogs(context.Background(), ld))
	lost, _ := s.lostAndDup(ids)
	assert.Empty(t, lost)
	assert.True(t, s.requests()[0].gzip)
}

func TestOversizedEventTruncated(t *testing.T) {
	s := newWebhookServer(t)
	h := newHarness(t)
	cfg := testConfig(s)
	cfg.MaxContentLength = 2048
	e := h.startExporter(t, cfg)
	ld, _ := testLogs("big", 3)
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(1).Body().SetStr(strings.Repeat("é", 5000))
	require.NoError(t, e.pushLogs(context.Background(), ld))
	assert.Equal(t, 1, s.ids()["<string>"], "the cut event is a JSON string")
	assert.Equal(t, 1, s.ids()["big-0"])
	assert.Equal(t, 1, s.ids()["big-2"])
	assert.Equal(t, int64(1), h.counter(t, prefix+"_events_truncated"))
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ev := range s.events {
		var str string
		if json.Unmarshal(ev, &str) == nil {
			assert.True(t, strings.HasSuffix(str, secformat.TruncationMarker))
		}
	}
}

func TestStatusDiscipline(t *testing.T) {
	cases := []struct {
		name      string
		f         fault
		permanent bool
		auth      bool
		throttle  string
	}{
		{"503 Retry-After", fault{status: 503, retryAfter: "4"}, false, false, "Throttle (4s)"},
		{"429", fault{status: 429, retryAfter: "2"}, false, false, "Throttle (2s)"},
		{"500", fault{status: 500}, false, false, ""},
		{"502", fault{status: 502}, false, false, ""},
		{"401", fault{status: 401}, false, true, ""},
		{"403", fault{status: 403, body: "forbidden"}, false, true, ""},
		{"400", fault{status: 400, body: "schema mismatch"}, true, false, ""},
		{"404", fault{status: 404}, true, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newWebhookServer(t)
			h := newHarness(t)
			e := h.startExporter(t, testConfig(s))
			s.failNext(1, c.f)
			ld, _ := testLogs("s", 3)
			err := e.pushLogs(context.Background(), ld)
			require.Error(t, err)
			assert.Equal(t, c.permanent, consumererror.IsPermanent(err), err.Error())
			if c.permanent {
				assert.Equal(t, int64(3), h.counter(t, prefix+"_events_dropped", attribute.String(delivery.AttrReason, delivery.ReasonRejected)))
				assert.Equal(t, 3, h.logs.FilterMessage("the webhook rejected events; they are dropped").Len())
				return
			}
			var u *delivery.UnsentError
			require.ErrorAs(t, err, &u)
			assert.Equal(t, 3, u.Rest.ItemsCount())
			if c.throttle != "" {
				assert.Contains(t, err.Error(), c.throttle)
			}
			if c.auth {
				assert.ErrorIs(t, err, delivery.ErrAuth)
				assert.Equal(t, int64(1), h.counter(t, prefix+"_auth_failures"))
				assert.Equal(t, 1, h.logs.FilterMessageSnippet("refused the credentials").Len())
				for _, entry := range h.logs.All() {
					for _, v := range entry.ContextMap() {
						assert.NotContains(t, fmt.Sprint(v), "s3cr3t")
					}
				}
			}
			require.NoError(t, e.sendBatch(context.Background(), u.Rest))
		})
	}
}

func TestSplitOn413(t *testing.T) {
	s := newWebhookServer(t)
	s.setMaxBody(1500)
	h := newHarness(t)
	e := h.startExporter(t, testConfig(s))
	ld, ids := testLogs("split", 25)
	require.NoError(t, e.pushLogs(context.Background(), ld))
	lost, dups := s.lostAndDup(ids)
	assert.Empty(t, lost)
	assert.Zero(t, dups)
	assert.Positive(t, h.counter(t, prefix+"_requests", attribute.String("outcome", "split")))
}

func TestUnreachableIsRetryable(t *testing.T) {
	s := newWebhookServer(t)
	e := newHarness(t).startExporter(t, testConfig(s))
	s.stop()
	ld, _ := testLogs("down", 2)
	err := e.pushLogs(context.Background(), ld)
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
}

// Through exporterhelper with its sending queue: outage, 503 storm, 413, wrong token later fixed.
func TestScenarios(t *testing.T) {
	cases := map[string]struct {
		fault, heal func(s *webhookServer, h *harness)
	}{
		"outage": {
			fault: func(s *webhookServer, _ *harness) { s.stop() },
			heal:  func(s *webhookServer, _ *harness) { time.Sleep(300 * time.Millisecond); s.restart() },
		},
		"503 storm": {
			fault: func(s *webhookServer, _ *harness) {
				s.failNext(2, fault{status: 503, retryAfter: "1"})
				s.failNext(40, fault{status: 503})
				s.failNext(5, fault{status: 429})
			},
			heal: func(*webhookServer, *harness) {},
		},
		"413": {
			fault: func(s *webhookServer, _ *harness) { s.setMaxBody(2000) },
			heal:  func(*webhookServer, *harness) {},
		},
		"wrong token later fixed": {
			fault: func(s *webhookServer, _ *harness) { s.setToken("Bearer rotated") },
			heal: func(s *webhookServer, h *harness) {
				require.Eventually(t, func() bool { return h.counter(t, prefix+"_auth_failures") >= 3 }, 10*time.Second, 5*time.Millisecond)
				s.setToken(bearer)
			},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s := newWebhookServer(t)
			h := newHarness(t)
			cfg := testConfig(s)
			cfg.RetryConfig.InitialInterval = 10 * time.Millisecond
			cfg.RetryConfig.MaxInterval = 50 * time.Millisecond
			cfg.RetryConfig.RandomizationFactor = 0
			cfg.RetryConfig.MaxElapsedTime = 0
			cfg.MaxContentLength = 64 * 1024
			require.NoError(t, cfg.Validate())
			exp, err := NewFactory().CreateLogs(context.Background(), h.set, cfg)
			require.NoError(t, err)
			require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
			c.fault(s, h)
			var sent []string
			for b := 0; b < 10; b++ {
				ld, ids := testLogs(fmt.Sprintf("b%d", b), 20)
				require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
				sent = append(sent, ids...)
			}
			c.heal(s, h)
			require.Eventually(t, func() bool { lost, _ := s.lostAndDup(sent); return len(lost) == 0 },
				30*time.Second, 10*time.Millisecond)
			require.NoError(t, exp.Shutdown(context.Background()))
			_, dups := s.lostAndDup(sent)
			assert.Zero(t, dups)
		})
	}
}

func TestPartialRetryKeepsOnlyUnsentBatches(t *testing.T) {
	s := newWebhookServer(t)
	cfg := testConfig(s)
	cfg.MaxContentLength = 2048
	e := newHarness(t).startExporter(t, cfg)
	ld, ids := testLogs("p", 30)
	s.passNext(1)
	s.failNext(1, fault{status: 503})
	err := e.pushLogs(context.Background(), ld)
	require.Error(t, err)
	var u *delivery.UnsentError
	require.ErrorAs(t, err, &u)
	delivered := len(s.ids())
	assert.Positive(t, delivered)
	assert.Equal(t, len(ids)-delivered, u.Rest.ItemsCount(), "the error holds only what was not delivered")
	require.NoError(t, e.sendBatch(context.Background(), u.Rest))
	lost, dups := s.lostAndDup(ids)
	assert.Empty(t, lost)
	assert.Zero(t, dups)
}
