package securitywebhookexporter // import "github.com/unified-ot/otelcol-siem/exporter/securitywebhookexporter"

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"

	"go.uber.org/zap"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/exporter/securitywebhookexporter/internal/metadata"
	"github.com/unified-ot/otelcol-siem/internal/destlog"
	"github.com/unified-ot/otelcol-siem/internal/httpdelivery"
	"github.com/unified-ot/otelcol-siem/internal/secformat"
)

const (
	// maxResponseBytes bounds how much of an answer is read (for the error text).
	maxResponseBytes = 64 * 1024
	// maxErrorText bounds the answer text quoted in errors and logs.
	maxErrorText = 256
	// minShrink is the smallest size a single event is cut down to after 413 before it is dropped.
	minShrink = 512
)

type webhookExporter struct {
	cfg         *Config
	set         exporter.Settings
	logger      *zap.Logger
	client      *http.Client
	framing     httpdelivery.Framing
	contentType string
	ua          string
	json        *secformat.JSON
	tel         *httpdelivery.Telemetry
	pusher      *httpdelivery.Pusher
}

func newExporter(cfg *Config, set exporter.Settings) (*webhookExporter, error) {
	e := &webhookExporter{
		cfg:    cfg,
		set:    set,
		logger: set.Logger,
		json:   secformat.NewJSON(),
		ua:     fmt.Sprintf("%s/%s (%s/%s)", set.BuildInfo.Description, set.BuildInfo.Version, runtime.GOOS, runtime.GOARCH),
	}
	switch cfg.Format {
	case FormatNDJSON:
		e.framing, e.contentType = httpdelivery.NDJSON, "application/x-ndjson"
	default:
		e.framing, e.contentType = httpdelivery.JSONArray, "application/json"
	}
	var err error
	e.tel, err = httpdelivery.NewTelemetry(set.MeterProvider.Meter(metadata.ScopeName), metadata.MetricPrefix)
	if err != nil {
		return nil, err
	}
	e.pusher = &httpdelivery.Pusher{
		Framing:          e.framing,
		MaxContentLength: cfg.MaxContentLength,
		MinShrink:        minShrink,
		Post:             e.post,
		Reencode:         e.appendEvent,
		Tel:              e.tel,
		Logger:           e.logger,
		AuthMessage:      "the webhook refused the credentials; events stay queued until they are fixed",
		ShrinkMessage:    "the webhook answered 413 for a single event; sending it truncated (lower max_content_length to match the server)",
		DropMessage:      "the webhook rejected events; they are dropped",
	}
	return e, nil
}

func (e *webhookExporter) start(ctx context.Context, host component.Host) error {
	client, err := e.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), e.set.TelemetrySettings)
	if err != nil {
		return err
	}
	e.client = client
	// Only the server is named: many webhook URLs carry a secret in their path or query, and the
	// headers (and auth) hold credentials.
	u, err := url.Parse(e.cfg.ClientConfig.Endpoint)
	if err != nil {
		return fmt.Errorf("endpoint: %w", err) // Validate parsed it already
	}
	destlog.Log(e.logger, e.cfg.QueueConfig,
		zap.String("transport", u.Scheme), zap.String("endpoint", destlog.Origin(u)),
		zap.String("format", e.cfg.Format))
	return nil
}

func (e *webhookExporter) shutdown(context.Context) error {
	if e.client != nil {
		e.client.CloseIdleConnections()
	}
	return nil
}

// appendEvent appends the formatter's JSON object, or, when it is larger than max, its text cut to
// max and marked [truncated] as a JSON string (a cut object would not be JSON).
func (e *webhookExporter) appendEvent(dst []byte, res pcommon.Resource, lr plog.LogRecord, max int) ([]byte, bool) {
	start := len(dst)
	dst = e.json.Append(dst, res, lr)
	if len(dst)-start <= max {
		return dst, false
	}
	raw := append([]byte(nil), dst[start:]...)
	return httpdelivery.AppendTruncatedJSONString(dst[:start], raw, max)
}

// pushLogs sends ld as JSON events in bodies of at most max_content_length bytes; httpdelivery acts
// on each answer (the same discipline as splunk_hec_sec).
func (e *webhookExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	maxItem := e.framing.MaxItem(e.cfg.MaxContentLength)
	items, truncated := httpdelivery.Encode(ld, func(dst []byte, res pcommon.Resource, lr plog.LogRecord) ([]byte, bool) {
		return e.appendEvent(dst, res, lr, maxItem)
	})
	if truncated > 0 {
		e.tel.EventsTruncated.Add(ctx, int64(truncated))
	}
	if len(items) == 0 {
		return nil
	}
	res := e.pusher.Push(ctx, ld, items)
	for _, b := range res.Delivered {
		e.tel.EventsSent.Add(ctx, int64(len(b.Items)))
	}
	return res.Error(ld, items)
}

func (e *webhookExporter) post(ctx context.Context, body []byte) httpdelivery.Verdict {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.cfg.ClientConfig.Endpoint, bytes.NewReader(body))
	if err != nil {
		return httpdelivery.Verdict{Kind: httpdelivery.Reject, Reason: httpdelivery.ReasonRejected, Err: err}
	}
	req.Header.Set("Content-Type", e.contentType)
	req.Header.Set("User-Agent", e.ua)
	resp, err := e.client.Do(req)
	if err != nil {
		return httpdelivery.Verdict{Kind: httpdelivery.Retry, Err: fmt.Errorf("webhook request failed: %w", err)}
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	cut, _ := secformat.TruncateUTF8(nil, bytes.TrimSpace(text), maxErrorText, secformat.TruncationMarker)
	desc := string(cut)
	if desc == "" {
		desc = http.StatusText(resp.StatusCode)
	}
	return httpdelivery.ClassifyStatus(resp, desc)
}
