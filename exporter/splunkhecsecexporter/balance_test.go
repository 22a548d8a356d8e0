package splunkhecsecexporter

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/otel/attribute"

	"github.com/unified-ot/otelcol-siem/internal/delivery"
	"github.com/unified-ot/otelcol-siem/internal/hectest"
)

// twoHECs is the whole exporter (queue, retry) with two HEC emulators as endpoints.
func twoHECs(t *testing.T, mode string, holdDown time.Duration, emuCfg hectest.Config) (a, b *hectest.Emulator, cfg *Config) {
	a, b = newEmulator(t, emuCfg), newEmulator(t, emuCfg)
	cfg = testConfig(a)
	cfg.ClientConfig.Endpoint = ""
	cfg.Endpoints = []string{a.URL(), b.URL()}
	cfg.Balance = delivery.BalanceConfig{Mode: mode, HoldDown: holdDown}
	cfg.Ack.Enabled = emuCfg.AckEnabled
	fastRetry(cfg)
	return a, b, cfg
}

func sendBatches(t *testing.T, exp exporter.Logs, prefix string, batches, size int) []string {
	t.Helper()
	var sent []string
	for i := range batches {
		ld, ids := testLogs(fmt.Sprintf("%s%d", prefix, i), size)
		require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
		sent = append(sent, ids...)
	}
	return sent
}

// Failover: one HEC in a 503 storm, the other takes the load, nothing lost; the first back and
// past its hold-down, events return to it.
func TestHECFailoverOn503Storm(t *testing.T) {
	const holdDown = time.Second
	a, b, cfg := twoHECs(t, delivery.BalanceFailover, holdDown, hectest.Config{})
	h := newHarness(t)
	exp := h.startLogs(t, cfg)

	sent := sendBatches(t, exp, "ok", 3, 10)
	require.Eventually(t, func() bool { return len(a.Compare(sent, eventID).Lost) == 0 }, 10*time.Second, 10*time.Millisecond)
	assert.Zero(t, b.EventCount(), "failover: the second HEC is idle while the first works")

	busy := hectest.FaultBusy
	a.FailAll(&busy)
	storm := sendBatches(t, exp, "storm", 5, 10)
	require.Eventually(t, func() bool { return len(b.Compare(storm, eventID).Lost) == 0 }, 10*time.Second, 10*time.Millisecond,
		"the second HEC takes what the first refuses")
	assert.Zero(t, b.Compare(storm, eventID).Duplicates)
	assert.EqualValues(t, 1, h.counter(t, prefix+"_endpoint_failures", attribute.String(delivery.AttrEndpoint, a.URL())))
	// HEC has the events before the exporter has read its answer and counted them.
	assert.Eventually(t, func() bool {
		return h.counter(t, prefix+"_endpoint_switches", attribute.String(delivery.AttrEndpoint, b.URL())) == 1 &&
			h.counter(t, prefix+"_events_sent", attribute.String(delivery.AttrEndpoint, b.URL())) == int64(len(storm))
	}, 5*time.Second, 10*time.Millisecond, "one switch to the second HEC, and events_sent counted on it")

	a.FailAll(nil)
	time.Sleep(holdDown)
	back := sendBatches(t, exp, "back", 2, 10)
	require.Eventually(t, func() bool { return len(a.Compare(back, eventID).Lost) == 0 }, 10*time.Second, 10*time.Millisecond,
		"past the hold-down, events return to the first HEC")
	assert.Len(t, b.Compare(back, eventID).Lost, len(back), "nothing of it to the second")
}

// With indexer acknowledgement: an ack is polled on the HEC that took the batch; a HEC that
// loses acks makes its batches be resent (to it or the other), duplicates bounded, none lost.
func TestHECRoundRobinWithAckLoss(t *testing.T) {
	a, b, cfg := twoHECs(t, delivery.BalanceRoundRobin, time.Second, hectest.Config{AckEnabled: true})
	cfg.Ack.Timeout = 300 * time.Millisecond
	cfg.QueueConfig.Get().Batch = configoptional.None[exporterhelper.BatchConfig]() // one request per batch of 10
	h := newHarness(t)
	exp := h.startLogs(t, cfg)
	a.LoseAcks(2, false)
	sent := sendBatches(t, exp, "rr", 8, 10)
	received := func() (lost, dups int) {
		seen := map[string]int{}
		for _, e := range append(a.Events(), b.Events()...) {
			seen[eventID(e)]++
		}
		for _, id := range sent {
			switch n := seen[id]; {
			case n == 0:
				lost++
			default:
				dups += n - 1
			}
		}
		return lost, dups
	}
	require.Eventually(t, func() bool { l, _ := received(); return l == 0 }, 20*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool { return h.counter(t, prefix+"_events_acked") >= int64(len(sent)) },
		20*time.Second, 20*time.Millisecond, "every event acknowledged once")
	assert.Positive(t, a.EventCount(), "round robin: both HECs get batches")
	assert.Positive(t, b.EventCount())
	_, dups := received()
	assert.Equal(t, 20, dups, "bounded: each lost ack costs one resend of its batch of 10")
	assert.EqualValues(t, 2, h.counter(t, prefix+"_ack_timeouts"))
}

func TestHECEndpointsConfigErrors(t *testing.T) {
	for name, c := range map[string]struct {
		edit func(*Config)
		want string
	}{
		"both":  {func(c *Config) { c.Endpoints = []string{"https://b:8088"} }, "endpoints: set either endpoint"},
		"empty": {func(c *Config) { c.ClientConfig.Endpoint = ""; c.Endpoints = []string{} }, "endpoints: the list is empty"},
		"duplicate": {func(c *Config) {
			c.ClientConfig.Endpoint = ""
			c.Endpoints = []string{"https://a:8088", "https://a:8088"}
		}, "endpoints[1]"},
		"bad":  {func(c *Config) { c.ClientConfig.Endpoint = ""; c.Endpoints = []string{"ftp://a"} }, "endpoints[0]: \"ftp://a\": scheme must be http or https"},
		"mode": {func(c *Config) { c.Balance.Mode = "random" }, "balance.mode"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
			cfg.ClientConfig.Endpoint = "https://a:8088"
			cfg.Token = testToken
			c.edit(cfg)
			err := cfg.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}
