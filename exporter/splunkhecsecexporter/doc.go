// Package splunkhecsecexporter provides the splunk_hec_sec exporter: it sends security events of the
// project schema (docs/security-event-schema.md) to Splunk's HTTP Event Collector as concatenated
// JSON envelopes whose event is the shared formatter's JSON object or CEF line (internal/secformat),
// acts on every documented HEC answer (internal/delivery: 413 split, code 6/12/13 drop only the
// bad event, 401/403 keep queued, 429/5xx retry honouring Retry-After), and, with indexer
// acknowledgement on, reports a batch as delivered only once Splunk acknowledged it, which with the
// persistent sending queue gives at-least-once delivery end to end.
package splunkhecsecexporter // import "github.com/unified-ot/otelcol-siem/exporter/splunkhecsecexporter"
