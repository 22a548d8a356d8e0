package cefsyslogexporter // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter"

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"
	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter/internal/metadata"
	"github.com/unified-ot/otelcol-siem/internal/destlog"
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

	pool *connPool // udp, tcp, tls
	file *fileSink // file

	buffers sync.Pool
	// records holds *secformat.RecordBatch, one per conversion running at a time.
	records sync.Pool
	// messageSizeHint is the bytes to reserve per record when a batch is formatted.
	messageSizeHint atomic.Int64
}

// buffers are one conversion's or push's scratch space, pooled so that a steady stream does not
// allocate them.
type buffers struct {
	cut     []byte
	chunk   []byte
	pending []pendingFrame // the frames in chunk
}

// pendingFrame is a message framed into the current chunk.
type pendingFrame struct {
	end       int // offset in the chunk just past its frame
	truncated bool
}

func newExporter(cfg *Config, set exporter.Settings) (*cefSyslogExporter, error) {
	tel, err := metadata.NewTelemetry(set.TelemetrySettings)
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
	e.buffers.New = func() any { return &buffers{} }
	header := e.syslog
	if !e.syslogHeader {
		header = nil
	}
	e.records.New = func() any { return secformat.NewRecordBatch(header, e.msg) }
	e.messageSizeHint.Store(512)
	return e, nil
}

// start loads TLS material (a missing file fails start-up, naming the file) and prepares the
// transport. It does not connect: a receiver that is down at start-up must not stop the
// collector; the first push connects.
func (e *cefSyslogExporter) start(ctx context.Context, _ component.Host) error {
	size := 1
	if q := e.cfg.QueueConfig.Get(); q != nil && q.NumConsumers > 0 {
		size = q.NumConsumers
	}
	// Where the events go, for the start-up log (never a key or a certificate's content).
	dest := []zap.Field{zap.String("transport", e.cfg.Transport)}
	switch e.cfg.Transport {
	case TransportFile:
		f, err := openFileSink(e.cfg.File)
		if err != nil {
			return fmt.Errorf("cef_syslog: file.path: %w", err)
		}
		e.file = f
		dest = append(dest, zap.String("file", e.cfg.File.Path), zap.Bool("syslog_header", e.syslogHeader))
	case TransportTLS:
		tlsCfg, err := e.cfg.TLS.LoadTLSConfig(ctx)
		if err != nil {
			return fmt.Errorf("cef_syslog: tls: %w", err)
		}
		if tlsCfg == nil {
			return errors.New("cef_syslog: tls: no TLS configuration was produced (tls.insecure is set)")
		}
		if tlsCfg.InsecureSkipVerify {
			e.logger.Warn("tls.insecure_skip_verify is set: the syslog receiver's certificate is NOT verified; anyone on the path can read and forge security events")
		}
		e.pool = newConnPool(e.cfg, tlsCfg, size, e.logger, e.tel)
		dest = append(dest, zap.String("endpoint", e.cfg.Endpoint),
			zap.Bool("client_certificate", len(tlsCfg.Certificates) > 0 || tlsCfg.GetClientCertificate != nil))
	default:
		e.pool = newConnPool(e.cfg, nil, size, e.logger, e.tel)
		dest = append(dest, zap.String("endpoint", e.cfg.Endpoint))
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
	var errs []error
	if e.pool != nil {
		errs = append(errs, e.pool.close(ctx))
	}
	if e.file != nil {
		errs = append(errs, e.file.close())
	}
	return errors.Join(errs...)
}

func openFileSink(cfg FileConfig) (*fileSink, error) {
	// Open (and create) the file once here so that a wrong path or permission fails start-up
	// with a clear message instead of every push.
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o750); err != nil {
		return nil, fmt.Errorf("creating the directory of %s: %w", cfg.Path, err)
	}
	f, err := os.OpenFile(cfg.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", cfg.Path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("closing %s: %w", cfg.Path, err)
	}
	return &fileSink{logger: &lumberjack.Logger{
		Filename:   cfg.Path,
		MaxSize:    cfg.MaxSizeMB,
		MaxBackups: cfg.MaxBackups,
		MaxAge:     cfg.MaxAgeDays,
		Compress:   cfg.Compress,
	}}, nil
}

// formatLogs is the exporter's request converter: it formats every record of ld into a frame
// batch as the batch enters the sending queue. A record that cannot be formatted is dropped and
// counted here, and the records behind it go on.
func (e *cefSyslogExporter) formatLogs(ctx context.Context, ld plog.Logs) (xexporterhelper.Request, error) {
	fb := newFrameBatch(ld.LogRecordCount(), int(e.messageSizeHint.Load()))
	b := e.buffers.Get().(*buffers)
	defer e.putBuffers(b)
	rb := e.records.Get().(*secformat.RecordBatch)
	defer func() {
		rb.Release() // a pooled batch must not keep this request alive
		e.records.Put(rb)
	}()
	dropped := 0
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		sls := rl.ScopeLogs()
		n := 0
		for j := 0; j < sls.Len(); j++ {
			n += sls.At(j).LogRecords().Len()
		}
		rb.SetResource(rl.Resource(), n)
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				if !e.formatInto(fb, b, rb, lrs.At(k)) {
					dropped++
				}
			}
		}
	}
	if fb.count > 0 {
		// The next batch's buffer is sized from this one's messages, with some headroom.
		e.messageSizeHint.Store(int64(fb.size/fb.count + 32))
	}
	if dropped > 0 {
		e.tel.RecordsFailed.Add(ctx, int64(dropped), e.tel.FailedFormat)
		// Never the records' contents: they may hold user names and addresses.
		e.logger.Warn("dropped log records that could not be formatted", zap.Int("count", dropped))
	}
	return fb, nil
}

