package splunkhecsecexporter

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unified-ot/otelcol-siem/internal/hectest"
)

// The scenarios run the whole exporter (exporterhelper with its sending queue and retry) against
// the HEC protocol emulator under faults, and count what arrived: nothing may be lost, and
// duplicates only where the protocol forces them (a lost acknowledgement), bounded.

type scenario struct {
	emu     *hectest.Emulator
	h       *harness
	cfg     *Config
	batches int
	size    int
}

func newScenario(t *testing.T, emuCfg hectest.Config) *scenario {
	s := &scenario{emu: newEmulator(t, emuCfg), h: newHarness(t), batches: 10, size: 20}
	s.cfg = testConfig(s.emu)
	fastRetry(s.cfg)
	s.cfg.MaxContentLength = 8192
	s.cfg.Ack.Enabled = emuCfg.AckEnabled
	return s
}

// run starts the exporter, lets fault act (before and while sending), sends the batches, lets heal
// act, waits until every event arrived, and shuts down. It returns the delivery counts.
func (s *scenario) run(t *testing.T, fault, heal func()) hectest.Delivery {
	t.Helper()
	exp := s.h.startLogs(t, s.cfg)
	fault()
	var sent []string
	for b := 0; b < s.batches; b++ {
		ld, ids := testLogs(fmt.Sprintf("b%d", b), s.size)
		require.NoError(t, exp.ConsumeLogs(context.Background(), ld), "the queue takes the data")
		sent = append(sent, ids...)
	}
	heal()
	require.Eventually(t, func() bool { return len(s.emu.Compare(sent, eventID).Lost) == 0 },
		30*time.Second, 10*time.Millisecond, "events lost")
	if s.cfg.Ack.Enabled {
		// Received is not delivered: wait until every event was acknowledged at least once.
		require.Eventually(t, func() bool { return s.h.counter(t, prefix+"_events_acked") >= int64(len(sent)) },
			30*time.Second, 10*time.Millisecond, "events never acknowledged")
	}
	require.NoError(t, exp.Shutdown(context.Background()))
	d := s.emu.Compare(sent, eventID)
	assert.Empty(t, d.Unexpected)
	t.Logf("sent %d received %d duplicates %d requests %d", d.Sent, d.Received, d.Duplicates, len(s.emu.Requests()))
	return d
}

func TestScenarioOutage(t *testing.T) {
	s := newScenario(t, hectest.Config{})
	d := s.run(t, s.emu.Stop, func() {
		time.Sleep(300 * time.Millisecond) // retries meet "connection refused" meanwhile
		require.NoError(t, s.emu.Start())
	})
	assert.Zero(t, d.Duplicates)
}

func TestScenario503Storm(t *testing.T) {
	s := newScenario(t, hectest.Config{})
	busy := hectest.FaultBusy
	busy.RetryAfter = time.Second
	d := s.run(t, func() {
		s.emu.FailNext(2, busy) // honoured: the retry waits at least 1 s
		s.emu.FailNext(40, hectest.FaultBusy)
		s.emu.FailNext(5, hectest.FaultThrottled)
		s.emu.FailNext(5, hectest.FaultInternal)
	}, func() {})
	assert.Zero(t, d.Duplicates)
	assert.Positive(t, s.h.counter(t, prefix+"_requests"))
}

func TestScenario413(t *testing.T) {
	s := newScenario(t, hectest.Config{MaxContentLength: 3000})
	s.cfg.MaxContentLength = 256 * 1024
	d := s.run(t, func() {}, func() {})
	assert.Zero(t, d.Duplicates)
	for _, r := range s.emu.Requests() {
		if r.Status == 200 {
			assert.LessOrEqual(t, r.DecodedBytes, 3000)
		}
	}
}

func TestScenarioAckLoss(t *testing.T) {
	s := newScenario(t, hectest.Config{AckEnabled: true, AckDelay: 20 * time.Millisecond})
	s.cfg.Ack.Timeout = time.Second
	d := s.run(t, func() { s.emu.LoseAcks(3, false) }, func() {})
	// Every duplicate must be explained by a batch resent after its ack timed out, and each event
	// arrives at most once per timeout. (A loaded machine can delay an ack past the timeout too, so
	// the bound is on what the timeouts allow, not on exactly three.)
	timeouts := s.h.counter(t, prefix+"_ack_timeouts")
	resent := 0
	for _, e := range s.h.logs.FilterMessageSnippet("did not acknowledge batches in time").All() {
		resent += int(e.ContextMap()["events"].(int64))
	}
	assert.GreaterOrEqual(t, timeouts, int64(3), "the three lost acks time out")
	assert.Positive(t, d.Duplicates, "HEC indexed the batches whose ack was lost")
	assert.LessOrEqual(t, d.Duplicates, resent, "no duplicate without an ack timeout")
	assert.LessOrEqual(t, int64(d.MaxCopies), 1+timeouts)
}

func TestScenarioAckLossWithIndexingFailure(t *testing.T) {
	s := newScenario(t, hectest.Config{AckEnabled: true})
	s.cfg.Ack.Timeout = time.Second
	d := s.run(t, func() { s.emu.LoseAcks(2, true) }, func() {})
	if timeouts := s.h.counter(t, prefix+"_ack_timeouts"); timeouts == 2 {
		assert.Zero(t, d.Duplicates, "what HEC never indexed is resent once")
	} else {
		// A loaded machine delayed another ack past the timeout: its resend is a duplicate.
		assert.Greater(t, timeouts, int64(2))
		assert.LessOrEqual(t, int64(d.MaxCopies), timeouts)
	}
}

func TestScenarioWrongTokenLaterFixed(t *testing.T) {
	s := newScenario(t, hectest.Config{})
	d := s.run(t, func() { s.emu.SetToken("rotated-on-the-server") }, func() {
		require.Eventually(t, func() bool { return s.h.counter(t, prefix+"_auth_failures") >= 3 },
			10*time.Second, 5*time.Millisecond)
		assert.Zero(t, s.emu.EventCount())
		s.emu.SetToken(testToken)
	})
	assert.Zero(t, d.Duplicates)
	assert.Positive(t, s.h.logs.FilterMessage("HEC refused the token; events stay queued until the token is fixed").Len())
}
