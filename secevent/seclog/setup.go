package seclog

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"google.golang.org/grpc/credentials"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// Protocol is the OTLP transport.
type Protocol string

// The OTLP transports Setup supports.
const (
	ProtocolGRPC Protocol = "grpc" // OTLP/gRPC, default port 4317
	ProtocolHTTP Protocol = "http" // OTLP/HTTP with protobuf bodies to /v1/logs, default port 4318
)

// Options configure Setup. The zero value sends OTLP/gRPC with TLS to localhost:4317.
type Options struct {
	// Endpoint is the collector's OTLP receiver as host:port. Default: localhost:4317 (grpc) or
	// localhost:4318 (http).
	Endpoint string
	// Protocol is grpc (default) or http.
	Protocol Protocol
	// URLPath is the OTLP/HTTP path (http only). Default: /v1/logs.
	URLPath string

	// Insecure sends in plaintext. Use it only on loopback or a trusted segment: the events name
	// users, hosts and credentials.
	Insecure bool
	// CAFile is a PEM bundle of the CAs that sign the collector's certificate; empty means the
	// system roots.
	CAFile string
	// CertFile and KeyFile are this service's PEM client certificate and key for mutual TLS; both
	// or neither.
	CertFile, KeyFile string
	// ServerName overrides the name the collector's certificate is checked against (default: the
	// Endpoint's host).
	ServerName string
	// Headers are sent with every export.
	Headers map[string]string
	// TokenFile holds the bearer token the collector's intake expects (its intake_guard
	// token_file, whose format it shares: a token per line, the first word of the line; the rest
	// of the line is a comment): the token of the first non-empty line is sent as
	// "Authorization: Bearer <token>" with every export. It is read once, by Setup; the token is never logged nor put in an error. Not with an
	// Authorization header in Headers, nor in plain text (Insecure) to a non-loopback endpoint.
	TokenFile string

	// ServiceName (service.name, required), ServiceVersion (service.version), HostName (host.name,
	// default os.Hostname()), Site (otsec.site.name) and Environment
	// (deployment.environment.name) form the resource: who emitted the events, where.
	ServiceName, ServiceVersion, HostName, Site, Environment string

	// BatchTimeout is the longest a record waits before it is exported. Default: 1 s.
	BatchTimeout time.Duration
	// ExportMaxBatchSize is the most records per export request. Default: 512.
	ExportMaxBatchSize int
	// MaxQueueSize bounds the records waiting for export; when full, new records are dropped and
	// counted (Stats.Dropped). Default: 2048.
	MaxQueueSize int
	// ExportTimeout bounds one export request, retries included. Default: 30 s.
	ExportTimeout time.Duration
	// RetryMaxElapsed is how long a failed export is retried (exponential back-off). Default:
	// 1 min; negative disables retries.
	RetryMaxElapsed time.Duration
}

func (o *Options) applyDefaults() {
	if o.Protocol == "" {
		o.Protocol = ProtocolGRPC
	}
	if o.Endpoint == "" {
		if o.Protocol == ProtocolHTTP {
			o.Endpoint = "localhost:4318"
		} else {
			o.Endpoint = "localhost:4317"
		}
	}
	if o.HostName == "" {
		o.HostName, _ = os.Hostname()
	}
	if o.BatchTimeout == 0 {
		o.BatchTimeout = time.Second
	}
	if o.ExportMaxBatchSize == 0 {
		o.ExportMaxBatchSize = 512
	}
	if o.MaxQueueSize == 0 {
		o.MaxQueueSize = 2048
	}
	if o.ExportTimeout == 0 {
		o.ExportTimeout = 30 * time.Second
	}
	if o.RetryMaxElapsed == 0 {
		o.RetryMaxElapsed = time.Minute
	}
}

