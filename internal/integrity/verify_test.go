package integrity_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/unified-ot/otelcol-siem/internal/integrity"
)

// runSite sends 250 events in batches of 50 and shuts down cleanly.
func runSite(t *testing.T, s *site) []string {
	s.start()
	for range 5 {
		require.NoError(t, s.send(50))
	}
	s.stop()
	return s.output()
}

func cleanRun(t *testing.T) ([]string, *site) {
	s := newSite(t, "siem")
	return runSite(t, s), s
}

// checkpointLines returns the indexes of the checkpoint records.
func checkpointLines(lines []string) []int {
	var out []int
	for i, l := range lines {
		if strings.Contains(l, " cp:kind:") || strings.Contains(l, `"otsec.integrity.checkpoint":`) {
			out = append(out, i)
		}
	}
	return out
}

func TestCleanExportPasses(t *testing.T) {
	lines, _ := cleanRun(t)
	// start + 250 events + periodic after 100 and 200 + final.
	require.Len(t, lines, 254)
	require.Equal(t, []int{0, 101, 202, 253}, checkpointLines(lines))
	assert.Contains(t, lines[0], "cp:kind:start,records:0,")
	assert.Contains(t, lines[253], "cp:kind:final,records:253,")
	assert.Contains(t, lines[0], "CEF:0|", "checkpoints are formatted like every record")
	assert.Contains(t, lines[0], "act=integrity_checkpoint")

	r := verify(t, lines, time.Now(), keyA)
	require.False(t, r.Failed())
	require.Len(t, r.Streams, 1)
	s := r.Streams[0]
	assert.Equal(t, 254, s.Verified)
	assert.Equal(t, uint64(1), s.First)
	assert.Equal(t, uint64(254), s.Last)
	assert.Equal(t, "cef_syslog/siem", s.Exporter)
	assert.Contains(t, s.Tail, "closed by the final checkpoint")
}

func TestLineDeletedIsAGap(t *testing.T) {
	lines, _ := cleanRun(t)
	lines = slices.Delete(lines, 40, 41) // seq 41
	r := verify(t, lines, time.Now(), keyA)
	require.True(t, r.Failed())
	s := r.Streams[0]
	assert.Equal(t, "41 (1)", spanText(s))
	assert.Empty(t, s.Altered)
	assert.Len(t, s.Unverifiable, 1, "the record after the gap has no chain value to check against")
}

func spanText(s *integrity.StreamReport) string {
	var b strings.Builder
	_, _ = (&integrity.Report{Streams: []*integrity.StreamReport{s}}).WriteTo(&b)
	m := regexp.MustCompile(`gaps \(missing sequence numbers\): (.*)`).FindStringSubmatch(b.String())
	if m == nil {
		return ""
	}
	return m[1]
}

func TestByteChangedIsAltered(t *testing.T) {
	for _, field := range []string{"suser=operator-30", "src=10.0.0.7"} {
		lines, _ := cleanRun(t)
		i := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "suser=operator-30 ") })
		require.Positive(t, i)
		changed := strings.Replace(field, "0", "1", 1)
		lines[i] = strings.Replace(lines[i], field, changed, 1)
		r := verify(t, lines, time.Now(), keyA)
		require.True(t, r.Failed(), field)
		s := r.Streams[0]
		assert.Equal(t, []int{i + 1}, s.Altered, field)
		assert.Empty(t, s.Gaps)
		assert.Equal(t, 253, s.Verified, "the records around it still check")
	}
}

