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
	"github.com/unified-ot/otelcol-siem/internal/collectorresource"
	"github.com/unified-ot/otelcol-siem/internal/delivery"
	"github.com/unified-ot/otelcol-siem/internal/destlog"
	"github.com/unified-ot/otelcol-siem/internal/integrity"
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
	framing     delivery.Framing
	contentType string
	ua          string
	json        *secformat.JSON
	tel         *metadata.Telemetry
	pushers     []*delivery.Pusher // one per endpoint
	names       []string           // per endpoint, its scheme, host and port: what logs and metrics name
	balance     *delivery.Balancer // nil with one endpoint
	converter   *delivery.Converter
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
		e.framing, e.contentType = delivery.NDJSON, "application/x-ndjson"
	default:
		e.framing, e.contentType = delivery.JSONArray, "application/json"
	}
	var err error
	if e.tel, err = metadata.NewTelemetry(set.TelemetrySettings, set.ID); err != nil {
		return nil, err
	}
	for _, endpoint := range delivery.EndpointList(cfg.ClientConfig.Endpoint, cfg.Endpoints) {
		e.pushers = append(e.pushers, e.newPusher(endpoint))
		u, err := url.Parse(endpoint)
		if err != nil {
			return nil, err // Validate parsed it already
		}
		// Only the server is named: a webhook URL often carries a secret in its path or query.
		e.names = append(e.names, destlog.Origin(u))
	}
	if len(e.pushers) > 1 {
		e.balance = delivery.NewBalancer(cfg.Balance, e.names, "webhook", e.logger, e.tel.BalanceTelemetry)
	}
	maxItem := e.framing.MaxItem(cfg.MaxContentLength)
	if cfg.Integrity.Enabled() {
		// The stamp is added after an event is cut to fit.
		maxItem -= integrity.MaxStampSize + integrity.MaxStatementSize
	}
	e.converter = &delivery.Converter{
		Format: func(dst []byte, res pcommon.Resource, lr plog.LogRecord) ([]byte, bool, bool) {
			dst, cut := e.appendEvent(dst, res, lr, maxItem)
			return dst, cut, true
		},
		Logger:    e.logger,
		Failed:    func(ctx context.Context, n int) { e.tel.Drop(ctx, n, delivery.ReasonFormat) },
		Truncated: e.tel.Truncated,
	}
	if cfg.Integrity.Enabled() {
		e.converter.Integrity = integrity.New(integrity.Settings{
			Config: cfg.Integrity, ID: set.ID, Kind: integrity.KindJSON, Logger: e.logger,
			Resource: collectorresource.New(set.TelemetrySettings, set.BuildInfo),
			// The event is the record; a cut one is a JSON string.
			Locate: func(rec []byte) (int, int, bool) {
				if len(rec) >= 2 && rec[0] == '"' {
					return 1, len(rec) - 1, true
				}
				return 0, len(rec), false
			},
			Counters: e.tel.Integrity.Counters(),
		})
	}
	return e, nil
}

// newPusher is the HTTP discipline towards one endpoint.
func (e *webhookExporter) newPusher(endpoint string) *delivery.Pusher {
	return &delivery.Pusher{
		Framing:          e.framing,
		MaxContentLength: e.cfg.MaxContentLength,
		MinShrink:        minShrink,
		Post:             func(ctx context.Context, body []byte) delivery.Verdict { return e.post(ctx, endpoint, body) },
		Shrink:           func(rec []byte, max int) []byte { return delivery.CutJSON(nil, rec, nil, max) },
		Tel:              e.tel.HTTPTelemetry,
		Logger:           e.logger,
		AuthMessage:      "the webhook refused the credentials; events stay queued until they are fixed",
		ShrinkMessage:    "the webhook answered 413 for a single event; sending it truncated (lower max_content_length to match the server)",
		DropMessage:      "the webhook rejected events; they are dropped",
	}
}

func (e *webhookExporter) start(ctx context.Context, host component.Host) error {
	client, err := e.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), e.set.TelemetrySettings)
	if err != nil {
		return err
	}
	e.client = client
	// Only the server is named: many webhook URLs carry a secret in their path or query, and the
	// headers (and auth) hold credentials.
	u, err := url.Parse(delivery.EndpointList(e.cfg.ClientConfig.Endpoint, e.cfg.Endpoints)[0])
	if err != nil {
		return fmt.Errorf("endpoint: %w", err) // Validate parsed it already
	}
	dest := []zap.Field{zap.String("transport", u.Scheme)}
	if e.balance == nil {
		dest = append(dest, zap.String("endpoint", e.names[0]))
	} else {
		dest = append(dest, zap.Strings("endpoints", e.names), zap.String("balance", e.cfg.Balance.Mode),
			zap.Duration("hold_down", e.cfg.Balance.HoldDown))
	}
	destlog.Log(e.logger, e.cfg.QueueConfig, append(dest, zap.String("format", e.cfg.Format))...)
	return nil
}

func (e *webhookExporter) shutdown(context.Context) error {
	if e.balance != nil {
		_ = e.balance.Close()
	}
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
	return delivery.AppendTruncatedJSONString(dst[:start], raw, max)
}

// sendBatch sends a batch's events in bodies of at most max_content_length bytes; delivery acts on
// each answer (the same discipline as splunk_hec_sec).
func (e *webhookExporter) sendBatch(ctx context.Context, b *delivery.Batch) error {
	if b.ItemsCount() == 0 {
		return nil
	}
	recs := b.Records()
	i := 0
	if e.balance != nil {
		i = e.balance.Order()[0]
	}
	res := e.pushers[i].Push(ctx, recs)
	if e.balance != nil {
		// An endpoint that is unreachable or overloaded (a retry verdict) is held down, and the
		// retry of what it did not take goes to the next one.
		if len(res.Pending) > 0 && !res.Auth {
			e.balance.Fail(ctx, i, res.Cause)
		} else {
			e.balance.Use(ctx, i)
		}
	}
	for _, d := range res.Delivered {
		e.tel.Sent(ctx, len(d.Items), e.tel.EndpointAttrs(e.names[i]))
	}
	return res.Error(recs)
}

func (e *webhookExporter) post(ctx context.Context, endpoint string, body []byte) delivery.Verdict {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return delivery.Verdict{Kind: delivery.Reject, Reason: delivery.ReasonRejected, Err: err}
	}
	req.Header.Set("Content-Type", e.contentType)
	req.Header.Set("User-Agent", e.ua)
	resp, err := e.client.Do(req)
	if err != nil {
		return delivery.Verdict{Kind: delivery.Retry, Err: fmt.Errorf("webhook request failed: %w", err)}
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	cut, _ := secformat.TruncateUTF8(nil, bytes.TrimSpace(text), maxErrorText, secformat.TruncationMarker)
	desc := string(cut)
	if desc == "" {
		desc = http.StatusText(resp.StatusCode)
	}
	return delivery.ClassifyStatus(resp, desc)
}
