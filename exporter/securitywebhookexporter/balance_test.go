package securitywebhookexporter

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unified-ot/otelcol-siem/internal/delivery"
)

// Failover between two webhooks: the first stops, the pushes' unsent records go to the second,
// nothing lost; the first back and past its hold-down, events return to it.
func TestWebhookFailover(t *testing.T) {
	a, b := newWebhookServer(t), newWebhookServer(t)
	cfg := testConfig(a)
	cfg.ClientConfig.Endpoint = ""
	cfg.Endpoints = []string{a.url(), b.url()}
	cfg.Balance = delivery.BalanceConfig{Mode: delivery.BalanceFailover, HoldDown: 500 * time.Millisecond}
	e := newHarness(t).startExporter(t, cfg)
	// push sends ld as exporterhelper's retry would: again, with what the last error left unsent.
	push := func(prefix string) []string {
		ld, ids := testLogs(prefix, 10)
		err := e.pushLogs(context.Background(), ld)
		for range 3 {
			var u *delivery.UnsentError
			if !errors.As(err, &u) {
				break
			}
			err = e.sendBatch(context.Background(), u.Rest)
		}
		require.NoError(t, err)
		return ids
	}
	first := push("a")
	assert.Len(t, a.ids(), len(first))
	a.stop()
	var moved []string
	for i := range 3 {
		moved = append(moved, push(fmt.Sprint("m", i))...)
	}
	lost, dups := b.lostAndDup(moved)
	assert.Empty(t, lost, "the second webhook got every record the first could not take")
	assert.Zero(t, dups)
	a.restart()
	time.Sleep(500 * time.Millisecond)
	back := push("back")
	lost, _ = a.lostAndDup(back)
	assert.Empty(t, lost, "past the hold-down, events return to the first")
}
