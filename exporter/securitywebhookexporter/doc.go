// Package securitywebhookexporter provides the security_webhook exporter: it POSTs security events
// of the project schema, as the shared formatter's JSON objects (internal/secformat), to an HTTP(S)
// endpoint as a JSON array or NDJSON, through confighttp (TLS, headers, authenticator extensions),
// with the same status-code discipline as splunk_hec_sec (internal/delivery).
package securitywebhookexporter // import "github.com/unified-ot/otelcol-siem/exporter/securitywebhookexporter"