func TestForgedLineInserted(t *testing.T) {
	lines, _ := cleanRun(t)
	// A copy of a real record with another user, under the same number.
	forged := strings.Replace(lines[60], "suser=operator-", "suser=admin-", 1)
	lines = slices.Insert(lines, 61, forged)
	r := verify(t, lines, time.Now(), keyA)
	require.True(t, r.Failed())
	assert.Equal(t, []int{62}, r.Streams[0].Inserted)

	// Under a number of its own after the end: it does not check against the chain.
	lines, _ = cleanRun(t)
	last := lines[len(lines)-2]
	forged = regexp.MustCompile(`flexNumber1=\d+`).ReplaceAllString(last, "flexNumber1=999")
	lines = append(lines, forged)
	r = verify(t, lines, time.Now(), keyA)
	require.True(t, r.Failed())
	assert.NotEmpty(t, r.Streams[0].Gaps)

	// Under the next number (255, after the final checkpoint at 254), so that no gap shows: its
	// chain value is the copied record's, and the MAC check finds it.
	lines, _ = cleanRun(t)
	require.Len(t, lines, 254)
	forged = regexp.MustCompile(`flexNumber1=\d+`).ReplaceAllString(lines[252], "flexNumber1=255")
	lines = append(lines, forged)
	r = verify(t, lines, time.Now(), keyA)
	require.True(t, r.Failed())
	assert.Equal(t, []int{255}, r.Streams[0].Altered, "no valid record of 255: altered, not merely a gap")
	assert.Empty(t, r.Streams[0].Gaps)
	assert.Empty(t, r.Streams[0].Unverifiable)
	assert.Equal(t, 254, r.Streams[0].Verified)

	// Under an existing number (101), between the genuine record of it and the next: beside a
	// valid record of the same number, it is inserted.
	lines, _ = cleanRun(t)
	forged = regexp.MustCompile(`flexNumber1=\d+`).ReplaceAllString(lines[99], "flexNumber1=101")
	require.Contains(t, lines[100], "flexNumber1=101 ")
	lines = slices.Insert(lines, 101, forged)
	r = verify(t, lines, time.Now(), keyA)
	require.True(t, r.Failed())
	assert.Equal(t, []int{102}, r.Streams[0].Inserted)
	assert.Empty(t, r.Streams[0].Altered)
	assert.Empty(t, r.Streams[0].Gaps)

	// A line without integrity fields.
	lines, _ = cleanRun(t)
	lines = slices.Insert(lines, 10, "<134>1 2026-12-06T10:00:00Z plc-gw-1 otelcol-siem - authentication - CEF:0|x|y|1|login|login|5|suser=admin")
	r = verify(t, lines, time.Now(), keyA)
	require.True(t, r.Failed())
	assert.Equal(t, []int{11}, r.Unstamped)
}

func TestTailCut(t *testing.T) {
	s := newSite(t, "siem")
	lines := runSite(t, s)
	// Cut the final checkpoint and the last events: the last checkpoint left is the periodic one
	// at 203, which said the next was due within the hour.
	lines = lines[:230]
	r := verify(t, lines, s.now.Add(2*time.Hour), keyA)
	require.True(t, r.Failed())
	assert.Contains(t, r.Streams[0].TailCut, "no checkpoint after 203")
	assert.Empty(t, r.Streams[0].Gaps)

	// The same export, checked as of a time before the next checkpoint was due: nothing proves
	// the cut, and the verifier says what is not covered.
	r = verify(t, lines, s.now.Add(30*time.Minute), keyA)
	require.False(t, r.Failed())
	assert.Contains(t, r.Streams[0].Tail, "27 numbers after it are not covered")
}

func TestDuplicatesAndReorderingAreAllowed(t *testing.T) {
	lines, _ := cleanRun(t)
	lines = append(lines, lines[10:20]...)             // a batch resent (at-least-once)
	lines[30], lines[31] = lines[31], lines[30]        // two records swapped
	lines = slices.Insert(lines, 5, lines[100:103]...) // late ones early
	r := verify(t, lines, time.Now(), keyA)
	require.False(t, r.Failed())
	assert.Equal(t, 13, r.Streams[0].Duplicates)
	assert.Positive(t, r.Streams[0].Reordered)
}

func TestTwoStreamsInterleaved(t *testing.T) {
	a := newSite(t, "siem")
	b := newSite(t, "backup")
	la, lb := runSite(t, a), runSite(t, b)
	var mixed []string
	for i := range max(len(la), len(lb)) {
		if i < len(la) {
			mixed = append(mixed, la[i])
		}
		if i < len(lb) {
			mixed = append(mixed, lb[i])
		}
	}
	r := verify(t, mixed, time.Now(), keyA)
	require.False(t, r.Failed())
	require.Len(t, r.Streams, 2)
	assert.NotEqual(t, r.Streams[0].Stream, r.Streams[1].Stream)

	// One line gone from one stream is reported in that stream only.
	mixed = slices.Delete(mixed, 21, 22)
	r = verify(t, mixed, time.Now(), keyA)
	require.True(t, r.Failed())
	failed := 0
	for _, s := range r.Streams {
		if s.Failed() {
			failed++
		}
	}
	assert.Equal(t, 1, failed)
}

