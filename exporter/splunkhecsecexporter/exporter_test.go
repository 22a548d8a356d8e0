package splunkhecsecexporter

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.uber.org/zap/zapcore"

	"github.com/unified-ot/otelcol-siem/exporter/splunkhecsecexporter/internal/metadata"
	"github.com/unified-ot/otelcol-siem/internal/delivery"
	"github.com/unified-ot/otelcol-siem/internal/hectest"
	"github.com/unified-ot/otelcol-siem/internal/secformat"
	"github.com/unified-ot/otelcol-siem/secevent"
)

const prefix = metadata.MetricPrefix

func reason(r string) attribute.KeyValue { return attribute.String(delivery.AttrReason, r) }

func TestEnvelope(t *testing.T) {
	emu := newEmulator(t, hectest.Config{})
	h := newHarness(t)
	cfg := testConfig(emu)
	cfg.Index = "ot_security"
	cfg.Overrides.Index = secevent.KeySiteName
	cfg.IndexedFields = []string{secevent.KeyCategory, secevent.KeyOutcome, secevent.KeyUserRoles, secevent.KeySiteName, secevent.KeyReason}
	e := h.startExporter(t, cfg)

	ld, ids := testLogs("env", 3)
	lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	lr.Attributes().PutEmptySlice(secevent.KeyUserRoles).FromRaw([]any{"operator", "admin"})
	// The second record has no Timestamp: ObservedTimestamp is the event time.
	lr2 := ld.ResourceLogs().At(1).ScopeLogs().At(0).LogRecords().At(0)
	lr2.SetTimestamp(0)
	lr2.SetObservedTimestamp(pcommon.NewTimestampFromTime(eventTime.Add(time.Second)))
	// The third has neither: no time member, HEC stamps it.
	lr3 := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(1)
	lr3.SetTimestamp(0)
	ld.ResourceLogs().At(1).Resource().Attributes().Remove(secevent.KeyHostName)

	require.NoError(t, e.pushLogs(context.Background(), ld))
	evs := emu.Events()
	require.Len(t, evs, 3)
	byID := map[string]hectest.Event{}
	for _, ev := range evs {
		byID[eventID(ev)] = ev
	}
	require.ElementsMatch(t, ids, []string{eventID(evs[0]), eventID(evs[1]), eventID(evs[2])})

	first := byID["env-0"]
	require.NotNil(t, first.Time)
	assert.Equal(t, float64(eventTime.Unix())+0.123, *first.Time, "event time, millisecond precision")
	assert.Equal(t, "edge-01", first.Host, "host from the resource's host.name")
	assert.Equal(t, "unified-ot-connector", first.Source, "source from the resource's service.name")
	assert.Equal(t, DefaultSourcetypeJSON, first.Sourcetype)
	assert.Equal(t, "plant-a", first.Index, "index overridden by otsec.site.name")
	assert.JSONEq(t, `"authentication"`, string(first.Fields[secevent.KeyCategory]))
	assert.JSONEq(t, `"failure"`, string(first.Fields[secevent.KeyOutcome]))
	assert.JSONEq(t, `["operator","admin"]`, string(first.Fields[secevent.KeyUserRoles]))
	assert.NotContains(t, first.Fields, secevent.KeyReason, "absent keys are left out")
	obj, err := first.EventObject()
	require.NoError(t, err)
	assert.Equal(t, "Failed login attempt for alice@example.com", obj[secformat.JSONMessage])
	assert.Equal(t, "alice@example.com", obj[secevent.KeyUserName])

	second := byID["env-1"]
	assert.Equal(t, float64(eventTime.Unix())+1.123, *second.Time, "ObservedTimestamp when Timestamp is unset")
	assert.Empty(t, second.Host, "no host.name and no configured host: the token's default applies")

	assert.Nil(t, byID["env-2"].Time)
	assert.Equal(t, int64(3), h.counter(t, prefix+"_events_sent"))
	assert.Equal(t, int64(3), h.counter(t, prefix+"_events_sent", attribute.String(delivery.AttrExporter, h.set.ID.String())), "the series carries the exporter id")
	assert.Zero(t, h.counter(t, prefix+"_events_sent", attribute.String(delivery.AttrExporter, "splunk_hec_sec/other")))

	// The raw body is concatenated envelopes, not an array.
	body := delivery.Concatenated.AppendBody(nil, e.mustEncode(t, ld), []int{0, 1})
	assert.Equal(t, byte('{'), body[0])
	assert.Contains(t, string(body), "}{")
}

