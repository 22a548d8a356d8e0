package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/unified-ot/otelcol-siem/internal/secformat"
)

func mkItems(sizes ...int) [][]byte {
	items := make([][]byte, len(sizes))
	for i, n := range sizes {
		items[i] = []byte(strings.Repeat(string(rune('a'+i%26)), n))
	}
	return items
}

func TestBodiesRespectLimitAndOrder(t *testing.T) {
	items := mkItems(10, 10, 10, 10, 25, 3)
	for _, f := range []Framing{Concatenated, JSONArray, NDJSON} {
		batches := Bodies(items, f, 32)
		var flat []int
		for _, b := range batches {
			body := f.AppendBody(nil, items, b)
			if len(b) > 1 {
				assert.LessOrEqual(t, len(body), 32, "framing %+v batch %v", f, b)
			}
			assert.Equal(t, len(body), f.Overhead(len(b))+sumLen(items, b))
			flat = append(flat, b...)
		}
		assert.Equal(t, []int{0, 1, 2, 3, 4, 5}, flat, "every item once, in order")
	}
	assert.Equal(t, [][]int{{0, 1, 2}, {3}, {4, 5}}, Bodies(items, Concatenated, 30))
	assert.Equal(t, [][]int{{0, 1}, {2, 3}, {4}, {5}}, Bodies(items, JSONArray, 24))
}

func sumLen(items [][]byte, idx []int) int {
	n := 0
	for _, i := range idx {
		n += len(items[i])
	}
	return n
}

func TestFramingBodies(t *testing.T) {
	items := [][]byte{[]byte(`{"a":1}`), []byte(`{"b":2}`)}
	assert.Equal(t, `{"a":1}{"b":2}`, string(Concatenated.AppendBody(nil, items, []int{0, 1})))
	assert.Equal(t, `[{"a":1},{"b":2}]`, string(JSONArray.AppendBody(nil, items, []int{0, 1})))
	assert.Equal(t, "{\"a\":1}\n{\"b\":2}\n", string(NDJSON.AppendBody(nil, items, []int{0, 1})))
	var v []map[string]int
	require.NoError(t, json.Unmarshal(JSONArray.AppendBody(nil, items, []int{1}), &v))
	assert.Equal(t, 2, v[0]["b"])
}

func resp(status int, hdr ...string) *http.Response {
	r := &http.Response{StatusCode: status, Header: http.Header{}}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	return r
}

func TestClassifyStatus(t *testing.T) {
	cases := []struct {
		status int
		kind   Kind
	}{
		{200, Delivered}, {204, Delivered}, {413, Split}, {408, Retry}, {429, Retry}, {500, Retry},
		{502, Retry}, {503, Retry}, {504, Retry}, {401, Auth}, {403, Auth}, {400, Reject}, {404, Reject},
		{422, Reject}, {302, Reject},
	}
	for _, c := range cases {
		v := ClassifyStatus(resp(c.status), "x")
		assert.Equal(t, c.kind, v.Kind, "status %d", c.status)
		if c.kind == Reject {
			assert.Equal(t, ReasonRejected, v.Reason)
		}
	}
	v := ClassifyStatus(resp(503, "Retry-After", "7"), "busy")
	assert.Equal(t, 7*time.Second, v.Delay)
	v = ClassifyStatus(resp(429, "Retry-After", time.Now().Add(90*time.Second).UTC().Format(http.TimeFormat)), "slow")
	assert.InDelta(t, 90, v.Delay.Seconds(), 2)
	v = ClassifyStatus(resp(503, "Retry-After", "999999"), "hostile")
	assert.Equal(t, MaxRetryAfter, v.Delay)
	v = ClassifyStatus(resp(503, "Retry-After", "soon"), "garbage")
	assert.Zero(t, v.Delay)
}

// scripted answers verdicts in order and records the batches it saw.
type scripted struct {
	verdicts []Verdict
	seen     [][]int
}

func (s *scripted) send(_ context.Context, b []int) Verdict {
	s.seen = append(s.seen, append([]int(nil), b...))
	if len(s.verdicts) == 0 {
		return Verdict{Kind: Delivered, Ack: -1}
	}
	v := s.verdicts[0]
	s.verdicts = s.verdicts[1:]
	return v
}

func TestDeliverSplitsOn413(t *testing.T) {
	items := mkItems(10, 10, 10, 10)
	s := &scripted{verdicts: []Verdict{{Kind: Split}, {Kind: Split}}}
	res := Deliver(context.Background(), items, Concatenated, 1000, s.send, nil)
	assert.Equal(t, [][]int{{0, 1, 2, 3}, {0, 1}, {0}, {1}, {2, 3}}, s.seen)
	assert.Empty(t, res.Pending)
	assert.Empty(t, res.Dropped)
	require.Len(t, res.Delivered, 3)
	assert.Equal(t, 5, res.Requests)
}

func TestDeliverShrinksOrDropsSingle413(t *testing.T) {
	items := mkItems(100)
	shrunk := 0
	shrink := func(i int) bool {
		if len(items[i]) < 30 {
			return false
		}
		items[i] = items[i][:len(items[i])/2]
		shrunk++
		return true
	}
	s := &scripted{verdicts: []Verdict{{Kind: Split}, {Kind: Split}}}
	res := Deliver(context.Background(), items, Concatenated, 1000, s.send, shrink)
	assert.Equal(t, 2, shrunk)
	require.Len(t, res.Delivered, 1)
	assert.Len(t, items[0], 25)

	items = mkItems(20)
	s = &scripted{verdicts: []Verdict{{Kind: Split, Err: errors.New("413")}}}
	res = Deliver(context.Background(), items, Concatenated, 1000, s.send, shrink)
	require.Len(t, res.Dropped, 1)
	assert.Equal(t, ReasonTooLarge, res.Dropped[0].Reason)
	assert.Nil(t, res.Error(items), "a dropped record is counted, not an error")
}