func TestRestartContinuesTheStream(t *testing.T) {
	s := newSite(t, "siem")
	first := runSite(t, s)
	second := runSite(t, s)[len(first):] // same storage: a restart
	all := append(first, second...)
	assert.Contains(t, second[0], "cp:kind:resume,records:254,")
	r := verify(t, all, time.Now(), keyA)
	require.False(t, r.Failed())
	require.Len(t, r.Streams, 1, "the stream id survives the restart")
	assert.Equal(t, uint64(508), r.Streams[0].Last)

	// The same export with the lines around the restart removed.
	cut := slices.Delete(slices.Clone(all), len(first)-2, len(first)+1)
	r = verify(t, cut, time.Now(), keyA)
	require.True(t, r.Failed())
	assert.Equal(t, "253-255 (3)", spanText(r.Streams[0]))
}

func TestCrashRecovery(t *testing.T) {
	s := newSite(t, "siem")
	s.start()
	require.NoError(t, s.send(30))
	s.crash()
	s.start()
	require.NoError(t, s.send(30))
	s.stop()
	lines := s.output()
	i := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "cp:kind:recover") })
	require.Equal(t, 31, i, "after a crash the stream goes on with a recover checkpoint")
	r := verify(t, lines, time.Now(), keyA)
	require.False(t, r.Failed())
}

func TestRefusedBatchIsVoid(t *testing.T) {
	s := newSite(t, "siem")
	s.start()
	require.NoError(t, s.send(30))
	s.refuse = true
	require.Error(t, s.send(20)) // numbers 32..51 are stamped, the queue refuses them
	s.refuse = false
	require.NoError(t, s.send(30))
	s.stop()
	lines := s.output()
	r := verify(t, lines, time.Now(), keyA)
	require.False(t, r.Failed())
	require.Len(t, r.Streams[0].Void, 1)

	// Without the checkpoint that declares them void, they are a gap.
	lines = slices.DeleteFunc(lines, func(l string) bool { return strings.Contains(l, "void:") })
	r = verify(t, lines, time.Now(), keyA)
	require.True(t, r.Failed())
}

func TestKeyRotated(t *testing.T) {
	s := newSite(t, "siem")
	first := runSite(t, s)
	s.cfg.KeyFile = writeKey(t, t.TempDir(), "key2", keyB)
	second := runSite(t, s)[len(first):]
	all := append(first, second...)
	idA, idB := integrity.KeyID([]byte(keyA)), integrity.KeyID([]byte(keyB))
	assert.Contains(t, first[0], "key:"+idA)
	assert.Contains(t, second[0], "key:"+idB)

	r := verify(t, all, time.Now(), keyA, keyB)
	require.False(t, r.Failed())
	assert.Equal(t, sorted([]string{idA, idB}), r.Streams[0].Keys)

	// Without the new key the records after the rotation cannot be checked.
	r = verify(t, all, time.Now(), keyA)
	require.True(t, r.Failed())
	assert.Equal(t, []string{idB}, r.Streams[0].UnknownKeys)

	// The wrong key for a key id proves nothing: every record fails.
	v := &integrity.Verifier{Keys: map[string][]byte{idA: []byte(keyB)}}
	for _, l := range first {
		v.Add([]byte(l))
	}
	assert.Zero(t, v.Report().Streams[0].Verified)
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }

// The MAC covers the CEF payload only: a receiver that rewrites the syslog header (rsyslog's file
// format, RFC 3164) does not break it.
func TestHeaderRewrittenByTheReceiver(t *testing.T) {
	lines, _ := cleanRun(t)
	re := regexp.MustCompile(`^<\d+>1 \S+ (\S+) (\S+) \S+ \S+ (?:-|\[.*?\]) `)
	for i, l := range lines {
		m := re.FindStringSubmatch(l)
		require.NotNil(t, m, l)
		lines[i] = "Dec  6 10:00:00 " + m[1] + " " + m[2] + ": " + l[len(m[0]):]
	}
	r := verify(t, lines, time.Now(), keyA)
	require.False(t, r.Failed())
}

