package splunkhecsecexporter // import "github.com/unified-ot/otelcol-siem/exporter/splunkhecsecexporter"

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"
)

// ackTracker polls one HEC endpoint for the ackIds of this exporter's channel: an ack is polled on
// the endpoint that accepted the batch. One poller per endpoint queries every pending id in one
// request per poll_interval, however many queue consumers are waiting, as Splunk advises (one
// channel, batched ack queries).
type ackTracker struct {
	e       *hecExporter
	ackURL  string
	mu      sync.Mutex
	waiting map[int64]chan struct{}
	// disabledLogged keeps a token without acknowledgement from flooding the log.
	disabledLogged bool
}

func newAckTracker(e *hecExporter, ackURL string) *ackTracker {
	return &ackTracker{e: e, ackURL: ackURL, waiting: map[int64]chan struct{}{}}
}

// add registers ackId id and returns a channel closed once HEC reports it true.
func (t *ackTracker) add(id int64) <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	// A second registration of the same id only happens when HEC restarted and counts ids from 0
	// again: the newest wins, and the older batch is resent after its own timeout.
	ch := make(chan struct{})
	t.waiting[id] = ch
	return ch
}

// remove stops polling for id (its waiter gave up).
func (t *ackTracker) remove(id int64) {
	t.mu.Lock()
	delete(t.waiting, id)
	t.mu.Unlock()
}

func (t *ackTracker) pending() []int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids := make([]int64, 0, len(t.waiting))
	for id := range t.waiting {
		ids = append(ids, id)
	}
	return ids
}

func (t *ackTracker) run(interval time.Duration, stop <-chan struct{}) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ticker.C:
		}
		ids := t.pending()
		if len(ids) == 0 {
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		acked, err := t.poll(ctx, ids)
		cancel()
		if err != nil {
			t.e.logger.Warn("HEC acknowledgement poll failed; retrying at the next interval", zap.Error(err))
			continue
		}
		t.mu.Lock()
		for _, id := range acked {
			if ch, ok := t.waiting[id]; ok {
				close(ch)
				delete(t.waiting, id)
			}
		}
		t.mu.Unlock()
	}
}

// poll asks HEC which of ids are acknowledged.
func (t *ackTracker) poll(ctx context.Context, ids []int64) ([]int64, error) {
	body, err := json.Marshal(map[string][]int64{"acks": ids})
	if err != nil {
		return nil, err
	}
	u := t.ackURL + "?channel=" + url.QueryEscape(t.e.channel)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	t.e.headers(req)
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.e.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var a hecAnswer
		_ = json.Unmarshal(raw, &a)
		if a.code() == codeAckDisabled {
			t.mu.Lock()
			first := !t.disabledLogged
			t.disabledLogged = true
			t.mu.Unlock()
			if first {
				t.e.logger.Error("HEC says indexer acknowledgement is disabled (code 14): enable it on the token or set ack.enabled: false; batches will be resent after ack.timeout")
			}
		}
		return nil, &ackPollError{status: resp.StatusCode, code: a.code(), text: a.Text}
	}
	var ans struct {
		Acks map[string]bool `json:"acks"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return nil, err
	}
	var out []int64
	for k, ok := range ans.Acks {
		if !ok {
			continue
		}
		if id, err := strconv.ParseInt(k, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out, nil
}

type ackPollError struct {
	status, code int
	text         string
}

func (e *ackPollError) Error() string {
	return "HEC ack endpoint answered HTTP " + strconv.Itoa(e.status) + " code " + strconv.Itoa(e.code) + ": " + e.text
}
