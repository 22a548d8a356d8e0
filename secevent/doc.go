// Package secevent is the otelcol-siem security-event schema: the attribute keys, the enumerations and
// the rules that map the seed's ad-hoc fields onto them. OT services import it to emit events; the
// collector's processors and exporters import it to read them. docs/security-event-schema.md is the
// human-readable form of the same table; schema_test.go keeps the two in step.
//
// The package has no dependencies outside the standard library, so that a service importing it
// does not inherit the collector's dependency graph. The emitter OT services use, on the
// OpenTelemetry Go log SDK and its OTLP exporters, is the sub-package secevent/seclog (same module):
// the collector's components import only this package and so link none of it.
package secevent