func TestJSONAndSplunkExport(t *testing.T) {
	s := newSite(t, "hec")
	s.json, s.header = true, false
	lines := runSite(t, s)
	for _, l := range lines {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), "a stamped JSON record stays a JSON object: %s", l)
		require.Contains(t, m, "otsec.integrity.mac")
	}
	r := verify(t, lines, time.Now(), keyA)
	require.False(t, r.Failed())

	// Splunk's JSON export keeps the event text as result._raw.
	export := make([]string, len(lines))
	for i, l := range lines {
		b, err := json.Marshal(map[string]any{"preview": false, "result": map[string]any{"_raw": l, "host": "x"}})
		require.NoError(t, err)
		export[i] = string(b)
	}
	r = verify(t, export, time.Now(), keyA)
	require.False(t, r.Failed())

	export[7] = strings.Replace(export[7], "operator-", "operator-9", 1)
	r = verify(t, export, time.Now(), keyA)
	require.True(t, r.Failed())
	assert.Len(t, r.Streams[0].Altered, 1)
}

func TestNoCheckpointIsUnjudged(t *testing.T) {
	lines, _ := cleanRun(t)
	lines = slices.DeleteFunc(lines, func(l string) bool { return strings.Contains(l, " cp:kind:") })
	r := verify(t, lines, time.Now(), keyA)
	require.True(t, r.Failed())
	assert.True(t, r.Streams[0].NoCheckpt)
}

// An export that starts in the middle of a stream: what precedes it cannot be known, the rest
// checks from the first checkpoint on.
func TestExportWindowStartsMidStream(t *testing.T) {
	lines, _ := cleanRun(t)
	r := verify(t, lines[150:], time.Now(), keyA)
	require.False(t, r.Failed())
	s := r.Streams[0]
	assert.Equal(t, uint64(150), s.Before)
	assert.Len(t, s.Unverifiable, 1, "only the first record, whose predecessor is outside the export")
	var b strings.Builder
	_, _ = r.WriteTo(&b)
	assert.Contains(t, b.String(), fmt.Sprintf("cannot know: numbers 1..%d precede this export", 150))
}

// Checkpoints come every checkpoint_interval also when no event flows (a heartbeat that makes a
// cut tail visible).
func TestIdleCheckpoints(t *testing.T) {
	s := newSite(t, "siem")
	s.cfg.CheckpointInterval = 20 * time.Millisecond
	s.start()
	require.Eventually(t, func() bool { return len(s.output()) >= 3 }, 5*time.Second, 5*time.Millisecond)
	s.stop()
	lines := s.output()
	assert.Contains(t, lines[0], "cp:kind:start,")
	assert.Contains(t, lines[1], "cp:kind:periodic,records:1,")
	assert.Contains(t, lines[len(lines)-1], "cp:kind:final,")
	require.False(t, verify(t, lines, time.Now(), keyA).Failed())
}

// The queue refuses the final checkpoint at shutdown: its number is stated as void at the next
// start, so it does not show as a gap.
func TestRefusedFinalCheckpoint(t *testing.T) {
	s := newSite(t, "siem")
	s.start()
	require.NoError(t, s.send(10))
	s.refuse = true
	s.stop()
	s.refuse = false
	s.start()
	require.NoError(t, s.send(10))
	s.stop()
	lines := s.output()
	i := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "cp:kind:resume") })
	require.Positive(t, i)
	assert.Contains(t, lines[i], ",void:12-12,")
	r := verify(t, lines, time.Now(), keyA)
	require.False(t, r.Failed())
	assert.Len(t, r.Streams[0].Void, 1)
}

// A crash while a batch is being queued: its numbers were written ahead but never confirmed. The
// recover checkpoint states them; the verifier reports them as unconfirmed, not as a gap.
func TestCrashDuringEnqueue(t *testing.T) {
	s := newSite(t, "siem")
	s.start()
	require.NoError(t, s.send(10))
	release := s.crashWhileQueueing(5, 16)
	require.NoError(t, s.send(10))
	s.stop()
	release()

	lines := s.output()
	i := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "cp:kind:recover") })
	require.Equal(t, 11, i)
	assert.Contains(t, lines[i], ",unconfirmed:12-16,")
	r := verify(t, lines, time.Now(), keyA)
	require.False(t, r.Failed())
	assert.Equal(t, "12-16 (5)", strings.TrimSpace(regexp.MustCompile(`unconfirmed before a crash.*: (.*)`).FindStringSubmatch(reportText(r))[1]))
}

func reportText(r *integrity.Report) string {
	var b strings.Builder
	_, _ = r.WriteTo(&b)
	return b.String()
}