// mustEncode formats ld as the sending queue does and checks every envelope is JSON.
func (e *hecExporter) mustEncode(t *testing.T, ld plog.Logs) [][]byte {
	recs := e.converter.Convert(context.Background(), ld).Records()
	for _, r := range recs {
		require.True(t, json.Valid(r), string(r))
	}
	return recs
}

// pushLogs formats and sends ld: the converter and the send in one call, what exporterhelper does
// for a batch, without the queue between them.
func (e *hecExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	return e.sendBatch(ctx, e.converter.Convert(ctx, ld))
}

func TestCEFFormat(t *testing.T) {
	emu := newEmulator(t, hectest.Config{})
	h := newHarness(t)
	cfg := testConfig(emu)
	cfg.Format = FormatCEF
	cfg.Host = "fallback-host"
	cfg.Overrides.Host = ""
	e := h.startExporter(t, cfg)
	ld, _ := testLogs("cef", 2)
	require.NoError(t, e.pushLogs(context.Background(), ld))
	evs := emu.Events()
	require.Len(t, evs, 2)
	line, err := evs[0].EventString()
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(line, "CEF:0|Unified OT|otelcol-siem|"), line)
	assert.Contains(t, line, "externalId=cef-0")
	assert.Equal(t, DefaultSourcetypeCEF, evs[0].Sourcetype)
	assert.Equal(t, "fallback-host", evs[0].Host, "overrides.host empty: the configured host")
}

func TestOversizedEventIsTruncatedNotTheBatch(t *testing.T) {
	emu := newEmulator(t, hectest.Config{MaxContentLength: 4096})
	h := newHarness(t)
	cfg := testConfig(emu)
	cfg.MaxContentLength = 4096
	e := h.startExporter(t, cfg)
	ld, ids := testLogs("big", 5)
	big := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(1)
	big.Body().SetStr(strings.Repeat("ä\"\\x", 5000))
	require.NoError(t, e.pushLogs(context.Background(), ld))

	evs := emu.Events()
	require.Len(t, evs, 5, "the batch is delivered whole")
	var cut hectest.Event
	for _, ev := range evs {
		if _, err := ev.EventObject(); err != nil {
			cut = ev
		}
	}
	text, err := cut.EventString()
	require.NoError(t, err, "a cut event travels as a string")
	assert.True(t, strings.HasSuffix(text, secformat.TruncationMarker))
	assert.True(t, strings.HasPrefix(text, `{"@timestamp":`), "the cut keeps the head of the JSON object")
	assert.JSONEq(t, `"big-2"`, string(cut.Fields[secevent.KeyEventID]), "a cut event keeps its id as an indexed field")
	for _, r := range emu.Requests() {
		assert.LessOrEqual(t, r.DecodedBytes, 4096)
	}
	assert.Equal(t, int64(1), h.counter(t, prefix+"_events_truncated"))
	assert.Empty(t, emu.Compare(ids, eventID).Lost)
}

func TestBatchingAndGzip(t *testing.T) {
	for _, gz := range []bool{true, false} {
		emu := newEmulator(t, hectest.Config{})
		h := newHarness(t)
		cfg := testConfig(emu)
		cfg.MaxContentLength = 8192
		if !gz {
			cfg.ClientConfig.Compression = "none"
		}
		e := h.startExporter(t, cfg)
		ld, ids := testLogs("batch", 100)
		require.NoError(t, e.pushLogs(context.Background(), ld))
		reqs := emu.Requests()
		assert.Greater(t, len(reqs), 5, "100 events of ~700 bytes need several 8 KiB bodies")
		for _, r := range reqs {
			assert.LessOrEqual(t, r.DecodedBytes, 8192)
			assert.Equal(t, gz, r.Gzip)
			if gz {
				assert.Less(t, r.WireBytes, r.DecodedBytes/3, "security events compress well")
			}
		}
		var got []string
		for _, ev := range emu.Events() {
			got = append(got, eventID(ev))
		}
		assert.ElementsMatch(t, ids, got)
		assert.Equal(t, int64(len(reqs)), h.counter(t, prefix+"_requests", attribute.String("outcome", "delivered")))
	}
}

// retryable checks that err keeps records records queued and returns them, as exporterhelper's
// retry narrows the batch through OnError.
func retryable(t *testing.T, err error, records int) *delivery.Batch {
	t.Helper()
	require.Error(t, err)
	require.False(t, consumererror.IsPermanent(err), "must stay queued: %v", err)
	rest := (&delivery.Batch{}).OnError(err).(*delivery.Batch)
	assert.Equal(t, records, rest.ItemsCount())
	return rest
}

