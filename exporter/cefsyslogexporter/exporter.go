package cefsyslogexporter // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter"

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter/internal/metadata"
	"github.com/unified-ot/otelcol-siem/internal/collectorresource"
	"github.com/unified-ot/otelcol-siem/internal/delivery"
	"github.com/unified-ot/otelcol-siem/internal/destlog"
	"github.com/unified-ot/otelcol-siem/internal/integrity"
	"github.com/unified-ot/otelcol-siem/internal/secformat"
)

const (
	// streamChunkSize is how many framed bytes are collected before one write on tcp, tls and
	// file. One write per record would cost a syscall (and a TLS record) per event; a much larger
	// chunk would only widen what a failed write leaves uncertain.
	streamChunkSize = 64 << 10
	megabyte        = 1 << 20
)

type cefSyslogExporter struct {
	cfg    *Config
	logger *zap.Logger
	tel    *metadata.Telemetry

	msg          secformat.MessageFormatter
	syslog       *secformat.Syslog
	syslogHeader bool
	framing      string // FramingOctetCounting, FramingLF or "" (one record per datagram)
	// maxRecord caps one record (syslog header included, framing excluded); 0 = no cap.
	maxRecord int

	converter *delivery.Converter

	transport transport

	buffers sync.Pool
}

// buffers are one send's scratch space, pooled so that a steady stream does not allocate them.
type buffers struct {
	chunk []byte
	ends  []int // offset in chunk just past each frame in it
}

func newExporter(cfg *Config, set exporter.Settings) (*cefSyslogExporter, error) {
	tel, err := metadata.NewTelemetry(set.TelemetrySettings, set.ID)
	if err != nil {
		return nil, fmt.Errorf("cef_syslog: creating metrics: %w", err)
	}
	e := &cefSyslogExporter{
		cfg:          cfg,
		logger:       set.Logger,
		tel:          tel,
		syslogHeader: cfg.Transport != TransportFile || cfg.File.SyslogHeader,
	}
	switch cfg.Format {
	case FormatJSON:
		e.msg = secformat.NewJSON()
	default:
		f, err := secformat.NewCEF(cfg.CEF)
		if err != nil {
			return nil, fmt.Errorf("cef_syslog: cef: %w", err)
		}
		e.msg = f
	}
	if e.syslog, err = secformat.NewSyslog(cfg.Syslog); err != nil {
		return nil, fmt.Errorf("cef_syslog: syslog: %w", err)
	}
	switch cfg.Transport {
	case TransportUDP:
		e.maxRecord = cfg.UDP.MaxDatagramSize
	case TransportFile:
		e.framing = FramingLF
		// lumberjack refuses a write larger than the file size limit; cut such a record instead
		// of failing it forever (the newline needs the last byte).
		e.maxRecord = cfg.File.MaxSizeMB*megabyte - 1
	default:
		e.framing = cfg.framing()
		e.maxRecord = cfg.MaxMessageSize
	}
	if cfg.Integrity.Enabled() && e.maxRecord > 0 {
		// The stamp is added after a record is cut to the limit.
		e.maxRecord = max(e.maxRecord-integrity.MaxStampSize-integrity.MaxStatementSize, minDatagramSize/2)
	}
	e.buffers.New = func() any { return &buffers{} }
	e.converter = &delivery.Converter{
		Format:    e.format,
		Logger:    e.logger,
		Failed:    func(ctx context.Context, n int) { tel.RecordsFailed.Add(ctx, int64(n), tel.FailedFormat) },
		Truncated: func(ctx context.Context, n int) { tel.RecordsTruncated.Add(ctx, int64(n), tel.ID) },
	}
	if cfg.Integrity.Enabled() {
		e.converter.Integrity = integrity.New(e.integritySettings(set))
	}
	return e, nil
}

func (e *cefSyslogExporter) integritySettings(set exporter.Settings) integrity.Settings {
	kind := integrity.KindCEF
	if e.cfg.Format == FormatJSON {
		kind = integrity.KindJSON
	}
	is := integrity.Settings{
		Config:   e.cfg.Integrity,
		ID:       set.ID,
		Kind:     kind,
		Resource: collectorresource.New(set.TelemetrySettings, set.BuildInfo),
		// The MAC covers MSG only: receivers rewrite syslog headers.
		Locate: func(rec []byte) (int, int, bool) {
			if !e.syslogHeader {
				return 0, len(rec), false
			}
			return e.syslog.MsgStart(rec), len(rec), false
		},
		Logger:   e.logger,
		Counters: e.tel.Integrity.Counters(),
	}
	if e.cfg.Integrity.SequenceID {
		is.Header = func(rec []byte, id uint64) []byte {
			out, _ := e.syslog.WithSequenceID(rec, id)
			return out
		}
	}
	return is
}

// start prepares the transport (newTransport) and logs where the events go.
func (e *cefSyslogExporter) start(ctx context.Context, _ component.Host) error {
	size := 1
	if q := e.cfg.QueueConfig.Get(); q != nil && q.NumConsumers > 0 {
		size = q.NumConsumers
	}
	t, where, err := newTransport(ctx, e.cfg, size, e.logger, e.tel)
	if err != nil {
		return fmt.Errorf("cef_syslog: %w", err)
	}
	e.transport = t
	// Where the events go, for the start-up log (never a key or a certificate's content).
	dest := append([]zap.Field{zap.String("transport", e.cfg.Transport)}, where...)
	if e.cfg.Transport == TransportFile {
		dest = append(dest, zap.Bool("syslog_header", e.syslogHeader))
	}
	if e.framing != "" {
		dest = append(dest, zap.String("framing", e.framing))
	}
	dest = append(dest, zap.String("format", e.cfg.Format))
	if e.syslogHeader {
		dest = append(dest, zap.String("syslog_protocol", e.cfg.Syslog.Protocol))
	}
	destlog.Log(e.logger, e.cfg.QueueConfig, dest...)
	return nil
}