// JSON behind an RFC 5424 header (cef_syslog format json), and the header rewritten by a receiver.
func TestJSONWithSyslogHeader(t *testing.T) {
	s := newSite(t, "json")
	s.json = true
	lines := runSite(t, s)
	require.Contains(t, lines[1], `- authentication - {"`)
	require.False(t, verify(t, lines, time.Now(), keyA).Failed())
	for i, l := range lines {
		lines[i] = "Dec  6 10:00:00 plc-gw-1 otelcol-siem: " + l[strings.Index(l, " - {")+3:]
	}
	require.False(t, verify(t, lines, time.Now(), keyA).Failed())
}

// The real stamp is the last marker of either kind: a JSON record whose text quotes the CEF
// stamp's marker, even a whole forged CEF stamp, is split at its JSON stamp, and a CEF record that
// quotes a JSON stamp at its CEF stamp.
func TestQuotedStampOfTheOtherKind(t *testing.T) {
	mac := strings.Repeat("ab", 32)
	keyID := integrity.KeyID([]byte(keyA))
	for _, tc := range []struct {
		name   string
		json   bool
		forged string
		kind   integrity.Kind
	}{
		{"json quoting cef", true, " flexString1Label=otsecIntegrityStream flexString1=forged flexNumber1Label=otsecIntegritySeq flexNumber1=7 flexString2Label=otsecIntegrity flexString2=key:" + keyID + " mac:" + mac, integrity.KindJSON},
		{"cef quoting json", false, `"otsec.integrity.stream":"forged","otsec.integrity.seq":7,"otsec.integrity.key":"` + keyID + `","otsec.integrity.mac":"` + mac + `"}`, integrity.KindCEF},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t, "quote")
			s.json = tc.json
			s.header = !tc.json
			s.start()
			ld := eventsLogs(s, 3)
			ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(1).Body().SetStr("user typed" + tc.forged)
			require.NoError(t, s.logs.ConsumeLogs(context.Background(), ld))
			s.stop()
			lines := s.output()
			i := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, tc.forged) })
			require.Positive(t, i, "the record keeps the quoted stamp verbatim: %v", lines)

			payload, st, ok, err := integrity.Split([]byte(lines[i]))
			require.True(t, ok)
			require.NoError(t, err)
			assert.Equal(t, tc.kind, st.Kind)
			assert.NotEqual(t, "forged", st.Stream)
			assert.Equal(t, uint64(i+1), st.Seq)
			assert.NotEqual(t, mac, st.MAC.String())
			assert.Contains(t, string(payload), tc.forged, "the quoted stamp is payload")

			r := verify(t, lines, time.Now(), keyA)
			require.False(t, r.Failed())
			require.Len(t, r.Streams, 1)
			assert.Equal(t, len(lines), r.Streams[0].Verified)
		})
	}
}

// security_webhook sends an event too large for max_content_length as a JSON string of its text,
// cut, with the stamp inside the string: the verifier reads such a line as the string's text.
func TestCutEventIsAJSONString(t *testing.T) {
	s := newSite(t, "webhook")
	s.json, s.header, s.cut = true, false, 200
	lines := runSite(t, s)
	var cut []int
	for i, l := range lines {
		if !strings.HasPrefix(l, `"`) {
			continue
		}
		var text string
		require.NoError(t, json.Unmarshal([]byte(l), &text), "a cut event stays a JSON string: %s", l)
		require.Contains(t, text, `"otsec.integrity.mac":"`)
		cut = append(cut, i)
	}
	require.Len(t, cut, len(lines), "every record is longer than 200 bytes")
	r := verify(t, lines, time.Now(), keyA)
	require.False(t, r.Failed())
	assert.Equal(t, len(lines), r.Streams[0].Verified)

	// A byte changed inside a cut event.
	i := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "operator-30") })
	require.Positive(t, i)
	lines[i] = strings.Replace(lines[i], "operator-30", "operator-31", 1)
	r = verify(t, lines, time.Now(), keyA)
	require.True(t, r.Failed())
	assert.Equal(t, []int{i + 1}, r.Streams[0].Altered)
}