func TestTransientAnswersAreRetried(t *testing.T) {
	busy := hectest.FaultBusy
	busy.RetryAfter = 3 * time.Second
	for name, f := range map[string]hectest.Fault{
		"503 Retry-After": busy, "429": hectest.FaultThrottled, "500": hectest.FaultInternal,
	} {
		t.Run(name, func(t *testing.T) {
			emu := newEmulator(t, hectest.Config{})
			h := newHarness(t)
			e := h.startExporter(t, testConfig(emu))
			emu.FailNext(1, f)
			ld, _ := testLogs("r", 4)
			err := e.pushLogs(context.Background(), ld)
			retryable(t, err, 4)
			if f.RetryAfter > 0 {
				assert.Contains(t, err.Error(), "Throttle (3s)", "Retry-After reaches exporterhelper")
			}
			require.NoError(t, e.pushLogs(context.Background(), ld))
			assert.Equal(t, 4, emu.EventCount())
		})
	}
}

func TestPartialRetryKeepsOnlyUnsentBatches(t *testing.T) {
	emu := newEmulator(t, hectest.Config{})
	h := newHarness(t)
	cfg := testConfig(emu)
	cfg.MaxContentLength = 4096
	e := h.startExporter(t, cfg)
	ld, ids := testLogs("p", 40)
	items := e.mustEncode(t, ld)
	batches := delivery.Bodies(items, delivery.Concatenated, 4096)
	require.Greater(t, len(batches), 2)
	// The first request is accepted, the second meets a busy server.
	emu.PassNext(1)
	emu.FailNext(1, hectest.FaultBusy)
	err := e.pushLogs(context.Background(), ld)
	rest := retryable(t, err, len(ids)-len(batches[0]))
	assert.Len(t, emu.Requests(), 2, "no request after the busy answer")
	// exporterhelper's retry sends only what the error holds: nothing twice, nothing lost.
	require.NoError(t, e.sendBatch(context.Background(), rest))
	d := emu.Compare(ids, eventID)
	assert.Empty(t, d.Lost)
	assert.Zero(t, d.Duplicates)
}

func TestRequestTooLargeIsSplit(t *testing.T) {
	emu := newEmulator(t, hectest.Config{MaxContentLength: 5000})
	h := newHarness(t)
	cfg := testConfig(emu)
	cfg.MaxContentLength = 64 * 1024 // larger than the server's: 413s follow
	e := h.startExporter(t, cfg)
	ld, ids := testLogs("split", 30)
	require.NoError(t, e.pushLogs(context.Background(), ld))
	d := emu.Compare(ids, eventID)
	assert.Empty(t, d.Lost)
	assert.Zero(t, d.Duplicates)
	assert.Positive(t, h.counter(t, prefix+"_requests", attribute.String("outcome", "split")))

	// A single event the server will not take even alone is cut down, not dropped.
	big, bigIDs := testLogs("huge", 1)
	big.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().SetStr(strings.Repeat("x", 20000))
	require.NoError(t, e.pushLogs(context.Background(), big))
	evs := emu.Events()
	last := evs[len(evs)-1]
	text, err := last.EventString()
	require.NoError(t, err)
	assert.JSONEq(t, `"`+bigIDs[0]+`"`, string(last.Fields[secevent.KeyEventID]))
	assert.True(t, strings.HasSuffix(text, secformat.TruncationMarker))
	assert.Positive(t, h.counter(t, prefix+"_events_truncated"))
}

func TestInvalidEventDropsOnlyThatEvent(t *testing.T) {
	emu := newEmulator(t, hectest.Config{})
	h := newHarness(t)
	e := h.startExporter(t, testConfig(emu))
	emu.RejectEvents(func(ev hectest.Event) bool { return eventID(ev) == "bad-3" || eventID(ev) == "bad-7" })
	ld, ids := testLogs("bad", 10)
	require.NoError(t, e.pushLogs(context.Background(), ld), "dropped events are counted, not an error")
	d := emu.Compare(ids, eventID)
	assert.ElementsMatch(t, []string{"bad-3", "bad-7"}, d.Lost)
	assert.Zero(t, d.Duplicates, "HEC indexed nothing of a rejected request")
	assert.Equal(t, int64(2), h.counter(t, prefix+"_events_dropped", reason(ReasonInvalidEvent)))
	assert.Equal(t, int64(8), h.counter(t, prefix+"_events_sent"))
	logged := h.logs.FilterMessage("HEC rejected an event; it is dropped").All()
	require.Len(t, logged, 2)
	assert.Equal(t, ReasonInvalidEvent, logged[0].ContextMap()["reason"])
	assert.Contains(t, []any{"bad-3", "bad-7"}, logged[0].ContextMap()["event.id"])
}

