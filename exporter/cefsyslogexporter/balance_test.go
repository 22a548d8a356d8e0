package cefsyslogexporter

import (
	"github.com/unified-ot/otelcol-siem/internal/delivery"

	"context"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter"

	"github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter/internal/metadata"
)

// balancedConfig is tcp to several endpoints, with a fast retry and a short hold-down.
func balancedConfig(mode string, holdDown time.Duration, endpoints ...string) *Config {
	cfg := testConfig(TransportTCP, "")
	cfg.Endpoints = endpoints
	cfg.Balance = delivery.BalanceConfig{Mode: mode, HoldDown: holdDown}
	cfg.RetryConfig = configretry.BackOffConfig{Enabled: true, InitialInterval: 20 * time.Millisecond,
		MaxInterval: 100 * time.Millisecond, Multiplier: 1.5}
	cfg.QueueConfig.Get().NumConsumers = 1
	cfg.QueueConfig.Get().Batch.Get().FlushTimeout = 10 * time.Millisecond
	return cfg
}

func startQueued(t *testing.T, env *testEnv, cfg *Config) exporter.Logs {
	t.Helper()
	require.NoError(t, cfg.Validate())
	exp, err := NewFactory().CreateLogs(context.Background(), env.set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { _ = exp.Shutdown(context.Background()) })
	return exp
}

// relisten serves again on a closed server's address.
func relisten(t *testing.T, addr string) *syslogServer {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err, "re-listening on %s", addr)
	return serveOn(t, ln, octetCounting, nil, 0, false)
}

// Failover: everything goes to the first endpoint; when it stops, the flow moves to the second
// with nothing lost or sent twice; once the first is back and the hold-down has passed, the flow
// returns to it.
func TestFailover(t *testing.T) {
	a, b := newSyslogServer(t, octetCounting, nil), newSyslogServer(t, octetCounting, nil)
	env := newTestEnv(t)
	const holdDown = 1500 * time.Millisecond
	exp := startQueued(t, env, balancedConfig(delivery.BalanceFailover, holdDown, a.addr(), b.addr()))

	require.NoError(t, exp.ConsumeLogs(context.Background(), makeLogs(0, 50, 0)))
	a.waitFor(50, 5*time.Second)
	assert.Empty(t, b.messages(), "failover: the second endpoint is idle while the first works")

	aAddr := a.addr()
	a.close()
	for i := range 5 {
		require.NoError(t, exp.ConsumeLogs(context.Background(), makeLogs(50+i*20, 20, 0)))
	}
	got := receivedIDs(t, b.waitFor(100, 10*time.Second))
	slices.Sort(got)
	assert.Equal(t, seq(50, 100), got, "after the switch every record arrives at the second endpoint, once")
	assert.EqualValues(t, 1, env.counter(t, metadata.MetricEndpointFailures, metadata.AttrEndpoint, aAddr))
	assert.EqualValues(t, 1, env.counter(t, metadata.MetricEndpointSwitches, metadata.AttrEndpoint, b.addr()))

	// The first endpoint comes back: within its hold-down events stay on the second, after it they
	// return to the first.
	a2 := relisten(t, aAddr)
	require.NoError(t, exp.ConsumeLogs(context.Background(), makeLogs(150, 10, 0)))
	b.waitFor(110, 5*time.Second)
	assert.Empty(t, a2.messages(), "held down: not back before balance.hold_down")
	time.Sleep(holdDown)
	require.NoError(t, exp.ConsumeLogs(context.Background(), makeLogs(160, 20, 0)))
	assert.Equal(t, seq(160, 20), receivedIDs(t, a2.waitFor(20, 5*time.Second)))
	assert.Len(t, b.messages(), 110, "nothing more to the second")
	assert.EqualValues(t, 2, env.counter(t, metadata.MetricEndpointSwitches, metadata.AttrEndpoint, aAddr))
	// The receiver can have read the last batch before the exporter has counted it.
	assert.Eventually(t, func() bool {
		return env.counter(t, metadata.MetricRecordsSent, metadata.AttrEndpoint, aAddr) == 70 &&
			env.counter(t, metadata.MetricRecordsSent, metadata.AttrEndpoint, b.addr()) == 110
	}, 5*time.Second, 10*time.Millisecond, "records_sent per endpoint: 70 at the first, 110 at the second")
}