// Validate reports every problem with o (after defaults).
func (o Options) Validate() error {
	var errs []error
	switch o.Protocol {
	case ProtocolGRPC, ProtocolHTTP:
	default:
		errs = append(errs, fmt.Errorf("protocol: must be grpc or http, got %q", o.Protocol))
	}
	if host, port, err := net.SplitHostPort(o.Endpoint); err != nil || host == "" {
		errs = append(errs, fmt.Errorf("endpoint: must be host:port, got %q", o.Endpoint))
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		errs = append(errs, fmt.Errorf("endpoint: port must be 1..65535, got %q", port))
	}
	if o.URLPath != "" && o.Protocol != ProtocolHTTP {
		errs = append(errs, errors.New("url_path: only for protocol http"))
	}
	if o.Insecure && (o.CAFile != "" || o.CertFile != "" || o.KeyFile != "" || o.ServerName != "") {
		errs = append(errs, errors.New("insecure: cannot be combined with TLS settings (ca, cert, key, server name)"))
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		errs = append(errs, errors.New("cert_file and key_file: set both or neither"))
	}
	if o.TokenFile != "" {
		for k := range o.Headers {
			if strings.EqualFold(k, "authorization") {
				errs = append(errs, errors.New("token_file: cannot be combined with an Authorization header in headers"))
			}
		}
		if o.Insecure && !loopbackEndpoint(o.Endpoint) {
			errs = append(errs, fmt.Errorf("token_file: insecure would send the token in plain text to %s; use TLS (or a loopback endpoint)", o.Endpoint))
		}
	}
	if o.ServiceName == "" {
		errs = append(errs, errors.New("service_name: required (it is the event's service.name)"))
	}
	if o.BatchTimeout < 0 || o.ExportTimeout < 0 {
		errs = append(errs, errors.New("batch_timeout, export_timeout: must not be negative"))
	}
	if o.ExportMaxBatchSize < 0 || o.MaxQueueSize < 0 {
		errs = append(errs, errors.New("export_max_batch_size, max_queue_size: must not be negative"))
	} else if o.ExportMaxBatchSize > o.MaxQueueSize {
		errs = append(errs, fmt.Errorf("export_max_batch_size (%d) must not exceed max_queue_size (%d)", o.ExportMaxBatchSize, o.MaxQueueSize))
	}
	return errors.Join(errs...)
}

