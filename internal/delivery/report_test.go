package delivery

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/unified-ot/otelcol-siem/internal/pipelinehealth"
)

func TestErrorClass(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("dial tcp 127.0.0.1:1: %w", &net.OpError{Op: "dial", Err: &net.OpError{Err: syscall.ECONNREFUSED}}), "connection_refused"},
		{fmt.Errorf("send: %w", context.DeadlineExceeded), "timeout"},
		{&net.DNSError{Err: "no such host", Name: "siem.example"}, "name_resolution"},
		{fmt.Errorf("tls: %w", x509.UnknownAuthorityError{}), "tls"},
		{fmt.Errorf("write: %w", syscall.EPIPE), "connection_reset"},
		{fmt.Errorf("post https://user:secret@siem.example: %w", ErrAuth), "auth_refused"},
		{errors.New("HTTP 503 from https://user:secret@siem.example"), "send_failed"},
	} {
		got := ErrorClass(c.err)
		assert.Equal(t, c.want, got, c.err.Error())
		assert.NotContains(t, got, "secret")
	}
}

func TestReportSend(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	hub := pipelinehealth.New(func() time.Time { return now })
	rep := hub.Register(component.MustNewID("x"), 0)
	rep.Accepted(10)
	state := func() pipelinehealth.ExporterState { return hub.Snapshot().Exporters[0] }

	reportSend(rep, 4, context.Canceled)
	assert.True(t, state().FailingSince.IsZero(), "a send cut short by shutdown says nothing about the destination")

	reportSend(rep, 4, fmt.Errorf("dial: %w", syscall.ECONNREFUSED))
	assert.Equal(t, now, state().FailingSince)
	assert.Equal(t, "connection_refused", state().LastError)

	rest := batchOf("c", "d")
	now = now.Add(time.Minute)
	reportSend(rep, 4, &UnsentError{Err: errors.New("cut"), Rest: rest})
	s := state()
	assert.True(t, s.FailingSince.IsZero(), "part of a batch delivered: the destination is reachable")
	assert.EqualValues(t, 2, s.Out)
	require.Len(t, s.Ended, 1)
	assert.Equal(t, time.Minute, s.Ended[0].End.Sub(s.Ended[0].Start))

	reportSend(rep, 2, &UnsentError{Err: syscall.ECONNRESET, Rest: batchOf("c", "d")})
	assert.False(t, state().FailingSince.IsZero(), "nothing of it delivered: a failure")

	reportSend(rep, 2, consumererror.NewPermanent(errors.New("400 bad request")))
	s = state()
	assert.True(t, s.FailingSince.IsZero(), "a rejection is an answer")
	assert.EqualValues(t, 2, s.Dropped[pipelinehealth.ReasonRejected])

	reportSend(rep, 2, nil)
	assert.EqualValues(t, 4, state().Out)
	assert.EqualValues(t, 4, state().Queued(), "10 in, 4 delivered, 2 rejected")
}

// NewLogs reports what enters the queue, what the formatter drops, each send's outcome, and what
// the queue refuses; Shutdown unregisters.
func TestNewLogsReportsHealth(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	n := &counts{}
	set := exportertest.NewNopSettings(component.MustNewType("report_test"))
	q := QueueConfig()
	q.Get().QueueSize = 10
	q.Get().Batch = configoptional.None[exporterhelper.BatchConfig]() // one request per ConsumeLogs
	q.Get().BlockOnOverflow = false                                   // a full queue refuses
	retry := configretry.NewDefaultBackOffConfig()
	retry.InitialInterval = 10 * time.Millisecond
	retry.MaxInterval = 10 * time.Millisecond
	exp, err := NewLogs(context.Background(), set, Settings{
		Queue: q, Retry: retry, Timeout: exporterhelper.NewDefaultTimeoutConfig(),
		Converter: testConverter(n),
		Send: func(_ context.Context, _ *Batch) error {
			if fail.Load() {
				return fmt.Errorf("dial: %w", syscall.ECONNREFUSED)
			}
			return nil
		},
	})
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	state := func() pipelinehealth.ExporterState {
		for _, s := range pipelinehealth.Default().Snapshot().Exporters {
			if s.ID == set.ID {
				return s
			}
		}
		t.Fatal("not registered")
		return pipelinehealth.ExporterState{}
	}
	assert.EqualValues(t, 10, state().Capacity)

	require.NoError(t, exp.ConsumeLogs(context.Background(), testLogs("a", "b", "")))
	assert.EqualValues(t, 3, state().In)
	assert.Eventually(t, func() bool { return state().Dropped[pipelinehealth.ReasonFormatFailed] == 1 }, 5*time.Second, 5*time.Millisecond)
	assert.Eventually(t, func() bool { return state().LastError == "connection_refused" }, 5*time.Second, 5*time.Millisecond)
	assert.EqualValues(t, 2, state().Queued())

	// 2 queued + 9 is beyond the queue's 10: refused, and not counted as queued.
	require.Error(t, exp.ConsumeLogs(context.Background(), testLogs("1", "2", "3", "4", "5", "6", "7", "8", "9")))
	assert.EqualValues(t, 9, state().Refused)
	assert.EqualValues(t, 3, state().In)

	fail.Store(false)
	assert.Eventually(t, func() bool { return state().Out == 2 && state().FailingSince.IsZero() }, 5*time.Second, 5*time.Millisecond)
	assert.Len(t, state().Ended, 1)
	assert.Zero(t, state().Queued())

	require.NoError(t, exp.Shutdown(context.Background()))
	for _, s := range pipelinehealth.Default().Snapshot().Exporters {
		assert.NotEqual(t, set.ID, s.ID, "unregistered at shutdown")
	}
}
