//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unified-ot/otelcol-siem/internal/testcollector"
)

// The security_webhook zero-loss scenarios: the ocb-built binary with the site config
// (security_webhook selected through OTELCOL_SIEM_EXPORTERS, its endpoint, format and headers from
// OTELCOL_SIEM_WEBHOOK_*) against a local webhook receiver, with the faults the HEC scenarios use:
// outage, 503 storm with Retry-After, 413, wrong credentials later fixed.

const (
	webhookExporterLabel = `exporter="security_webhook"`
	metricWebhookAuth    = "otelcol_exporter_security_webhook_auth_failures"
	metricWebhookReqs    = "otelcol_exporter_security_webhook_requests"
	webhookRightBearer   = "Bearer e2e-webhook-right-1c9d77e0"
	webhookWrongBearer   = "Bearer e2e-webhook-wrong-8a41f3b6"
	webhookPath          = "/events"
)

// webhookPeer is a webhook receiver on loopback: it checks the Authorization header, applies a
// forced failure or a body limit, and otherwise parses a JSON array (application/json) or NDJSON
// (application/x-ndjson) of the formatter's event objects and counts them by event.id.
type webhookPeer struct {
	mu         sync.Mutex
	addr       string
	srv        *http.Server
	auth       string // the Authorization value required; "" accepts any
	maxBody    int    // 413 above this many (decoded) body bytes; 0: no limit
	failAll    int    // forced status for every request while not 0
	retryAfter string // Retry-After sent with failAll
	ids        map[string]int
	answers    map[int]int
	okBodies   []int // decoded sizes of the accepted bodies
	bad        []string
}

// newWebhookPeer starts a receiver on a free loopback port requiring Authorization auth ("": any);
// it is stopped at the end of the test, which fails if any body it got was malformed.
func newWebhookPeer(t *testing.T, auth string) *webhookPeer {
	t.Helper()
	p := &webhookPeer{auth: auth, ids: map[string]int{}, answers: map[int]int{}}
	if err := p.listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, b := range p.bad {
			t.Errorf("webhook receiver got a malformed body: %s", b)
		}
	})
	return p
}

func (p *webhookPeer) listen(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	p.mu.Lock()
	p.srv, p.addr = srv, l.Addr().String()
	p.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
	return nil
}

// URL is the endpoint the exporter POSTs to.
func (p *webhookPeer) URL() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return "http://" + p.addr + webhookPath
}

// Stop closes the listener and every connection (an outage); what was received stays readable.
func (p *webhookPeer) Stop() {
	p.mu.Lock()
	srv := p.srv
	p.mu.Unlock()
	_ = srv.Close()
}

// Start reopens the receiver on the address it had.
func (p *webhookPeer) Start(t *testing.T) {
	t.Helper()
	p.mu.Lock()
	addr := p.addr
	p.mu.Unlock()
	var err error
	for i := 0; i < 50; i++ { // the port was ours a moment ago; the kernel may not have released it
		if err = p.listen(addr); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("webhook receiver: reopen %s: %v", addr, err)
}

// FailAll answers every request with status (and Retry-After: retryAfter) until FailAll(0, "").
func (p *webhookPeer) FailAll(status int, retryAfter string) {
	p.mu.Lock()
	p.failAll, p.retryAfter = status, retryAfter
	p.mu.Unlock()
}

// SetMaxBody makes the receiver answer 413 to bodies larger than n bytes (0: no limit).
func (p *webhookPeer) SetMaxBody(n int) {
	p.mu.Lock()
	p.maxBody = n
	p.mu.Unlock()
}

// Answers is how many requests got status.
func (p *webhookPeer) Answers(status int) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.answers[status]
}

// IDs counts the received events by event.id.
func (p *webhookPeer) IDs() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.ids))
	for k, v := range p.ids {
		out[k] = v
	}
	return out
}

func (p *webhookPeer) answer(w http.ResponseWriter, status int, hdr ...string) {
	for i := 0; i+1 < len(hdr); i += 2 {
		w.Header().Set(hdr[i], hdr[i+1])
	}
	p.mu.Lock()
	p.answers[status]++
	p.mu.Unlock()
	w.WriteHeader(status)
}