func (o Options) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: o.ServerName}
	if o.CAFile != "" {
		pem, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s: no PEM certificate in it", o.CAFile)
		}
		cfg.RootCAs = pool
	}
	if o.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("cert_file/key_file: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// loopbackEndpoint reports whether endpoint's host is localhost or a loopback IP.
func loopbackEndpoint(endpoint string) bool {
	host, _, err := net.SplitHostPort(endpoint)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// headers returns Headers plus, with TokenFile, the Authorization header. An error names the
// file, never its content.
func (o Options) headers() (map[string]string, error) {
	if o.TokenFile == "" {
		return o.Headers, nil
	}
	b, err := os.ReadFile(o.TokenFile)
	if err != nil {
		return nil, fmt.Errorf("token_file: %w", err)
	}
	// As the guard (contrib's bearertokenauth) reads it: the first word of each non-empty line is
	// a token. The first is the one sent.
	var token string
	for line := range strings.Lines(string(b)) {
		if f := strings.Fields(line); len(f) > 0 {
			token = f[0]
			break
		}
	}
	if token == "" {
		return nil, fmt.Errorf("token_file %s: holds no token (every line is empty)", o.TokenFile)
	}
	h := make(map[string]string, len(o.Headers)+1)
	for k, v := range o.Headers {
		h[k] = v
	}
	h["Authorization"] = "Bearer " + token
	return h, nil
}

func (o Options) resource() *resource.Resource {
	var kv []attribute.KeyValue
	add := func(k, v string) {
		if v != "" {
			kv = append(kv, attribute.String(k, v))
		}
	}
	add(secevent.KeyServiceName, o.ServiceName)
	add(secevent.KeyServiceVersion, o.ServiceVersion)
	add(secevent.KeyHostName, o.HostName)
	add(secevent.KeyDeploymentEnvironment, o.Environment)
	add(secevent.KeySiteName, o.Site)
	// Schemaless and without resource.Default(): the record carries the schema's resource keys and
	// nothing else (no telemetry.sdk.*), as every exporter downstream expects.
	return resource.NewSchemaless(kv...)
}

func (o Options) exporter(ctx context.Context) (sdklog.Exporter, error) {
	tlsCfg, err := o.tlsConfig()
	if err != nil {
		return nil, err
	}
	headers, err := o.headers()
	if err != nil {
		return nil, err
	}
	retryEnabled := o.RetryMaxElapsed > 0
	switch o.Protocol {
	case ProtocolHTTP:
		opts := []otlploghttp.Option{
			otlploghttp.WithEndpoint(o.Endpoint),
			otlploghttp.WithTimeout(o.ExportTimeout),
			otlploghttp.WithRetry(otlploghttp.RetryConfig{Enabled: retryEnabled, InitialInterval: 500 * time.Millisecond, MaxInterval: 5 * time.Second, MaxElapsedTime: o.RetryMaxElapsed}),
		}
		if o.Insecure {
			opts = append(opts, otlploghttp.WithInsecure())
		} else {
			opts = append(opts, otlploghttp.WithTLSClientConfig(tlsCfg))
		}
		if o.URLPath != "" {
			opts = append(opts, otlploghttp.WithURLPath(o.URLPath))
		}
		if len(headers) > 0 {
			opts = append(opts, otlploghttp.WithHeaders(headers))
		}
		return otlploghttp.New(ctx, opts...)
	default:
		opts := []otlploggrpc.Option{
			otlploggrpc.WithEndpoint(o.Endpoint),
			otlploggrpc.WithTimeout(o.ExportTimeout),
			otlploggrpc.WithRetry(otlploggrpc.RetryConfig{Enabled: retryEnabled, InitialInterval: 500 * time.Millisecond, MaxInterval: 5 * time.Second, MaxElapsedTime: o.RetryMaxElapsed}),
		}
		if o.Insecure {
			opts = append(opts, otlploggrpc.WithInsecure())
		} else {
			opts = append(opts, otlploggrpc.WithTLSCredentials(credentials.NewTLS(tlsCfg)))
		}
		if len(headers) > 0 {
			opts = append(opts, otlploggrpc.WithHeaders(headers))
		}
		return otlploggrpc.New(ctx, opts...)
	}
}

// Setup builds the pipeline an OT service needs to emit security events: an OTLP log exporter
// (gRPC or HTTP, TLS by default), a batching processor, a resource naming the service, its host
// and site, and a Logger on top. It returns shutdown, which flushes every queued record and stops
// the pipeline; call it before the service exits (with a deadline in ctx).
//
// shutdown returns an error when a record was not delivered during the pipeline's life: an export
// that failed after its retries, or records dropped because the queue was full. Export failures
// while running are also reported to the OpenTelemetry error handler (otel.SetErrorHandler).
func Setup(ctx context.Context, o Options, opts ...Option) (*Logger, func(context.Context) error, error) {
	o.applyDefaults()
	if err := o.Validate(); err != nil {
		return nil, nil, fmt.Errorf("seclog: invalid options: %w", err)
	}
	exp, err := o.exporter(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("seclog: exporter: %w", err)
	}
	stats := &pipelineStats{}
	batch := sdklog.NewBatchProcessor(&countingExporter{Exporter: exp, stats: stats},
		sdklog.WithExportInterval(o.BatchTimeout),
		sdklog.WithExportMaxBatchSize(o.ExportMaxBatchSize),
		sdklog.WithMaxQueueSize(o.MaxQueueSize),
		sdklog.WithExportTimeout(o.ExportTimeout),
	)
	provider := sdklog.NewLoggerProvider(
		sdklog.WithResource(o.resource()),
		// Order matters: both run before the batch processor clones the record.
		sdklog.WithProcessor(EventNameProcessor{}),
		sdklog.WithProcessor(&countingProcessor{stats: stats}),
		sdklog.WithProcessor(batch),
	)
	l := New(provider, opts...)
	l.stats = stats
	var once sync.Once
	var shutdownErr error
	shutdown := func(ctx context.Context) error {
		once.Do(func() {
			err := provider.Shutdown(ctx)
			// The provider's error joins the last flush's export error with its context's: only a
			// context that ran out means records may still be queued or in flight.
			finished := ctx.Err() == nil
			if finished {
				stats.shutDown.Store(true)
			}
			st := stats.snapshot()
			switch {
			case !finished:
				err = fmt.Errorf("seclog: shutdown did not finish: %d of %d records not confirmed delivered: %w",
					st.Emitted-st.Exported, st.Emitted, errors.Join(err, ctx.Err()))
			case st.Failed > 0 || st.Dropped > 0:
				err = fmt.Errorf("seclog: %d of %d records not delivered (%d failed to export, %d dropped on a full queue): %w",
					st.Failed+st.Dropped, st.Emitted, st.Failed, st.Dropped, cmp.Or(err, stats.lastError(), errQueueFull))
			case err != nil:
				err = fmt.Errorf("seclog: shutdown: %w", err)
			}
			shutdownErr = err
		})
		return shutdownErr
	}
	return l, shutdown, nil
}

// errQueueFull explains drops when no export failed.
var errQueueFull = errors.New("the batch queue was full (raise Options.MaxQueueSize or emit less)")

// Stats counts records through a pipeline built by Setup.
type Stats struct {
	Emitted  uint64 // records the pipeline accepted (every Logger method and slog record)
	Exported uint64 // records the collector acknowledged
	Failed   uint64 // records whose export failed after retries
	Dropped  uint64 // records that never reached the exporter (queue full); exact after shutdown
}

// Stats returns the pipeline's counts; all zero for a Logger made by New, whose pipeline the
// caller owns. While running, records waiting in the queue count as neither exported nor dropped.
func (l *Logger) Stats() Stats {
	if l.stats == nil {
		return Stats{}
	}
	return l.stats.snapshot()
}

type pipelineStats struct {
	emitted, exported, failed atomic.Uint64
	shutDown                  atomic.Bool // set once the provider has flushed and stopped
	mu                        sync.Mutex
	lastErr                   error
}

func (s *pipelineStats) snapshot() Stats {
	st := Stats{Emitted: s.emitted.Load(), Exported: s.exported.Load(), Failed: s.failed.Load()}
	// Only after shutdown is every accepted record either exported, failed or lost in the queue.
	if s.shutDown.Load() && st.Emitted > st.Exported+st.Failed {
		st.Dropped = st.Emitted - st.Exported - st.Failed
	}
	return st
}

func (s *pipelineStats) lastError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastErr
}

// countingProcessor counts records accepted by the pipeline, before the batch processor (which
// drops silently when its queue is full).
type countingProcessor struct{ stats *pipelineStats }

func (*countingProcessor) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }
func (p *countingProcessor) OnEmit(context.Context, *sdklog.Record) error {
	p.stats.emitted.Add(1)
	return nil
}
func (*countingProcessor) Shutdown(context.Context) error   { return nil }
func (*countingProcessor) ForceFlush(context.Context) error { return nil }