// pushFrames frames and writes one batch. On a transport error it returns an *unsentError
// holding the messages from the first one not completely written on (retryable), so that
// exporterhelper retries (or re-queues) only those.
func (e *cefSyslogExporter) pushFrames(ctx context.Context, req xexporterhelper.Request) error {
	fb, ok := req.(*frameBatch)
	if !ok {
		return consumererror.NewPermanent(fmt.Errorf("cef_syslog: unexpected request type %T", req))
	}
	total := fb.ItemsCount()
	if total == 0 {
		return nil
	}
	if e.file != nil {
		return e.send(ctx, fb, e.file)
	}
	if e.pool == nil {
		return errors.New("cef_syslog: exporter is not started")
	}
	slot, err := e.pool.acquire(ctx)
	if err != nil {
		e.tel.RecordsFailed.Add(ctx, int64(total), e.tel.FailedTransport)
		return fmt.Errorf("cef_syslog: %w", err)
	}
	defer e.pool.release(slot)
	if err := slot.ensure(ctx); err != nil {
		e.tel.RecordsFailed.Add(ctx, int64(total), e.tel.FailedTransport)
		return fmt.Errorf("cef_syslog: %w", err)
	}
	return e.send(ctx, fb, slot)
}

func (e *cefSyslogExporter) send(ctx context.Context, fb *frameBatch, w sink) error {
	b := e.buffers.Get().(*buffers)
	defer e.putBuffers(b)
	b.chunk = b.chunk[:0]

	var sent, truncated, bytes int64
	// chunkFirst is the index of the first message in the chunk. flush writes the chunk; on
	// failure it returns the index of the first message whose frame the transport did not
	// completely accept.
	chunkFirst := 0
	b.pending = b.pending[:0]
	flush := func() (int, error) {
		if len(b.chunk) == 0 {
			return -1, nil
		}
		n, err := w.write(ctx, b.chunk)
		bytes += int64(n)
		done := len(b.pending)
		if err != nil {
			done = 0
			for done < len(b.pending) && b.pending[done].end <= n {
				done++
			}
			if done == len(b.pending) {
				// Everything was accepted before the error: nothing of this chunk to resend.
				// The connection is dropped all the same, so the next write reports the
				// failure for the messages behind it.
				err = nil
			}
		}
		for _, p := range b.pending[:done] {
			sent++
			if p.truncated {
				truncated++
			}
		}
		firstUnsent := -1
		if done < len(b.pending) {
			firstUnsent = chunkFirst + done
		}
		chunkFirst += len(b.pending)
		b.chunk = b.chunk[:0]
		b.pending = b.pending[:0]
		return firstUnsent, err
	}

	var sendErr error
	firstUnsent := -1
	for line, cut := range fb.all {
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
		b.pending = append(b.pending, pendingFrame{end: len(b.chunk), truncated: cut})
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
		e.tel.RecordsSent.Add(ctx, sent)
	}
	if bytes > 0 {
		e.tel.BytesSent.Add(ctx, bytes)
	}
	if truncated > 0 {
		e.tel.RecordsTruncated.Add(ctx, truncated)
	}
	if sendErr == nil {
		return nil
	}
	rest := fb.slice(firstUnsent, fb.count)
	e.tel.RecordsFailed.Add(ctx, int64(rest.ItemsCount()), e.tel.FailedTransport)
	where := e.cfg.Endpoint
	if e.cfg.Transport == TransportFile {
		where = e.cfg.File.Path
	}
	return &unsentError{
		err:  fmt.Errorf("cef_syslog: writing to %s over %s: %w", where, e.cfg.Transport, sendErr),
		rest: rest,
	}
}

// maxPooledBuffer is the largest scratch buffer kept for reuse: a rare huge record (a JSON event
// with megabyte attributes) must not pin its buffers for the life of the process.
const maxPooledBuffer = 1 << 20

func (e *cefSyslogExporter) putBuffers(b *buffers) {
	if cap(b.cut) > maxPooledBuffer || cap(b.chunk) > streamChunkSize+maxPooledBuffer {
		return
	}
	e.buffers.Put(b)
}

// formatInto appends one record's syslog message (or a bare line for a header-less file) to fb,
// formatted in place by rb (set to the record's resource). It reports false, and fb is unchanged,
// when the formatter yields nothing or panics: a record that cannot be formatted must never block
// the records behind it.
func (e *cefSyslogExporter) formatInto(fb *frameBatch, b *buffers, rb *secformat.RecordBatch, lr plog.LogRecord) (ok bool) {
	seg := fb.tail()
	start := len(seg.data)
	defer func() {
		if r := recover(); r != nil {
			e.logger.Error("formatter panicked; record dropped", zap.Any("panic", r))
			seg.data = seg.data[:start]
			rb.Forget() // what it kept from the records before may be half written
			ok = false
		}
	}()
	if seg.data, ok = rb.Append(seg.data, lr); !ok {
		return false
	}
	cut := false
	if line := seg.data[start:]; e.maxRecord > 0 && len(line) > e.maxRecord {
		b.cut, cut = secformat.TruncateUTF8(b.cut[:0], line, e.maxRecord, secformat.TruncationMarker)
		seg.data = append(seg.data[:start], b.cut...)
	}
	fb.commit(len(seg.data)-start, cut)
	return true
}
