package hectest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	token   = "11111111-2222-3333-4444-555555555555"
	channel = "0aeeac95-ac74-4aa9-b30d-6c4c0ac581ba"
)

type answer struct {
	Status             int
	Text               string `json:"text"`
	Code               int    `json:"code"`
	AckID              *int64 `json:"ackId"`
	InvalidEventNumber *int   `json:"invalid-event-number"`
	RetryAfter         string
}

func start(t *testing.T, cfg Config) *Emulator {
	t.Helper()
	if cfg.Token == "" {
		cfg.Token = token
	}
	e, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(e.Close)
	return e
}

func do(t *testing.T, method, url, auth, ch string, body []byte, gz bool) answer {
	t.Helper()
	if gz {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		_, _ = w.Write(body)
		require.NoError(t, w.Close())
		body = b.Bytes()
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if ch != "" {
		req.Header.Set(HeaderChannel, ch)
	}
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var a answer
	require.NoError(t, json.Unmarshal(raw, &a), string(raw))
	a.Status = resp.StatusCode
	a.RetryAfter = resp.Header.Get("Retry-After")
	return a
}

func post(t *testing.T, e *Emulator, body string) answer {
	return do(t, http.MethodPost, e.URL()+PathEvent, "Splunk "+token, channel, []byte(body), false)
}

func TestAuthCodes(t *testing.T) {
	e := start(t, Config{})
	body := []byte(`{"event":"x"}`)
	a := do(t, http.MethodPost, e.URL()+PathEvent, "", "", body, false)
	assert.Equal(t, answer{Status: 401, Text: "Token is required", Code: 2}, a)
	a = do(t, http.MethodPost, e.URL()+PathEvent, "Bearer "+token, "", body, false)
	assert.Equal(t, 401, a.Status)
	assert.Equal(t, CodeInvalidAuthz, a.Code)
	a = do(t, http.MethodPost, e.URL()+PathEvent, "Splunk wrong", "", body, false)
	assert.Equal(t, 403, a.Status)
	assert.Equal(t, CodeInvalidToken, a.Code)
	e.SetTokenDisabled(true)
	a = do(t, http.MethodPost, e.URL()+PathEvent, "Splunk "+token, "", body, false)
	assert.Equal(t, CodeTokenDisabled, a.Code)
	e.SetTokenDisabled(false)
	e.SetToken("new")
	assert.Equal(t, CodeInvalidToken, post(t, e, `{"event":"x"}`).Code)
	a = do(t, http.MethodPost, e.URL()+PathEvent, "Splunk new", "", body, false)
	assert.Equal(t, 200, a.Status)
	assert.Equal(t, 1, e.EventCount(), "only the accepted request was recorded")
}

func TestConcatenatedGzipEnvelopes(t *testing.T) {
	e := start(t, Config{})
	body := `{"time":1764152102.123,"host":"edge-01","source":"svc","sourcetype":"_json","index":"main","event":{"event.id":"a"},"fields":{"event.category":"authentication","user.roles":["a","b"]}}
  {"event":"second"}{"time":"1764152102","event":{"k":1}}`
	a := do(t, http.MethodPost, e.URL()+PathEvent, "Splunk "+token, "", []byte(body), true)
	require.Equal(t, 200, a.Status)
	assert.Equal(t, "Success", a.Text)
	assert.Nil(t, a.AckID, "no ackId without acknowledgement")
	evs := e.Events()
	require.Len(t, evs, 3)
	assert.InDelta(t, 1764152102.123, *evs[0].Time, 1e-6)
	assert.Equal(t, "edge-01", evs[0].Host)
	assert.Equal(t, "main", evs[0].Index)
	m, err := evs[0].EventObject()
	require.NoError(t, err)
	assert.Equal(t, "a", m["event.id"])
	s, err := evs[1].EventString()
	require.NoError(t, err)
	assert.Equal(t, "second", s)
	req := e.Requests()[0]
	assert.True(t, req.Gzip)
	assert.Equal(t, len(body), req.DecodedBytes)
	assert.Less(t, req.WireBytes, req.DecodedBytes)
}

func TestInvalidEvents(t *testing.T) {
	e := start(t, Config{Indexes: []string{"main"}})
	for body, want := range map[string]answer{
		`{"event":"ok"}{"event":"ok"}{"bad json`:       {Status: 400, Code: CodeInvalidDataFormat},
		`{"event":"ok"}{"time":1}`:                     {Status: 400, Code: CodeEventFieldRequired},
		`{"event":"ok"}{"event":null}`:                 {Status: 400, Code: CodeEventFieldRequired},
		`{"event":"  "}`:                               {Status: 400, Code: CodeEventFieldBlank},
		`{"event":"x","time":"yesterday"}`:             {Status: 400, Code: CodeInvalidDataFormat},
		`{"event":"x","fields":{"a":{"nested":1}}}`:    {Status: 400, Code: CodeInvalidDataFormat},
		`{"event":"x"}{"event":"x","index":"secret"}`:  {Status: 400, Code: CodeIncorrectIndex},
		`[{"event":"an array is not the HEC format"}]`: {Status: 400, Code: CodeInvalidDataFormat},
		"   ": {Status: 400, Code: CodeNoData},
	} {
		a := post(t, e, body)
		assert.Equal(t, want.Status, a.Status, body)
		assert.Equal(t, want.Code, a.Code, body)
		if want.Code != CodeNoData {
			require.NotNil(t, a.InvalidEventNumber, body)
		}
	}
	a := post(t, e, `{"event":"ok"}{"event":"ok"}{"bad json`)
	assert.Equal(t, 2, *a.InvalidEventNumber)
	assert.Zero(t, e.EventCount(), "a rejected request indexes nothing")

	e.RejectEvents(func(ev Event) bool { s, _ := ev.EventString(); return s == "poison" })
	a = post(t, e, `{"event":"a"}{"event":"b"}{"event":"poison"}{"event":"c"}`)
	assert.Equal(t, CodeInvalidDataFormat, a.Code)
	assert.Equal(t, 2, *a.InvalidEventNumber)
}

func TestFaultsAndLimit(t *testing.T) {
	e := start(t, Config{MaxContentLength: 64})
	f := FaultBusy
	f.RetryAfter = 3 * time.Second
	e.FailNext(1, f)
	e.FailNext(1, FaultThrottled)
	a := post(t, e, `{"event":"x"}`)
	assert.Equal(t, answer{Status: 503, Text: "Server is busy", Code: 9, RetryAfter: "3"}, a)
	assert.Equal(t, 429, post(t, e, `{"event":"x"}`).Status)
	assert.Equal(t, 200, post(t, e, `{"event":"x"}`).Status)
	assert.Equal(t, 413, post(t, e, `{"event":"`+string(bytes.Repeat([]byte("x"), 64))+`"}`).Status)
	e.FailAll(&FaultInternal)
	assert.Equal(t, 500, post(t, e, `{"event":"x"}`).Status)
	assert.Equal(t, 500, post(t, e, `{"event":"x"}`).Status)
	e.FailAll(nil)
	assert.Equal(t, 200, post(t, e, `{"event":"x"}`).Status)
	assert.Equal(t, 2, e.EventCount())
}

func TestAcknowledgement(t *testing.T) {
	e := start(t, Config{AckEnabled: true, AckDelay: 50 * time.Millisecond})
	a := do(t, http.MethodPost, e.URL()+PathEvent, "Splunk "+token, "", []byte(`{"event":"x"}`), false)
	assert.Equal(t, CodeChannelMissing, a.Code)
	a = do(t, http.MethodPost, e.URL()+PathEvent, "Splunk "+token, "not-a-guid", []byte(`{"event":"x"}`), false)
	assert.Equal(t, CodeInvalidChannel, a.Code)

	for want := int64(0); want < 3; want++ {
		a = post(t, e, `{"event":"x"}`)
		require.NotNil(t, a.AckID)
		assert.Equal(t, want, *a.AckID, "ackIds count per channel")
	}
	other := do(t, http.MethodPost, e.URL()+PathEvent, "Splunk "+token, "1aeeac95-ac74-4aa9-b30d-6c4c0ac581ba", []byte(`{"event":"x"}`), false)
	assert.Equal(t, int64(0), *other.AckID)

	query := func(ids string) map[string]bool {
		req, _ := http.NewRequest(http.MethodPost, e.URL()+PathAck+"?channel="+channel, bytes.NewBufferString(`{"acks":`+ids+`}`))
		req.Header.Set("Authorization", "Splunk "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out struct{ Acks map[string]bool }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return out.Acks
	}
	assert.Equal(t, map[string]bool{"0": false, "1": false, "9": false}, query("[0,1,9]"), "pending until the delay passed")
	time.Sleep(80 * time.Millisecond)
	assert.Equal(t, map[string]bool{"0": true, "1": true, "9": false}, query("[0,1,9]"))
	assert.Equal(t, map[string]bool{"0": false}, query("[0]"), "an ackId reported true is forgotten")

	e.SetAckDelay(0)
	e.LoseAcks(1, false)
	lost := post(t, e, `{"event":"lost-ack"}`)
	time.Sleep(10 * time.Millisecond)
	assert.Equal(t, map[string]bool{"3": false}, query("[3]"), "a lost ack never turns true")
	assert.Equal(t, int64(3), *lost.AckID)
	assert.Equal(t, 5, e.EventCount(), "ack lost, events indexed")
	e.LoseAcks(1, true)
	post(t, e, `{"event":"lost-all"}`)
	assert.Equal(t, 5, e.EventCount(), "ack and events lost")

	off := start(t, Config{})
	a = do(t, http.MethodPost, off.URL()+PathAck, "Splunk "+token, channel, []byte(`{"acks":[0]}`), false)
	assert.Equal(t, CodeAckDisabled, a.Code)
}

func TestHealth(t *testing.T) {
	e := start(t, Config{})
	a := do(t, http.MethodGet, e.URL()+PathHealth, "", "", nil, false)
	assert.Equal(t, answer{Status: 200, Text: "HEC is healthy", Code: 17}, a)
	a = do(t, http.MethodGet, e.URL()+PathHealth, "Splunk wrong", "", nil, false)
	assert.Equal(t, 400, a.Status)
	e.SetHealthBusy(true)
	a = do(t, http.MethodGet, e.URL()+PathHealth, "Splunk "+token, "", nil, false)
	assert.Equal(t, answer{Status: 503, Text: "HEC is unhealthy, queues are full", Code: 18}, a)
}

func TestOutageKeepsAddressAndEvents(t *testing.T) {
	e := start(t, Config{})
	url := e.URL()
	post(t, e, `{"event":"before"}`)
	e.Stop()
	_, err := http.Post(url+PathEvent, "application/json", bytes.NewBufferString(`{"event":"x"}`))
	require.Error(t, err, "connection refused during the outage")
	require.NoError(t, e.Start())
	assert.Equal(t, url, e.URL())
	post(t, e, `{"event":"after"}`)
	d := e.Compare([]string{"before", "after", "never"}, func(ev Event) string { s, _ := ev.EventString(); return s })
	assert.Equal(t, []string{"never"}, d.Lost)
	assert.Zero(t, d.Duplicates)
	assert.Equal(t, 2, d.Received)
}
