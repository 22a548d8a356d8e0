// HTTP discipline shared by splunk_hec_sec and security_webhook: cutting a batch's records into
// request bodies no larger than a limit, reading an HTTP answer into a verdict (delivered, retry,
// split, drop one record, keep queued for an auth failure, reject), acting on it (413 halves the
// body, a bad record is dropped and the rest resent, a transient failure stops the round), and
// turning what is left into the error exporterhelper needs: an UnsentError holding only the records
// still to send, wrapped in a throttle delay when the server sent Retry-After, or a permanent error
// when all that failed was rejected for good. The exporters post bodies and classify
// protocol-specific answers (HEC's code 6 with invalid-event-number); this file does the rest.

package delivery

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Framing says how items are joined into a body: Prefix + item (Sep + item)* + Suffix.
type Framing struct {
	Prefix, Sep, Suffix string
}

// Common framings.
var (
	// Concatenated is HEC's /services/collector/event body: JSON objects back to back.
	Concatenated = Framing{}
	// JSONArray is `[a,b,c]`.
	JSONArray = Framing{Prefix: "[", Sep: ",", Suffix: "]"}
	// NDJSON is one item per line, each ended by LF.
	NDJSON = Framing{Sep: "\n", Suffix: "\n"}
)

// Overhead is the size a body has beyond its items' own bytes for n items.
func (f Framing) Overhead(n int) int {
	if n == 0 {
		return len(f.Prefix) + len(f.Suffix)
	}
	return len(f.Prefix) + len(f.Suffix) + (n-1)*len(f.Sep)
}

// MaxItem is the largest item that fits alone in a body of max bytes.
func (f Framing) MaxItem(max int) int { return max - f.Overhead(1) }

// AppendBody appends the body holding recs[idx...] to dst.
func (f Framing) AppendBody(dst []byte, recs [][]byte, idx []int) []byte {
	dst = append(dst, f.Prefix...)
	for k, i := range idx {
		if k > 0 {
			dst = append(dst, f.Sep...)
		}
		dst = append(dst, recs[i]...)
	}
	return append(dst, f.Suffix...)
}

// Bodies cuts recs (all of them, in order) into consecutive bodies of at most max bytes. A record
// too large to fit even alone gets a body of its own (the exporters cut records to Framing.MaxItem
// when they format them, so that only happens with a limit below a record's floor).
func Bodies(recs [][]byte, f Framing, max int) [][]int {
	var out [][]int
	var cur []int
	size := 0
	for i := range recs {
		n := len(recs[i])
		if len(cur) > 0 && size+len(f.Sep)+n+len(f.Suffix) > max {
			out = append(out, cur)
			cur, size = nil, 0
		}
		if len(cur) == 0 {
			size = len(f.Prefix) + n
		} else {
			size += len(f.Sep) + n
		}
		cur = append(cur, i)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// Kind is what the exporter must do after an answer.
type Kind int

// Verdict kinds.
const (
	// Delivered: the server took the batch (for HEC with acknowledgement: took it, ack pending).
	Delivered Kind = iota
	// Retry: a transient failure (429, 5xx, 408, transport error); resend later, after Delay if set.
	Retry
	// Auth: 401/403; the data stays queued and the operator must act.
	Auth
	// Split: 413; halve the batch and resend the halves.
	Split
	// DropItem: the server rejected exactly one record (Index within the batch); drop it, resend
	// the rest.
	DropItem
	// Reject: any other 4xx; the batch cannot succeed by resending and is dropped.
	Reject
)

// Verdict is the reading of one answer.
type Verdict struct {
	Kind   Kind
	Delay  time.Duration // Retry: the server's Retry-After
	Index  int           // DropItem: 0-based position in the batch
	Reason string        // DropItem, Reject: the metric reason
	Err    error         // a description of the answer, for logs and the returned error
	Ack    int64         // Delivered: HEC ackId, or -1
}

// Drop reasons shared by the exporters' "dropped" metric.
const (
	ReasonRejected        = "rejected"         // a permanent 4xx
	ReasonTooLarge        = "too_large"        // 413 for a single record that cannot be shrunk further
	ReasonInvalidResponse = "invalid_response" // a rejection naming a record that is not in the batch
	ReasonFormat          = "format"           // the record could not be formatted
)

// MaxRetryAfter caps a server's Retry-After, so that a wrong or hostile value cannot park the
// queue for days; exporterhelper's own backoff still applies on top.
const MaxRetryAfter = 10 * time.Minute

// RetryAfter reads the Retry-After header (delay-seconds or an HTTP-date) as a delay, capped at
// MaxRetryAfter; 0 when absent or unreadable.
func RetryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = time.Until(t)
	}
	if d < 0 {
		return 0
	}
	return min(d, MaxRetryAfter)
}

// ClassifyStatus is the status-code discipline common to both exporters: 2xx delivered; 413 split;
// 408, 429 and every 5xx retried (honouring Retry-After); 401 and 403 kept queued as an auth
// failure; any other status (4xx, or a 1xx/3xx the client did not resolve) rejected for good.
// desc describes the answer for the error text.
func ClassifyStatus(resp *http.Response, desc string) Verdict {
	code := resp.StatusCode
	err := fmt.Errorf("HTTP %d: %s", code, desc)
	switch {
	case code >= 200 && code <= 299:
		return Verdict{Kind: Delivered, Ack: -1}
	case code == http.StatusRequestEntityTooLarge:
		return Verdict{Kind: Split, Err: err}
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500 && code <= 599:
		return Verdict{Kind: Retry, Delay: RetryAfter(resp.Header), Err: err}
	case code == http.StatusUnauthorized, code == http.StatusForbidden:
		return Verdict{Kind: Auth, Err: err}
	default:
		return Verdict{Kind: Reject, Reason: ReasonRejected, Err: err}
	}
}