func TestEventFieldCodesDropThatEvent(t *testing.T) {
	for code, r := range map[int]string{12: ReasonEventFieldRequired, 13: ReasonEventFieldBlank} {
		emu := newEmulator(t, hectest.Config{})
		h := newHarness(t)
		e := h.startExporter(t, testConfig(emu))
		n := 1
		emu.FailNext(1, hectest.Fault{Status: 400, Code: code, InvalidEventNumber: &n})
		ld, ids := testLogs("f", 3)
		require.NoError(t, e.pushLogs(context.Background(), ld))
		assert.Equal(t, 2, emu.EventCount())
		assert.Equal(t, int64(1), h.counter(t, prefix+"_events_dropped", reason(r)))
		d := emu.Compare(ids, eventID)
		require.Len(t, d.Lost, 1)
	}
}

func TestAuthFailuresKeepDataQueued(t *testing.T) {
	for name, f := range map[string]*hectest.Fault{
		"403 invalid token": nil, "403 token disabled": &hectest.FaultTokenDisabled, "401": {Status: 401, Code: 3},
	} {
		t.Run(name, func(t *testing.T) {
			emu := newEmulator(t, hectest.Config{})
			h := newHarness(t)
			e := h.startExporter(t, testConfig(emu))
			if f == nil {
				emu.SetToken("rotated")
			} else {
				emu.FailNext(1, *f)
			}
			ld, _ := testLogs("auth", 3)
			err := e.pushLogs(context.Background(), ld)
			retryable(t, err, 3)
			assert.ErrorIs(t, err, delivery.ErrAuth)
			assert.NotContains(t, err.Error(), testToken, "the token never appears in errors")
			assert.Equal(t, int64(1), h.counter(t, prefix+"_auth_failures"))
			logged := h.logs.FilterMessage("HEC refused the token; events stay queued until the token is fixed").All()
			require.Len(t, logged, 1)
			for _, entry := range h.logs.All() {
				assert.NotContains(t, entry.Message, testToken)
				for _, v := range entry.ContextMap() {
					assert.NotContains(t, fmt.Sprint(v), testToken)
				}
			}
		})
	}
}

func TestOther4xxArePermanent(t *testing.T) {
	emu := newEmulator(t, hectest.Config{Indexes: []string{"main"}})
	h := newHarness(t)
	cfg := testConfig(emu)
	cfg.Index = "not_allowed"
	e := h.startExporter(t, cfg)
	ld, _ := testLogs("perm", 3)
	err := e.pushLogs(context.Background(), ld)
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err))
	assert.Contains(t, err.Error(), "Incorrect index")
	assert.Equal(t, int64(3), h.counter(t, prefix+"_events_dropped", reason(delivery.ReasonRejected)))
}

func TestUnreachableIsRetryable(t *testing.T) {
	emu := newEmulator(t, hectest.Config{})
	h := newHarness(t)
	e := h.startExporter(t, testConfig(emu))
	emu.Stop()
	ld, _ := testLogs("down", 2)
	retryable(t, e.pushLogs(context.Background(), ld), 2)
}

func TestAckDeliveredOnlyWhenAcked(t *testing.T) {
	emu := newEmulator(t, hectest.Config{AckEnabled: true, AckDelay: 150 * time.Millisecond})
	h := newHarness(t)
	cfg := testConfig(emu)
	cfg.Ack.Enabled = true
	cfg.MaxContentLength = 4096
	e := h.startExporter(t, cfg)
	ld, ids := testLogs("ack", 20)
	begin := time.Now()
	require.NoError(t, e.pushLogs(context.Background(), ld))
	assert.GreaterOrEqual(t, time.Since(begin), 150*time.Millisecond, "push returns only after the ack")
	assert.Empty(t, emu.Compare(ids, eventID).Lost)
	assert.Equal(t, int64(20), h.counter(t, prefix+"_events_acked"))
	assert.Equal(t, int64(20), h.counter(t, prefix+"_events_sent"))
	reqs := emu.Requests()
	var channels = map[string]bool{}
	for _, r := range reqs {
		channels[r.Channel] = true
	}
	assert.Len(t, channels, 1, "one channel GUID per exporter instance, on every request")
}