// Round robin: batches are spread over the endpoints; one that stops is passed over and the other
// takes everything; back after the hold-down, it shares again.
func TestRoundRobin(t *testing.T) {
	a, b := newSyslogServer(t, octetCounting, nil), newSyslogServer(t, octetCounting, nil)
	env := newTestEnv(t)
	exp := startQueued(t, env, balancedConfig(delivery.BalanceRoundRobin, 500*time.Millisecond, a.addr(), b.addr()))

	send := func(first, batches int) {
		for i := range batches {
			require.NoError(t, exp.ConsumeLogs(context.Background(), makeLogs(first+i*10, 10, 0)))
			time.Sleep(30 * time.Millisecond) // one batch per flush
		}
	}
	send(0, 10)
	require.Eventually(t, func() bool { return len(a.messages())+len(b.messages()) == 100 }, 5*time.Second, 10*time.Millisecond)
	assert.NotEmpty(t, a.messages(), "both endpoints get batches")
	assert.NotEmpty(t, b.messages())

	aAddr, before := a.addr(), len(a.messages())
	a.close()
	send(100, 10)
	require.Eventually(t, func() bool { return len(b.messages())+before == 200 }, 10*time.Second, 10*time.Millisecond,
		"the second endpoint takes what the first cannot")
	all := append(receivedIDs(t, a.messages()), receivedIDs(t, b.messages())...)
	slices.Sort(all)
	assert.Equal(t, seq(0, 200), all, "nothing lost or duplicated")

	a2 := relisten(t, aAddr)
	time.Sleep(500 * time.Millisecond)
	send(200, 10)
	require.Eventually(t, func() bool { return len(a2.messages()) > 0 }, 5*time.Second, 10*time.Millisecond,
		"back after the hold-down, the first endpoint shares again")
}

// Every endpoint down: records stay queued, and are delivered once one comes back.
func TestEveryEndpointDown(t *testing.T) {
	var addrs []string
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addrs = append(addrs, ln.Addr().String())
		require.NoError(t, ln.Close())
	}
	env := newTestEnv(t)
	exp := startQueued(t, env, balancedConfig(delivery.BalanceFailover, 200*time.Millisecond, addrs...))
	require.NoError(t, exp.ConsumeLogs(context.Background(), makeLogs(0, 40, 0)))
	time.Sleep(300 * time.Millisecond) // failed attempts on both
	assert.Positive(t, env.counter(t, metadata.MetricEndpointFailures, metadata.AttrEndpoint, addrs[0]))
	assert.Positive(t, env.counter(t, metadata.MetricEndpointFailures, metadata.AttrEndpoint, addrs[1]))

	b := relisten(t, addrs[1])
	assert.Equal(t, seq(0, 40), receivedIDs(t, b.waitFor(40, 10*time.Second)))
}

func TestBalanceConfigErrors(t *testing.T) {
	for name, c := range map[string]struct {
		edit func(*Config)
		want string
	}{
		"both":       {func(c *Config) { c.Endpoint = "a:1"; c.Endpoints = []string{"b:1"} }, "endpoints: set either endpoint"},
		"empty list": {func(c *Config) { c.Endpoint = ""; c.Endpoints = []string{} }, "endpoints: the list is empty"},
		"none":       {func(c *Config) { c.Endpoint = "" }, "endpoint: required"},
		"duplicate":  {func(c *Config) { c.Endpoint = ""; c.Endpoints = []string{"a:1", "b:1", "a:1"} }, `endpoints[2]: "a:1" is listed twice (also endpoints[0])`},
		"bad entry":  {func(c *Config) { c.Endpoint = ""; c.Endpoints = []string{"a:1", "nohost"} }, "endpoints[1]:"},
		"mode":       {func(c *Config) { c.Balance.Mode = "random" }, `balance.mode: "random" is not supported`},
		"hold_down":  {func(c *Config) { c.Balance.HoldDown = -time.Second }, "balance.hold_down: must not be negative"},
		"file": {func(c *Config) {
			c.Transport = TransportFile
			c.File.Path = "x"
			c.Endpoint = ""
			c.Endpoints = []string{"a:1"}
		}, "endpoints: must be empty"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig(TransportTCP, "siem:514")
			c.edit(cfg)
			err := cfg.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	ok := testConfig(TransportTLS, "")
	ok.Endpoints = []string{"relay-a:6514", "relay-b:6514"}
	assert.NoError(t, ok.Validate())
}