// countingExporter counts records by export result.
type countingExporter struct {
	sdklog.Exporter
	stats *pipelineStats
}

func (e *countingExporter) Export(ctx context.Context, records []sdklog.Record) error {
	if len(records) == 0 {
		return e.Exporter.Export(ctx, records)
	}
	err := e.Exporter.Export(ctx, records)
	if err != nil {
		e.stats.failed.Add(uint64(len(records)))
		e.stats.mu.Lock()
		e.stats.lastErr = err
		e.stats.mu.Unlock()
		return err
	}
	e.stats.exported.Add(uint64(len(records)))
	return nil
}

// EventNameProcessor sets a record's EventName from its event.category and event.action
// attributes when the producer left it empty, as the log/slog bridge does. Setup installs it; add
// it before the exporting processor of a LoggerProvider you build yourself.
type EventNameProcessor struct{}

// Enabled implements sdklog.Processor.
func (EventNameProcessor) Enabled(context.Context, sdklog.EnabledParameters) bool { return true }

// OnEmit implements sdklog.Processor.
func (EventNameProcessor) OnEmit(_ context.Context, r *sdklog.Record) error {
	if r.EventName() != "" {
		return nil
	}
	var category, action string
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		switch string(kv.Key) {
		case secevent.KeyCategory:
			category = kv.Value.AsString()
		case secevent.KeyAction:
			action = kv.Value.AsString()
		}
		return category == "" || action == ""
	})
	if c := secevent.Category(category); c.Valid() {
		r.SetEventName(secevent.EventName(c, action))
	}
	return nil
}

// Shutdown implements sdklog.Processor.
func (EventNameProcessor) Shutdown(context.Context) error { return nil }

// ForceFlush implements sdklog.Processor.
func (EventNameProcessor) ForceFlush(context.Context) error { return nil }