func (p *webhookPeer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != webhookPath {
		p.answer(w, http.StatusNotFound)
		return
	}
	var rd io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			p.answer(w, http.StatusBadRequest)
			return
		}
		rd = gz
	}
	body, err := io.ReadAll(rd)
	if err != nil {
		p.answer(w, http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	auth, maxBody, fail, retryAfter := p.auth, p.maxBody, p.failAll, p.retryAfter
	p.mu.Unlock()
	switch {
	case auth != "" && r.Header.Get("Authorization") != auth:
		p.answer(w, http.StatusUnauthorized, "WWW-Authenticate", `Bearer realm="soc"`)
		return
	case fail != 0:
		p.answer(w, fail, "Retry-After", retryAfter)
		return
	case maxBody > 0 && len(body) > maxBody:
		p.answer(w, http.StatusRequestEntityTooLarge)
		return
	}
	var events []json.RawMessage
	switch ct := r.Header.Get("Content-Type"); ct {
	case "application/json":
		err = json.Unmarshal(body, &events)
	case "application/x-ndjson":
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(nil, len(body)+1)
		for sc.Scan() {
			events = append(events, append(json.RawMessage(nil), sc.Bytes()...))
		}
		err = sc.Err()
	default:
		err = fmt.Errorf("unexpected Content-Type %q", ct)
	}
	ids := make([]string, 0, len(events))
	for _, ev := range events {
		if err != nil {
			break
		}
		var obj struct {
			ID string `json:"event.id"`
		}
		err = json.Unmarshal(ev, &obj)
		ids = append(ids, obj.ID)
	}
	if err != nil {
		p.mu.Lock()
		p.bad = append(p.bad, fmt.Sprintf("%v: %.200s", err, body))
		p.mu.Unlock()
		p.answer(w, http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	for _, id := range ids {
		p.ids[id]++
	}
	p.okBodies = append(p.okBodies, len(body))
	p.mu.Unlock()
	p.answer(w, http.StatusOK)
}

// waitWebhook waits until every id arrived at the receiver or timeout passes.
func waitWebhook(p *webhookPeer, ids []string, timeout time.Duration) lossTally {
	deadline := time.Now().Add(timeout)
	for {
		r := countLoss(ids, p.IDs())
		if r.lost == 0 || time.Now().After(deadline) {
			return r
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// startWebhookCollector starts the binary with the site config, sending to p through
// security_webhook with the given Authorization header.
func startWebhookCollector(t *testing.T, p *webhookPeer, bearer, storage string, extra map[string]string) *testcollector.Collector {
	t.Helper()
	env := map[string]string{
		"OTELCOL_SIEM_EXPORTERS":        "[security_webhook]",
		"OTELCOL_SIEM_WEBHOOK_ENDPOINT": p.URL(),
		// A YAML map, the form otelcol-config.yaml's headers take from the environment.
		"OTELCOL_SIEM_WEBHOOK_HEADERS": fmt.Sprintf("{Authorization: %q}", bearer),
	}
	for k, v := range extra {
		env[k] = v
	}
	return testcollector.Start(t, testcollector.Options{Env: env, StorageDir: storage})
}

// TestSecurityWebhookOutage: the webhook receiver is down when the collector starts and while
// events are sent; the persistent queue holds them all; the receiver comes up; all arrive once.
func TestSecurityWebhookOutage(t *testing.T) {
	const n = 2000
	p := newWebhookPeer(t, webhookRightBearer)
	p.Stop()
	col := startWebhookCollector(t, p, webhookRightBearer, "", nil)
	ids := sendUniqueFailedLogins(t, col, "wh-outage", 0, n)
	queued := metricReaches(t, col, n, 20*time.Second, metricQueueSize, webhookExporterLabel)
	pollUntil(t, 10*time.Second, "a failed delivery attempt in the log", func() bool {
		return strings.Contains(col.Output(), "Exporting failed. Will retry")
	})
	p.Start(t)
	r := waitWebhook(p, ids, 45*time.Second)
	if v, err := col.WaitMetric(0, 10*time.Second, metricQueueSize, webhookExporterLabel); err != nil || v != 0 {
		t.Errorf("queue size after delivery = %v (%v), want 0", v, err)
	}
	if r.dup != 0 {
		t.Errorf("%d duplicates, want 0: nothing reached the receiver during the outage", r.dup)
	}
	reportLoss(t, "webhook down at start, then up", r, fmt.Sprintf("queue held %.0f records during the outage", queued))
}

// TestSecurityWebhook503Storm: every request gets 503 with Retry-After: 3 for a while; nothing is
// lost or duplicated and every retry waited at least the Retry-After.
func TestSecurityWebhook503Storm(t *testing.T) {
	const n, storm = 2000, 4
	p := newWebhookPeer(t, webhookRightBearer)
	p.FailAll(http.StatusServiceUnavailable, "3")
	col := startWebhookCollector(t, p, webhookRightBearer, "", nil)
	ids := sendUniqueFailedLogins(t, col, "wh-503", 0, n)
	pollUntil(t, 30*time.Second, fmt.Sprintf("%d answers 503", storm), func() bool {
		return p.Answers(http.StatusServiceUnavailable) >= storm
	})
	p.FailAll(0, "")
	r := waitWebhook(p, ids, 45*time.Second)
	intervals := retryIntervalsFor(t, col.Output(), "HTTP 503")
	if len(intervals) == 0 {
		t.Errorf("no retry after a 503 in the collector log")
	}
	for _, d := range intervals {
		if d < 3*time.Second {
			t.Errorf("retried after %s, before the receiver's Retry-After 3 s", d)
		}
	}
	if r.dup != 0 {
		t.Errorf("%d duplicates, want 0: a 503 accepts nothing", r.dup)
	}
	reportLoss(t, "webhook 503 storm with Retry-After", r, fmt.Sprintf("%d answers 503 with Retry-After: 3; %d retries, each after >= 3 s",
		p.Answers(http.StatusServiceUnavailable), len(intervals)))
}

// TestSecurityWebhook413Split: the receiver takes at most 16 KiB per body while the exporter cuts
// at its default 1 MiB: batches are halved until they fit. NDJSON here, so both framings are run
// end to end (the other scenarios use the default JSON array).
func TestSecurityWebhook413Split(t *testing.T) {
	const n, limit = 2000, 16 << 10
	p := newWebhookPeer(t, webhookRightBearer)
	p.SetMaxBody(limit)
	col := startWebhookCollector(t, p, webhookRightBearer, "", map[string]string{"OTELCOL_SIEM_WEBHOOK_FORMAT": "ndjson"})
	ids := sendUniqueFailedLogins(t, col, "wh-413", 0, n)
	r := waitWebhook(p, ids, 45*time.Second)
	tooLarge := p.Answers(http.StatusRequestEntityTooLarge)
	if tooLarge == 0 {
		t.Errorf("the receiver never answered 413: the scenario did not happen")
	}
	p.mu.Lock()
	accepted := len(p.okBodies)
	for _, size := range p.okBodies {
		if size > limit {
			t.Errorf("a body of %d bytes was accepted above the limit", size)
		}
	}
	p.mu.Unlock()
	splits := metricReaches(t, col, 1, 5*time.Second, metricWebhookReqs, `outcome="split"`)
	if r.dup != 0 {
		t.Errorf("%d duplicates, want 0: a 413 accepts nothing", r.dup)
	}
	reportLoss(t, "webhook 413 (16 KiB limit, NDJSON)", r, fmt.Sprintf("%d answers 413, batches split (%.0f splits) into %d accepted requests", tooLarge, splits, accepted))
}

// TestSecurityWebhookWrongCredentialsLaterFixed: the receiver answers 401 to the collector's bearer
// token; the data stays queued (queue size, auth-failure metric, error log; the token is not
// logged); the operator fixes the header and restarts the collector on the same queue; all arrive.
func TestSecurityWebhookWrongCredentialsLaterFixed(t *testing.T) {
	const n = 1000
	p := newWebhookPeer(t, webhookRightBearer)
	col := startWebhookCollector(t, p, webhookWrongBearer, "", nil)
	ids := sendUniqueFailedLogins(t, col, "wh-401", 0, n)
	fails := metricReaches(t, col, 1, 20*time.Second, metricWebhookAuth)
	metricReaches(t, col, n, 10*time.Second, metricQueueSize, webhookExporterLabel)
	pollUntil(t, 5*time.Second, "the credentials error in the log", func() bool {
		return strings.Contains(col.Output(), "the webhook refused the credentials")
	})
	if got := len(p.IDs()); got != 0 {
		t.Fatalf("the receiver accepted %d events with refused credentials", got)
	}
	col.Stop(15 * time.Second)
	col2 := startWebhookCollector(t, p, webhookRightBearer, col.StorageDir, nil)
	r := waitWebhook(p, ids, 40*time.Second)
	for _, out := range []string{col.Output(), col2.Output()} {
		for _, secret := range []string{"e2e-webhook-right-", "e2e-webhook-wrong-"} {
			if strings.Contains(out, secret) {
				t.Errorf("the collector logged the bearer token")
			}
		}
	}
	reportLoss(t, "webhook 401, credentials fixed + restart", r,
		fmt.Sprintf("401: %.0f auth failures counted, all %d kept queued, error logged (token not); restarted with the right header on the same queue", fails, n))
}
