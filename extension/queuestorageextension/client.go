package queuestorageextension // import "github.com/unified-ot/otelcol-siem/extension/queuestorageextension"

import (
	"context"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/otel/metric"

	"github.com/unified-ot/otelcol-siem/extension/queuestorageextension/internal/seglog"
)

// client is one component's storage: its own segment log.
type client struct {
	log   *seglog.Log
	name  string
	attrs metric.MeasurementOption // extension=<id>, client=<name>
	owner *queueStorage
}

var _ storage.Client = (*client)(nil)

func (c *client) Get(_ context.Context, key string) ([]byte, error) { return c.log.Get(key) }

func (c *client) Set(_ context.Context, key string, value []byte) error {
	return c.log.Batch(storage.SetOperation(key, value))
}

func (c *client) Delete(_ context.Context, key string) error {
	return c.log.Batch(storage.DeleteOperation(key))
}

func (c *client) Batch(_ context.Context, ops ...*storage.Operation) error {
	return c.log.Batch(ops...)
}

func (c *client) Close(context.Context) error {
	c.owner.forget(c)
	return c.log.Close()
}