func (e *cefSyslogExporter) shutdown(ctx context.Context) error {
	if e.transport == nil {
		return nil
	}
	return e.transport.close(ctx)
}

// format appends one record's syslog message (or a bare line for a header-less file), cut to the
// transport's limit.
func (e *cefSyslogExporter) format(dst []byte, res pcommon.Resource, lr plog.LogRecord) ([]byte, bool, bool) {
	start := len(dst)
	ok := true
	if e.syslogHeader {
		dst, ok = e.syslog.AppendRecord(dst, res, lr, e.msg)
	} else {
		dst = e.msg.Append(dst, res, lr)
		ok = len(dst) > start
	}
	if !ok {
		return dst[:start], false, false
	}
	if line := dst[start:]; e.maxRecord > 0 && len(line) > e.maxRecord {
		// Rare: the cut is formatted aside.
		cut, _ := secformat.TruncateUTF8(nil, line, e.maxRecord, secformat.TruncationMarker)
		return append(dst[:start], cut...), true, true
	}
	return dst, false, true
}

// sendBatch frames and writes one batch. On a transport error it returns a *delivery.UnsentError
// holding the messages from the first one not completely written on (retryable), so that
// exporterhelper retries (or re-queues) only those.
func (e *cefSyslogExporter) sendBatch(ctx context.Context, b *delivery.Batch) error {
	total := b.ItemsCount()
	if total == 0 {
		return nil
	}
	if e.transport == nil {
		return errors.New("cef_syslog: exporter is not started")
	}
	w, release, err := e.transport.acquire(ctx)
	if err != nil {
		e.tel.RecordsFailed.Add(ctx, int64(total), e.tel.FailedTransport)
		return fmt.Errorf("cef_syslog: %w", err)
	}
	defer release()
	return e.send(ctx, b, w)
}

func (e *cefSyslogExporter) send(ctx context.Context, batch *delivery.Batch, w sink) error {
	b := e.buffers.Get().(*buffers)
	defer e.putBuffers(b)
	b.chunk = b.chunk[:0]

	var sent, bytes int64
	// chunkFirst is the index of the first message in the chunk. flush writes the chunk; on
	// failure it returns the index of the first message whose frame the transport did not
	// completely accept.
	chunkFirst := 0
	b.ends = b.ends[:0]
	flush := func() (int, error) {
		if len(b.chunk) == 0 {
			return -1, nil
		}
		n, err := w.write(ctx, b.chunk)
		bytes += int64(n)
		done := len(b.ends)
		if err != nil {
			done = 0
			for done < len(b.ends) && b.ends[done] <= n {
				done++
			}
			if done == len(b.ends) {
				// Everything was accepted before the error: nothing of this chunk to resend.
				// The connection is dropped all the same, so the next write reports the
				// failure for the messages behind it.
				err = nil
			}
		}
		sent += int64(done)
		firstUnsent := -1
		if done < len(b.ends) {
			firstUnsent = chunkFirst + done
		}
		chunkFirst += len(b.ends)
		b.chunk = b.chunk[:0]
		b.ends = b.ends[:0]
		return firstUnsent, err
	}

	var sendErr error
	firstUnsent := -1
	for line := range batch.All {
		switch e.framing {
		case FramingOctetCounting:
			// RFC 6587 3.4.1 / RFC 5425 4.3: MSG-LEN SP SYSLOG-MSG, no trailer.
			b.chunk = strconv.AppendInt(b.chunk, int64(len(line)), 10)
			b.chunk = append(b.chunk, ' ')
			b.chunk = append(b.chunk, line...)
		case FramingLF:
			b.chunk = append(b.chunk, line...)
			b.chunk = append(b.chunk, '\n')
		default: // udp: the datagram is the message
			b.chunk = append(b.chunk, line...)
		}
		b.ends = append(b.ends, len(b.chunk))
		if e.framing == "" || len(b.chunk) >= streamChunkSize {
			if firstUnsent, sendErr = flush(); sendErr != nil {
				break
			}
		}
	}
	if sendErr == nil {
		firstUnsent, sendErr = flush()
	}

	if sent > 0 {
		e.tel.RecordsSent.Add(ctx, sent, e.tel.EndpointAttrs(w.name()))
	}
	if bytes > 0 {
		e.tel.BytesSent.Add(ctx, bytes, e.tel.EndpointAttrs(w.name()))
	}
	if sendErr == nil {
		return nil
	}
	rest := batch.Slice(firstUnsent, batch.ItemsCount())
	e.tel.RecordsFailed.Add(ctx, int64(rest.ItemsCount()), e.tel.FailedTransport)
	return &delivery.UnsentError{
		Err:  fmt.Errorf("cef_syslog: writing to %s over %s: %w", w.name(), e.cfg.Transport, sendErr),
		Rest: rest,
	}
}

// maxPooledBuffer is the largest scratch buffer kept for reuse: a rare huge record (a JSON event
// with megabyte attributes) must not pin its buffers for the life of the process.
const maxPooledBuffer = 1 << 20

func (e *cefSyslogExporter) putBuffers(b *buffers) {
	if cap(b.chunk) > streamChunkSize+maxPooledBuffer {
		return
	}
	e.buffers.Put(b)
}
