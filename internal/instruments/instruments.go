// Package instruments builds the metric instruments of otelcol-siem's components, so that every
// component's internal/metadata/telemetry.go has the same shape: one line per instrument, the
// errors joined, and attribute options built once (the component id label included) so that
// recording does not allocate.
package instruments // import "github.com/unified-ot/otelcol-siem/internal/instruments"

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Builder creates instruments on one meter and keeps the first errors.
type Builder struct {
	Meter metric.Meter
	Err   error
}

// New returns a Builder on the component's meter provider, with the component's scope name.
func New(set component.TelemetrySettings, scope string) *Builder {
	return &Builder{Meter: set.MeterProvider.Meter(scope)}
}

// Counter creates an Int64Counter.
func (b *Builder) Counter(name, desc, unit string) metric.Int64Counter {
	c, err := b.Meter.Int64Counter(name, metric.WithDescription(desc), metric.WithUnit(unit))
	b.Err = errors.Join(b.Err, err)
	return c
}

// Gauge creates an Int64ObservableGauge.
func (b *Builder) Gauge(name, desc, unit string) metric.Int64ObservableGauge {
	g, err := b.Meter.Int64ObservableGauge(name, metric.WithDescription(desc), metric.WithUnit(unit))
	b.Err = errors.Join(b.Err, err)
	return g
}

// FloatGauge creates a Float64ObservableGauge.
func (b *Builder) FloatGauge(name, desc, unit string) metric.Float64ObservableGauge {
	g, err := b.Meter.Float64ObservableGauge(name, metric.WithDescription(desc), metric.WithUnit(unit))
	b.Err = errors.Join(b.Err, err)
	return g
}

// Histogram creates a Float64Histogram with explicit bucket bounds.
func (b *Builder) Histogram(name, desc, unit string, bounds ...float64) metric.Float64Histogram {
	h, err := b.Meter.Float64Histogram(name, metric.WithDescription(desc), metric.WithUnit(unit),
		metric.WithExplicitBucketBoundaries(bounds...))
	b.Err = errors.Join(b.Err, err)
	return h
}

// Attrs is the option carrying kvs. It builds an attribute set: call it once per series, when
// the component is built, not per recording.
func Attrs(kvs ...attribute.KeyValue) metric.MeasurementOption {
	return metric.WithAttributeSet(attribute.NewSet(kvs...))
}
