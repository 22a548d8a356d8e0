package delivery

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"syscall"

	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exporterhelper/xexporterhelper"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/internal/pipelinehealth"
)

// This file reports every exporter's queue and send outcomes into pipelinehealth, where the
// siem_audit receiver reads them: records offered to the sending queue, then accepted or refused
// by it (the ConsumeLogs wrapper), records that could not be formatted (the Converter's Failed),
// and each send's outcome (the send wrapper).

// registerHealth registers exporter set.ID with the process's pipelinehealth hub and hooks the
// converter's failure count into it.
func registerHealth(set exporter.Settings, q configoptional.Optional[exporterhelper.QueueBatchConfig], c *Converter) *pipelinehealth.Exporter {
	var capacity int64
	if q.HasValue() && q.Get().Sizer == exporterhelper.RequestSizerTypeItems {
		capacity = q.Get().QueueSize
	}
	rep := pipelinehealth.Default().Register(set.ID, capacity)
	failed := c.Failed // Convert calls it: every Converter has one
	c.Failed = func(ctx context.Context, n int) {
		failed(ctx, n)
		rep.Dropped(n, pipelinehealth.ReasonFormatFailed)
	}
	return rep
}

// reportingSend is send, with its outcome reported to rep.
func reportingSend(rep *pipelinehealth.Exporter, send SendFunc) func(context.Context, xexporterhelper.Request) error {
	return func(ctx context.Context, r xexporterhelper.Request) error {
		b := r.(*Batch)
		err := send(ctx, b)
		reportSend(rep, b.count, err)
		return err
	}
}

func reportSend(rep *pipelinehealth.Exporter, n int, err error) {
	var unsent *UnsentError
	switch {
	case err == nil:
		rep.Delivered(n)
	case errors.Is(err, context.Canceled):
		// The collector is stopping: the batch stays queued, and says nothing about the destination.
	case consumererror.IsPermanent(err):
		// The destination answered and refused the batch for good: it is reachable, the records are gone.
		rep.Dropped(n, pipelinehealth.ReasonRejected)
		rep.Delivered(0)
	case errors.As(err, &unsent) && unsent.Rest != nil && unsent.Rest.count < n:
		rep.Delivered(n - unsent.Rest.count)
	default:
		rep.SendFailed(ErrorClass(err))
	}
}

// ErrorClass is a short, fixed classification of a send error for the audit records: never the
// error's text, which can carry a URL with credentials, a host name or a server's answer.
func ErrorClass(err error) string {
	var (
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		unkAuth x509.UnknownAuthorityError
		hostErr x509.HostnameError
		invErr  x509.CertificateInvalidError
		recErr  tls.RecordHeaderError
		alert   tls.AlertError
	)
	switch {
	case errors.Is(err, ErrAuth):
		return "auth_refused"
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.As(err, &dnsErr):
		return "name_resolution"
	case errors.As(err, &certErr) || errors.As(err, &unkAuth) || errors.As(err, &hostErr) ||
		errors.As(err, &invErr) || errors.As(err, &recErr) || errors.As(err, &alert):
		return "tls"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection_refused"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return "connection_reset"
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return "network_unreachable"
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return "timeout"
	}
	return "send_failed"
}

// reportingLogs is an exporter that reports the records offered to its sending queue.
type reportingLogs struct {
	exporter.Logs
	rep *pipelinehealth.Exporter
}

func (r *reportingLogs) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	n := ld.LogRecordCount()
	// Offered before the queue takes them, so that the records a send delivers (or the formatter
	// drops) before ConsumeLogs returns are never more than the hub knows were offered; counted
	// as accepted or refused once the queue decided, so that neither count ever goes down.
	r.rep.Offer(n)
	err := r.Logs.ConsumeLogs(ctx, ld)
	r.rep.Settle(n, err == nil)
	return err
}

func (r *reportingLogs) Shutdown(ctx context.Context) error {
	err := r.Logs.Shutdown(ctx)
	pipelinehealth.Default().Unregister(r.rep)
	return err
}

// withHealth wraps exp (NewLogs' result) so that it reports into rep.
func withHealth(exp exporter.Logs, err error, rep *pipelinehealth.Exporter) (exporter.Logs, error) {
	if err != nil {
		pipelinehealth.Default().Unregister(rep)
		return nil, err
	}
	return &reportingLogs{Logs: exp, rep: rep}, nil
}
