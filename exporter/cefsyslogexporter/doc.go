// Package cefsyslogexporter provides the cef_syslog exporter: it formats security events of the
// project schema (docs/security-event-schema.md) as CEF or JSON with the shared formatter
// internal/secformat, wraps them in an RFC 5424 or RFC 3164 syslog header, and sends them over
// UDP, TCP or TLS (RFC 6587 / RFC 5425 octet counting by default) or appends them to a
// size-rotated local file, behind exporterhelper's retry and sending queue.
package cefsyslogexporter // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter"
