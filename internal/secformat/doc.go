// Package secformat is the one formatter of otelcol-siem: it turns a log record of the project's
// security-event schema (docs/security-event-schema.md, package secevent) into a CEF line, a flat JSON
// object, and an RFC 5424 or RFC 3164 syslog message. Exporters only frame and transport what it
// produces.
//
// Every output is one line: no raw CR or LF byte can appear in it, whatever the record holds, so LF
// framing cannot be broken and no producer can forge a record. Formatters are compiled once (NewCEF,
// NewJSON, NewSyslog), append to the caller's buffer, allocate nothing for a typical event, and are safe
// for concurrent use. README.md documents the mapping, the escaping and repair rules, the limits, the
// severity tables and the JSON field order.
package secformat