func TestDeliverDropsOnlyTheBadItem(t *testing.T) {
	items := mkItems(5, 5, 5, 5, 5)
	s := &scripted{verdicts: []Verdict{
		{Kind: DropItem, Index: 2, Reason: "invalid_event", Err: errors.New("code 6")},
		{Kind: DropItem, Index: 0, Reason: "event_field_blank", Err: errors.New("code 13")},
	}}
	res := Deliver(context.Background(), items, Concatenated, 1000, s.send, nil)
	assert.Equal(t, [][]int{{0, 1, 2, 3, 4}, {0, 1, 3, 4}, {1, 3, 4}}, s.seen)
	require.Len(t, res.Dropped, 2)
	assert.Equal(t, Dropped{Item: 2, Reason: "invalid_event", Err: errors.New("code 6")}, res.Dropped[0])
	assert.Equal(t, 0, res.Dropped[1].Item)
	require.Len(t, res.Delivered, 1)
	assert.Equal(t, []int{1, 3, 4}, res.Delivered[0].Items)
}

func TestDeliverBadIndexRejectsTheBatch(t *testing.T) {
	items := mkItems(5, 5)
	s := &scripted{verdicts: []Verdict{{Kind: DropItem, Index: 7, Reason: "invalid_event", Err: errors.New("code 6")}}}
	res := Deliver(context.Background(), items, Concatenated, 1000, s.send, nil)
	require.Len(t, res.Dropped, 2)
	assert.Equal(t, ReasonInvalidResponse, res.Dropped[0].Reason)
	err := res.Error(items)
	assert.True(t, consumererror.IsPermanent(err))
}

func TestDeliverRetryStopsTheRound(t *testing.T) {
	items := mkItems(10, 10, 10, 10)
	s := &scripted{verdicts: []Verdict{{Kind: Delivered, Ack: 4}, {Kind: Retry, Delay: 3 * time.Second, Err: errors.New("HTTP 503")}}}
	res := Deliver(context.Background(), items, Concatenated, 20, s.send, nil)
	assert.Len(t, s.seen, 2, "no request after a transient failure")
	assert.Equal(t, []DeliveredBatch{{Items: []int{0, 1}, Ack: 4}}, res.Delivered)
	assert.Equal(t, []int{2, 3}, res.Pending)
	assert.Equal(t, 3*time.Second, res.Delay)
	assert.False(t, res.Auth)
}

func TestDeliverRejectGoesOn(t *testing.T) {
	items := mkItems(10, 10, 10)
	s := &scripted{verdicts: []Verdict{{Kind: Reject, Reason: ReasonRejected, Err: errors.New("HTTP 400 code 7")}}}
	res := Deliver(context.Background(), items, Concatenated, 10, s.send, nil)
	assert.Len(t, s.seen, 3)
	assert.Len(t, res.Dropped, 1)
	assert.Len(t, res.Delivered, 2)
	err := res.Error(items)
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err))
}

func TestErrorKeepsOnlyPendingRecords(t *testing.T) {
	items := batchOf("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7").Records()
	res := Result{Pending: []int{1, 6, 7}, Cause: errors.New("HTTP 503"), Delay: 2 * time.Second}
	err := res.Error(items)
	require.Error(t, err)
	assert.False(t, consumererror.IsPermanent(err))
	var u *UnsentError
	require.ErrorAs(t, err, &u)
	assert.Equal(t, []string{"r1", "r6", "r7"}, strs(u.Rest), "only the pending records are retried")
	assert.Same(t, u.Rest, batchOf().OnError(err), "exporterhelper's retry narrows to them")
	assert.Contains(t, err.Error(), "Throttle (2s)", "Retry-After is handed to exporterhelper's retry")

	res = Result{Pending: []int{0}, Cause: errors.New("HTTP 403"), Auth: true}
	err = res.Error(items)
	assert.ErrorIs(t, err, ErrAuth)
	assert.False(t, consumererror.IsPermanent(err), "an auth failure keeps the data queued")

	assert.NoError(t, Result{Delivered: []DeliveredBatch{{Items: []int{0}}}}.Error(items))
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"plain", `q"b\s`, "ctl\x00\x1f\x7f", "nl\r\n\t", "ünï©ødé", "bad\xffutf8", "sep\u2028\u2029", "c1\u0085"} {
		out := AppendJSONString(nil, []byte(s))
		var back string
		require.NoError(t, json.Unmarshal(out, &back), "%q -> %s", s, out)
		if s != "bad\xffutf8" {
			assert.Equal(t, s, back)
		}
		assert.NotContains(t, string(out[1:len(out)-1]), "\n")
	}
}

func TestAppendTruncatedJSONString(t *testing.T) {
	raw := []byte(strings.Repeat(`"\é`, 300))
	for _, max := range []int{2, 10, 40, 41, 100, 1000} {
		out, cut := AppendTruncatedJSONString([]byte("prefix"), raw, max)
		lit := out[len("prefix"):]
		assert.LessOrEqual(t, len(lit), max, "max %d", max)
		assert.True(t, cut)
		var back string
		require.NoError(t, json.Unmarshal(lit, &back), "max %d: %s", max, lit)
		if max >= 40 {
			assert.True(t, strings.HasSuffix(back, secformat.TruncationMarker), "max %d: %q", max, back)
			assert.True(t, strings.HasPrefix(string(raw), strings.TrimSuffix(back, secformat.TruncationMarker)))
		}
	}
	out, cut := AppendTruncatedJSONString(nil, []byte("short"), 100)
	assert.False(t, cut)
	assert.Equal(t, `"short"`, string(out))
}