// PostFunc sends one body (indexes into the records) and classifies the answer.
type PostFunc func(ctx context.Context, body []int) Verdict

// ShrinkFunc is called when a single record alone got 413: it replaces recs[i] by a smaller one
// and reports whether it could (false: the record is dropped as too_large).
type ShrinkFunc func(i int) bool

// DeliveredBatch is a batch the server took, with its HEC ackId (-1 without acknowledgement).
type DeliveredBatch struct {
	Items []int
	Ack   int64
}

// Dropped is a record dropped for good, and why.
type Dropped struct {
	Item   int
	Reason string
	Err    error
}

// Result is the outcome of Deliver.
type Result struct {
	Delivered []DeliveredBatch
	// Pending are the items still to send (in order) after a Retry or Auth verdict; Cause, Delay
	// and Auth describe that verdict.
	Pending []int
	Cause   error
	Delay   time.Duration
	Auth    bool
	// Dropped lists every item dropped for good; Rejected is the first Reject error, if any.
	Dropped  []Dropped
	Rejected error
	// Requests counts the requests sent.
	Requests int
}

// Deliver sends every item, batch after batch, and acts on each verdict: Split halves a batch
// (a single item is shrunk or dropped), DropItem drops one item and resends the rest of its batch,
// Reject drops the batch and goes on with the next, Retry and Auth stop the round and leave the
// failed batch and every batch not yet sent pending. Each DropItem and Split makes progress (one
// item fewer, or a smaller batch), so the round ends.
func Deliver(ctx context.Context, recs [][]byte, f Framing, max int, send PostFunc, shrink ShrinkFunc) Result {
	var res Result
	work := Bodies(recs, f, max)
	for len(work) > 0 {
		b := work[0]
		work = work[1:]
		v := send(ctx, b)
		res.Requests++
		switch v.Kind {
		case Delivered:
			res.Delivered = append(res.Delivered, DeliveredBatch{Items: b, Ack: v.Ack})
		case Split:
			if len(b) > 1 {
				h := len(b) / 2
				work = append([][]int{b[:h:h], b[h:]}, work...)
				continue
			}
			if shrink != nil && shrink(b[0]) {
				work = append([][]int{b}, work...)
				continue
			}
			res.Dropped = append(res.Dropped, Dropped{Item: b[0], Reason: ReasonTooLarge, Err: v.Err})
		case DropItem:
			if v.Index < 0 || v.Index >= len(b) {
				err := fmt.Errorf("server rejected record %d of a batch of %d: %w", v.Index, len(b), v.Err)
				for _, i := range b {
					res.Dropped = append(res.Dropped, Dropped{Item: i, Reason: ReasonInvalidResponse, Err: err})
				}
				if res.Rejected == nil {
					res.Rejected = err
				}
				continue
			}
			res.Dropped = append(res.Dropped, Dropped{Item: b[v.Index], Reason: v.Reason, Err: v.Err})
			rest := make([]int, 0, len(b)-1)
			rest = append(rest, b[:v.Index]...)
			rest = append(rest, b[v.Index+1:]...)
			if len(rest) > 0 {
				work = append([][]int{rest}, work...)
			}
		case Reject:
			for _, i := range b {
				res.Dropped = append(res.Dropped, Dropped{Item: i, Reason: v.Reason, Err: v.Err})
			}
			if res.Rejected == nil {
				res.Rejected = v.Err
			}
		case Retry, Auth:
			res.Pending = append(res.Pending, b...)
			for _, w := range work {
				res.Pending = append(res.Pending, w...)
			}
			res.Cause, res.Delay, res.Auth = v.Err, v.Delay, v.Kind == Auth
			return res
		}
	}
	return res
}

// ErrAuth marks an error returned for an authentication or authorization failure.
var ErrAuth = errors.New("the server refused the credentials; the data stays queued until they are fixed")

// Error turns a Result (after any exporter-specific additions to Pending) into the send function's
// return value: nil when everything was delivered or dropped for a per-record reason, an
// UnsentError holding the pending records (in a throttle delay when the server asked for one), or
// a permanent error when a batch was rejected for good and nothing is pending. It is never
// permanent while records are pending: the sending queue keeps them.
func (r Result) Error(recs [][]byte) error {
	if len(r.Pending) > 0 {
		cause := r.Cause
		if cause == nil {
			cause = errors.New("records not delivered")
		}
		if r.Auth {
			cause = fmt.Errorf("%w: %w", ErrAuth, cause)
		}
		var err error = &UnsentError{Err: cause, Rest: Pick(recs, r.Pending)}
		if r.Delay > 0 {
			err = exporterhelper.NewThrottleRetry(err, r.Delay)
		}
		return err
	}
	if r.Rejected != nil {
		return consumererror.NewPermanent(r.Rejected)
	}
	return nil
}
