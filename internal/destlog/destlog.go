// Package destlog writes the one Info line each of the project's exporters logs when it starts:
// where its events go (transport, endpoint or file, format) and whether its queue survives a
// restart, so that the start-up log answers "where are the events going?" without the config file.
//
// The line never holds a credential: callers pass no token, header, key or proxy URL, and a URL
// goes through Origin or WithoutSecrets first.
package destlog // import "github.com/unified-ot/otelcol-siem/internal/destlog"

import (
	"net/url"

	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.uber.org/zap"
)

// Message is the text of the line; its fields say the rest.
const Message = "Exporting security events"

// Values of the queue field.
const (
	QueuePersistent = "persistent" // sending_queue with storage: survives a restart
	QueueMemory     = "memory"     // sending_queue without storage: lost when the process stops
	QueueNone       = "none"       // sending_queue disabled: the pipeline waits for each send
)

// Log writes the line: the caller's destination fields, then queue (and storage, the storage
// extension's component id, when the queue is persistent).
func Log(logger *zap.Logger, queue configoptional.Optional[exporterhelper.QueueBatchConfig], fields ...zap.Field) {
	switch q := queue.Get(); {
	case q == nil:
		fields = append(fields, zap.String("queue", QueueNone))
	case q.StorageID != nil:
		fields = append(fields, zap.String("queue", QueuePersistent), zap.String("storage", q.StorageID.String()))
	default:
		fields = append(fields, zap.String("queue", QueueMemory))
	}
	logger.Info(Message, fields...)
}

// Origin returns scheme://host[:port] of u: for URLs whose path or query may carry a secret (many
// webhook URLs do), so only the server is named.
func Origin(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
}

// WithoutSecrets returns u without its user information, query and fragment.
func WithoutSecrets(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}).String()
}