// Line numbers count blank lines and restart in each input; with several inputs the report names
// the file.
func TestLineNumbersPerFile(t *testing.T) {
	lines, _ := cleanRun(t)
	alter := func(i int) {
		lines[i] = strings.Replace(lines[i], "suser=operator-", "suser=admin-", 1)
	}
	alter(20)  // a.log line 21
	alter(120) // b.log line 2+21
	keys := map[string][]byte{integrity.KeyID([]byte(keyA)): []byte(keyA)}

	v := &integrity.Verifier{Keys: keys}
	v.File("a.log")
	for _, l := range lines[:100] {
		v.Add([]byte(l + "\n"))
	}
	v.File("b.log")
	v.Add([]byte("\n"))
	v.Add([]byte("  \r\n"))
	for _, l := range lines[100:] {
		v.Add([]byte(l + "\n"))
	}
	r := v.Report()
	assert.Equal(t, 254, r.Lines, "blank lines are not records")
	assert.Equal(t, []int{21, 123}, r.Streams[0].Altered, "numbers across the inputs")
	assert.Contains(t, reportText(r), "FAIL altered records (MAC mismatch): 2, lines a.log:21, b.log:23\n")

	// One input: its line numbers, blank lines counted, no name.
	v = &integrity.Verifier{Keys: keys}
	v.File("export.log")
	v.Add([]byte("\n"))
	for _, l := range lines {
		v.Add([]byte(l))
	}
	r = v.Report()
	assert.Equal(t, []int{22, 122}, r.Streams[0].Altered)
	assert.Contains(t, reportText(r), "lines 22, 122\n")
}

// A checkpoint that states void numbers rides in a batch the queue refuses: its statement never
// reaches the SIEM, so the numbers it declared void must be stated again by a later checkpoint.
func TestRefusedCheckpointRestatesVoid(t *testing.T) {
	s := newSite(t, "siem")
	s.cfg.CheckpointRecords = 60
	s.start()
	require.NoError(t, s.send(30)) // the start checkpoint, then 30 records
	s.refuse = true
	require.Error(t, s.send(20)) // 32..51 void
	require.Error(t, s.send(20)) // the periodic checkpoint stating 32..51 falls in here: refused too
	s.refuse = false
	require.NoError(t, s.send(50))
	s.stop()
	lines := s.output()
	require.Equal(t, 1, countContaining(lines, "void:32-"), "one checkpoint that reached the SIEM states the first void numbers")
	r := verify(t, lines, time.Now(), keyA)
	require.False(t, r.Failed(), "gaps %v", r.Streams[0].Gaps)
}

// More refused batches between two checkpoints than one statement holds: none of their numbers
// may turn into a gap.
func TestManyRefusedBatchesStayVoid(t *testing.T) {
	s := newSite(t, "siem")
	s.cfg.CheckpointRecords = 100000
	s.start()
	for range 150 {
		s.refuse = true
		require.Error(t, s.send(1))
		s.refuse = false
		require.NoError(t, s.send(1))
	}
	s.stop()
	lines := s.output()
	r := verify(t, lines, time.Now(), keyA)
	require.False(t, r.Failed(), "gaps %v", r.Streams[0].Gaps)
	// The first refused batch held the start checkpoint: numbers before the first record the
	// export holds are not checked, so 149 of the 150 refused batches show as void.
	require.Len(t, r.Streams[0].Void, 149)
	for _, l := range lines {
		if i := strings.Index(l, "cp:kind:"); i >= 0 {
			require.LessOrEqual(t, len(l[i:]), 600, "a checkpoint statement stays short: %s", l[i:])
		}
	}
}

func countContaining(lines []string, sub string) int {
	n := 0
	for _, l := range lines {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}

// A crash while the batch holding a checkpoint that states void numbers is being queued: the
// saved state still holds those numbers, so the recover checkpoint states them again.
func TestCrashWhileVoidStatementIsQueued(t *testing.T) {
	s := newSite(t, "siem")
	s.cfg.CheckpointRecords = 60
	s.start()
	require.NoError(t, s.send(30)) // 1..31
	s.refuse = true
	require.Error(t, s.send(20)) // 32..51 void
	s.refuse = false
	// 52..61, the periodic checkpoint stating 32..51 at 62, then 63..72.
	release := s.crashWhileQueueing(20, 72)
	require.NoError(t, s.send(10))
	s.stop()
	release()

	lines := s.output()
	r := verify(t, lines, time.Now(), keyA)
	require.False(t, r.Failed(), "gaps %v", r.Streams[0].Gaps)
}