func TestAckLossResendsAfterTimeout(t *testing.T) {
	emu := newEmulator(t, hectest.Config{AckEnabled: true})
	h := newHarness(t)
	cfg := testConfig(emu)
	cfg.Ack.Enabled = true
	cfg.Ack.Timeout = 200 * time.Millisecond
	e := h.startExporter(t, cfg)
	emu.LoseAcks(1, false)
	ld, ids := testLogs("lost", 5)
	err := e.pushLogs(context.Background(), ld)
	rest := retryable(t, err, 5)
	assert.Contains(t, err.Error(), "indexer acknowledgement not received")
	assert.Equal(t, int64(1), h.counter(t, prefix+"_ack_timeouts"))
	assert.Zero(t, h.counter(t, prefix+"_events_sent"), "not delivered before the ack")
	require.NoError(t, e.sendBatch(context.Background(), rest))
	d := emu.Compare(ids, eventID)
	assert.Empty(t, d.Lost)
	assert.Equal(t, 5, d.Duplicates, "HEC indexed the first copy; only its ack was lost")
	assert.Equal(t, 2, d.MaxCopies, "bounded: one resend per lost ack")
}

func TestAckUnavailableOnTokenCountsAsDelivered(t *testing.T) {
	emu := newEmulator(t, hectest.Config{AckEnabled: false})
	h := newHarness(t)
	cfg := testConfig(emu)
	cfg.Ack.Enabled = true
	e := h.startExporter(t, cfg)
	ld, _ := testLogs("noack", 3)
	require.NoError(t, e.pushLogs(context.Background(), ld))
	assert.Equal(t, int64(1), h.counter(t, prefix+"_ack_unavailable"))
	assert.Equal(t, 3, emu.EventCount())
	assert.NotEmpty(t, h.logs.FilterLevelExact(zapcore.ErrorLevel).All())
}

func TestShutdownEndsAckWait(t *testing.T) {
	emu := newEmulator(t, hectest.Config{AckEnabled: true, AckDelay: time.Hour})
	h := newHarness(t)
	cfg := testConfig(emu)
	cfg.Ack.Enabled = true
	cfg.Ack.Timeout = time.Hour
	e, err := newExporter(cfg, h.set)
	require.NoError(t, err)
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	ld, _ := testLogs("stop", 2)
	errc := make(chan error, 1)
	go func() { errc <- e.pushLogs(context.Background(), ld) }()
	require.Eventually(t, func() bool { return emu.EventCount() == 2 }, 5*time.Second, 5*time.Millisecond)
	e.beginShutdown()
	select {
	case err := <-errc:
		retryable(t, err, 2)
	case <-time.After(5 * time.Second):
		t.Fatal("push did not return at shutdown")
	}
	require.NoError(t, e.shutdown(context.Background()))
}

func TestHealthCheckLogsButNeverBlocks(t *testing.T) {
	emu := newEmulator(t, hectest.Config{})
	h := newHarness(t)
	cfg := testConfig(emu)
	cfg.HealthCheck = true
	h.startExporter(t, cfg)
	require.Eventually(t, func() bool { return h.logs.FilterMessage("HEC health check passed").Len() == 1 }, 5*time.Second, 5*time.Millisecond)

	emu.SetHealthBusy(true)
	h2 := newHarness(t)
	h2.startExporter(t, cfg)
	require.Eventually(t, func() bool {
		return h2.logs.FilterMessageSnippet("endpoint not healthy").Len() == 1
	}, 5*time.Second, 5*time.Millisecond)

	emu.Stop()
	h3 := newHarness(t)
	begin := time.Now()
	h3.startExporter(t, cfg)
	assert.Less(t, time.Since(begin), time.Second, "start does not wait for the SIEM")
	require.Eventually(t, func() bool {
		return h3.logs.FilterMessageSnippet("endpoint unreachable").Len() == 1
	}, 5*time.Second, 5*time.Millisecond)
}

func TestLifecycle(t *testing.T) {
	emu := newEmulator(t, hectest.Config{AckEnabled: true})
	h := newHarness(t)
	cfg := testConfig(emu)
	cfg.Ack.Enabled = true
	exp := h.startLogs(t, cfg)
	require.NoError(t, exp.Shutdown(context.Background()))

	// Shutdown without Start must not hang or fail.
	exp2, err := NewFactory().CreateLogs(context.Background(), h.set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp2.Shutdown(context.Background()))

	bad := testConfig(emu)
	bad.Format = FormatCEF
	bad.CEF.OverflowSlot = "cs9"
	_, err = NewFactory().CreateLogs(context.Background(), h.set, bad)
	require.Error(t, err, "a CEF config NewCEF refuses fails at creation")
}
