package integrity

import (
	"bytes"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Verifier checks stored records (what a SIEM exported) against the keys: per stream it finds
// gaps, duplicates, reordering, altered and inserted records and a cut tail. Add every line, then
// call Report.
type Verifier struct {
	// Keys by key id (KeyID).
	Keys map[string][]byte
	// Until is the end of the export's time window: a stream whose last checkpoint said the next
	// was due before Until-Slack has lost its tail. Zero skips that check.
	Until time.Time
	Slack time.Duration

	macs    map[string]*macer
	streams map[string]*stream
	order   []string
	lines   int // lines with text
	pos     int // lines added, blank ones included: the number of the last one
	files   []InputFile
	// Unstamped counts lines without integrity fields; Malformed lines whose fields are unreadable.
	unstamped, malformed []int
}

type stream struct {
	id      string
	entries []*entry
}

type entry struct {
	Stamp
	line       int
	candidates [][]byte // possible MAC-covered payloads (a syslog header may hide the start)
	cp         statement
	status     status
}

type status int

// The zero value is no verdict: verifyStream sets one on every entry.
const (
	stValid status = iota + 1
	stInvalid
	stUnverifiable // no chain value to check against (follows a gap, or first of the export)
	stUnknownKey
)

// statement is a checkpoint's statement, parsed.
type statement struct {
	ok          bool
	kind        string
	records     uint64
	prev        Chain
	time, due   int64
	unconfirmed Span
	void        []Span
	exporter    string
}

func parseStatement(s string) statement {
	st := statement{}
	if s == "" {
		return st
	}
	var errs int
	for f := range strings.SplitSeq(s, ",") {
		k, v, _ := strings.Cut(f, ":")
		var err error
		switch k {
		case "kind":
			st.kind = v
		case "records":
			st.records, err = strconv.ParseUint(v, 10, 64)
		case "prev":
			st.prev, err = ParseChain(v)
		case "time":
			st.time, err = strconv.ParseInt(v, 10, 64)
		case "due":
			st.due, err = strconv.ParseInt(v, 10, 64)
		case "unconfirmed":
			st.unconfirmed, err = parseSpan(v)
		case "void":
			for p := range strings.SplitSeq(v, ";") {
				sp, e := parseSpan(p)
				if e != nil {
					err = e
				}
				st.void = append(st.void, sp)
			}
		case "exporter":
			st.exporter = v
		}
		if err != nil {
			errs++
		}
	}
	st.ok = errs == 0 && st.kind != ""
	return st
}

func parseSpan(s string) (Span, error) {
	a, b, _ := strings.Cut(s, "-")
	from, err1 := strconv.ParseUint(a, 10, 64)
	to, err2 := strconv.ParseUint(b, 10, 64)
	if err1 != nil || err2 != nil || from > to {
		return Span{}, fmt.Errorf("bad range %q", s)
	}
	return Span{from, to}, nil
}

// InputFile is where one input's lines start among the lines added (File).
type InputFile struct {
	Name string
	// Start is the number of lines added before the file's first one.
	Start int
}

// File starts the lines of another input named name: the report numbers lines within their file
// and, when there are several, names it.
func (v *Verifier) File(name string) {
	v.files = append(v.files, InputFile{Name: name, Start: v.pos})
}

// Add reads one exported line: a CEF or JSON record with or without a syslog header, or a line
// of Splunk's JSON export ({"result":{"_raw":...}}, {"_raw":...}) or a HEC request ({"event":...}).
// Blank lines are not records, but they count in line numbers.
func (v *Verifier) Add(line []byte) {
	v.pos++
	n := v.pos
	line = bytes.TrimRight(line, "\r\n")
	if len(bytes.TrimSpace(line)) == 0 {
		return
	}
	v.lines++
	text := unwrapJSON(line)
	payload, s, ok, err := Split(text)
	if !ok {
		v.unstamped = append(v.unstamped, n)
		return
	}
	if err != nil {
		v.malformed = append(v.malformed, n)
		return
	}
	e := &entry{Stamp: s, line: n, cp: parseStatement(s.Checkpoint)}
	e.candidates = candidates(payload, s.Kind)
	if v.streams == nil {
		v.streams = map[string]*stream{}
	}
	st := v.streams[s.Stream]
	if st == nil {
		st = &stream{id: s.Stream}
		v.streams[s.Stream] = st
		v.order = append(v.order, s.Stream)
	}
	st.entries = append(st.entries, e)
}

// unwrapJSON returns the record a JSON export line holds, or line itself: a stamped JSON record
// is itself; a JSON string (an event cut to fit, as security_webhook sends it) its text; Splunk's
// export keeps the event as result._raw or _raw; a HEC request as event; an rsyslog or syslog-ng
// JSON template as raw, rawmsg, msg or message.
func unwrapJSON(line []byte) []byte {
	t := bytes.TrimSpace(line)
	if len(t) > 0 && t[0] == '"' {
		if text, ok := stampedText(t); ok {
			return text
		}
		return line
	}
	if len(t) == 0 || t[0] != '{' {
		return line
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(t, &top) != nil {
		return line
	}
	if _, ok := top["otsec.integrity.stream"]; ok {
		return line
	}
	if r, ok := top["result"]; ok {
		var res map[string]json.RawMessage
		if json.Unmarshal(r, &res) == nil {
			if text, ok := stampedText(res["_raw"]); ok {
				return text
			}
		}
	}
	for _, k := range []string{"_raw", "event", "raw", "rawmsg", "msg", "message"} {
		if text, ok := stampedText(top[k]); ok {
			return text
		}
	}
	return line
}

// stampedText returns v's text (a JSON string's, or a JSON object's own) when it holds a stamp.
func stampedText(v json.RawMessage) ([]byte, bool) {
	if len(v) == 0 {
		return nil, false
	}
	text := []byte(v)
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return nil, false
		}
		text = []byte(s)
	}
	if bytes.Contains(text, []byte(cefMarker)) || bytes.Contains(text, []byte(jsonMarker)) {
		return text, true
	}
	return nil, false
}

// maxCandidates bounds the payload starts tried per record.
const maxCandidates = 16

// candidates returns the possible MAC-covered payloads of a record's text before its stamp: from
// each "CEF:" (a CEF stamp) or each '{' (JSON) on. A syslog header rewritten by the receiver is
// skipped this way; the MAC decides which start is the payload.
func candidates(before []byte, kind Kind) [][]byte {
	var out [][]byte
	sep := []byte("CEF:")
	if kind == KindJSON {
		sep = []byte("{")
	}
	for i := 0; i < len(before) && len(out) < maxCandidates; {
		j := bytes.Index(before[i:], sep)
		if j < 0 {
			break
		}
		out = append(out, before[i+j:])
		i += j + 1
	}
	if len(out) == 0 {
		out = append(out, before)
	}
	return out
}

func (v *Verifier) check(e *entry, prev Chain) bool {
	key, ok := v.Keys[e.KeyID]
	if !ok {
		return false
	}
	if v.macs == nil {
		v.macs = map[string]*macer{}
	}
	h := v.macs[e.KeyID]
	if h == nil {
		h = newMacer(key)
		v.macs[e.KeyID] = h
	}
	for _, c := range e.candidates {
		m := h.Mac(prev, &e.Stamp, c)
		if hmac.Equal(m[:], e.MAC[:]) {
			return true
		}
	}
	return false
}

// StreamReport is what the verifier found in one stream.
type StreamReport struct {
	Stream   string
	Exporter string // from its checkpoints
	Records  int    // lines of this stream checked
	Verified int
	First    uint64
	Last     uint64
	// Problems (each makes the run fail). Line numbers ([]int) count every line added
	// (Verifier.Add), blank ones included; with several inputs (Verifier.File), Report.Files maps
	// them to a file and a line in it.
	Gaps        []Span
	Altered     []int
	Inserted    []int
	Forks       []uint64 // numbers carried by two different valid records
	UnknownKeys []string
	BadCheckpts []int
	TailCut     string
	NoCheckpt   bool
	// Allowed, or what cannot be known.
	Duplicates   int
	Reordered    int
	Void         []Span
	Unconfirmed  []Span
	Unverifiable []int // line numbers: no chain value to check them against
	Before       uint64
	Tail         string
	Keys         []string
}

// Failed reports whether the stream shows loss, tampering or insertion.
func (r *StreamReport) Failed() bool {
	return len(r.Gaps) > 0 || len(r.Altered) > 0 || len(r.Inserted) > 0 || len(r.Forks) > 0 ||
		len(r.UnknownKeys) > 0 || len(r.BadCheckpts) > 0 || r.TailCut != "" || r.NoCheckpt
}

// Report is the verifier's result.
type Report struct {
	Lines     int // lines with text
	Streams   []*StreamReport
	Unstamped []int // line numbers (StreamReport.Altered)
	Malformed []int
	// Files are the inputs, when Verifier.File named them.
	Files []InputFile
}

// Failed reports whether anything but duplicates and reordering was found.
func (r *Report) Failed() bool {
	if len(r.Unstamped) > 0 || len(r.Malformed) > 0 || len(r.Streams) == 0 {
		return true
	}
	for _, s := range r.Streams {
		if s.Failed() {
			return true
		}
	}
	return false
}

// Report checks every stream added so far.
func (v *Verifier) Report() *Report {
	r := &Report{Lines: v.lines, Unstamped: v.unstamped, Malformed: v.malformed, Files: v.files}
	for _, id := range v.order {
		r.Streams = append(r.Streams, v.verifyStream(v.streams[id]))
	}
	return r
}

func (v *Verifier) verifyStream(st *stream) *StreamReport {
	rep := &StreamReport{Stream: st.id, Records: len(st.entries)}
	// Reordering: a record behind one with a higher number, in the order the export lists them.
	var maxSeen uint64
	for _, e := range st.entries {
		if e.Seq < maxSeen {
			rep.Reordered++
		}
		maxSeen = max(maxSeen, e.Seq)
	}
	bySeq := map[uint64][]*entry{}
	var seqs []uint64
	keys := map[string]bool{}
	for _, e := range st.entries {
		if bySeq[e.Seq] == nil {
			seqs = append(seqs, e.Seq)
		}
		bySeq[e.Seq] = append(bySeq[e.Seq], e)
		keys[e.KeyID] = true
	}
	for k := range keys {
		rep.Keys = append(rep.Keys, k)
		if _, ok := v.Keys[k]; !ok {
			rep.UnknownKeys = append(rep.UnknownKeys, k)
		}
	}
	slices.Sort(rep.Keys)
	slices.Sort(rep.UnknownKeys)
	slices.Sort(seqs)
	rep.First, rep.Last = seqs[0], seqs[len(seqs)-1]
	if rep.First > 1 {
		rep.Before = rep.First - 1
	}

	var lastCP *entry
	var voids, unconfirmed []Span
	for _, n := range seqs {
		es := bySeq[n]
		prevs := []Chain{}
		if n == 1 {
			prevs = append(prevs, Chain{})
		} else {
			// Every value the predecessors state: an altered record still carries the genuine
			// value, and a record that checks against a value proves that value genuine.
			for _, p := range bySeq[n-1] {
				if !slices.Contains(prevs, p.MAC) {
					prevs = append(prevs, p.MAC)
				}
			}
		}
		var valid []*entry
		for _, e := range es {
			switch {
			case v.Keys[e.KeyID] == nil:
				e.status = stUnknownKey
			case e.Checkpoint != "":
				// A checkpoint states its predecessor's chain value: it checks on its own.
				e.status = stInvalid
				if e.cp.ok && v.check(e, e.cp.prev) {
					e.status = stValid
				}
			case len(prevs) == 0:
				e.status = stUnverifiable
			default:
				e.status = stInvalid
				for _, p := range prevs {
					if v.check(e, p) {
						e.status = stValid
						break
					}
				}
			}
			if e.status == stValid {
				valid = append(valid, e)
			}
		}
		distinct := map[Chain]bool{}
		for _, e := range valid {
			distinct[e.MAC] = true
		}
		rep.Duplicates += len(valid) - len(distinct)
		if len(distinct) > 1 {
			rep.Forks = append(rep.Forks, n)
		}
		for _, e := range es {
			switch e.status {
			case stValid:
				rep.Verified++
			case stUnverifiable:
				rep.Unverifiable = append(rep.Unverifiable, e.line)
			case stInvalid:
				if len(valid) > 0 {
					rep.Inserted = append(rep.Inserted, e.line)
				} else {
					rep.Altered = append(rep.Altered, e.line)
				}
			}
		}
		for _, e := range valid {
			if e.Checkpoint == "" {
				continue
			}
			if e.cp.records != n-1 {
				rep.BadCheckpts = append(rep.BadCheckpts, e.line)
			}
			// The stated chain must be the one its predecessor carries.
			if pe := bySeq[n-1]; len(pe) > 0 && !slices.ContainsFunc(pe, func(p *entry) bool { return p.MAC == e.cp.prev }) {
				rep.Forks = append(rep.Forks, n)
			}
			if e.cp.exporter != "" {
				rep.Exporter = e.cp.exporter
			}
			voids = append(voids, e.cp.void...)
			if e.cp.unconfirmed.To > 0 {
				unconfirmed = append(unconfirmed, e.cp.unconfirmed)
			}
			lastCP = e
		}
	}

	// Missing numbers between the first and the last seen.
	for i := 1; i < len(seqs); i++ {
		if seqs[i] == seqs[i-1]+1 {
			continue
		}
		missing := Span{seqs[i-1] + 1, seqs[i] - 1}
		for _, m := range subtract(missing, voids) {
			rep.Gaps = append(rep.Gaps, subtract(m, unconfirmed)...)
			rep.Unconfirmed = append(rep.Unconfirmed, intersect(m, unconfirmed)...)
		}
		rep.Void = append(rep.Void, intersect(missing, voids)...)
	}

	switch {
	case lastCP == nil:
		rep.NoCheckpt = true
		rep.Tail = "no valid checkpoint seen: the stream's completeness cannot be judged"
	case lastCP.cp.kind == CheckpointFinal && lastCP.Seq == rep.Last:
		rep.Tail = fmt.Sprintf("closed by the final checkpoint at %d (clean shutdown)", lastCP.Seq)
	default:
		after := rep.Last - lastCP.Seq
		due := time.Unix(lastCP.cp.due, 0).UTC()
		rep.Tail = fmt.Sprintf("last checkpoint at %d (%s, %s); %d numbers after it are not covered by a checkpoint; the next was due by %s",
			lastCP.Seq, lastCP.cp.kind, time.Unix(lastCP.cp.time, 0).UTC().Format(time.RFC3339), after, due.Format(time.RFC3339))
		if lastCP.cp.due == 0 {
			rep.TailCut = fmt.Sprintf("the final checkpoint at %d is followed by records no valid checkpoint covers", lastCP.Seq)
		} else if !v.Until.IsZero() && due.Add(v.Slack).Before(v.Until) {
			rep.TailCut = fmt.Sprintf("no checkpoint after %d although one was due by %s (export until %s): records after it were cut, or not delivered yet",
				lastCP.Seq, due.Format(time.RFC3339), v.Until.UTC().Format(time.RFC3339))
		}
	}
	return rep
}

// subtract returns the parts of s outside every Span of cover.
func subtract(s Span, cover []Span) []Span {
	out := []Span{s}
	for _, c := range cover {
		var next []Span
		for _, o := range out {
			if c.To < o.From || c.From > o.To {
				next = append(next, o)
				continue
			}
			if o.From < c.From {
				next = append(next, Span{o.From, c.From - 1})
			}
			if o.To > c.To {
				next = append(next, Span{c.To + 1, o.To})
			}
		}
		out = next
	}
	return out
}

// intersect returns the parts of s inside spans of cover.
func intersect(s Span, cover []Span) []Span {
	var out []Span
	for _, c := range cover {
		if lo, hi := max(s.From, c.From), min(s.To, c.To); lo <= hi {
			out = append(out, Span{lo, hi})
		}
	}
	return out
}

func spans(ss []Span) string {
	var b strings.Builder
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		if s.From == s.To {
			b.WriteString(strconv.FormatUint(s.From, 10))
		} else {
			b.WriteString(s.String())
		}
		fmt.Fprintf(&b, " (%d)", s.To-s.From+1)
	}
	return b.String()
}

// lines names the lines ls: their numbers, within their file, named when there are several.
func (r *Report) lines(ls []int) string {
	const show = 20
	var parts []string
	for i, l := range ls {
		if i == show {
			parts = append(parts, fmt.Sprintf("... (%d in all)", len(ls)))
			break
		}
		parts = append(parts, r.line(l))
	}
	return "lines " + strings.Join(parts, ", ")
}

// line names line n: its number in its file, after the file's name when there are several.
func (r *Report) line(n int) string {
	var f *InputFile
	for i := range r.Files {
		if r.Files[i].Start < n {
			f = &r.Files[i]
		}
	}
	if f == nil {
		return strconv.Itoa(n)
	}
	if len(r.Files) == 1 {
		return strconv.Itoa(n - f.Start)
	}
	return f.Name + ":" + strconv.Itoa(n-f.Start)
}

// WriteTo writes the report for a person.
func (r *Report) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "lines read: %d, streams: %d\n", r.Lines, len(r.Streams))
	if len(r.Unstamped) > 0 {
		fmt.Fprintf(&b, "FAIL lines without integrity fields: %d (%s): not from an integrity-enabled exporter, or stripped or forged\n", len(r.Unstamped), r.lines(r.Unstamped))
	}
	if len(r.Malformed) > 0 {
		fmt.Fprintf(&b, "FAIL lines with unreadable integrity fields: %d (%s)\n", len(r.Malformed), r.lines(r.Malformed))
	}
	for _, s := range r.Streams {
		verdict := "OK"
		if s.Failed() {
			verdict = "FAIL"
		}
		fmt.Fprintf(&b, "\nstream %s", s.Stream)
		if s.Exporter != "" {
			fmt.Fprintf(&b, " (exporter %s)", s.Exporter)
		}
		fmt.Fprintf(&b, ": %s\n", verdict)
		fmt.Fprintf(&b, "  records checked: %d (verified %d), sequence %d..%d, key ids %s\n", s.Records, s.Verified, s.First, s.Last, strings.Join(s.Keys, " "))
		if len(s.Gaps) > 0 {
			fmt.Fprintf(&b, "  FAIL gaps (missing sequence numbers): %s\n", spans(s.Gaps))
		}
		if len(s.Altered) > 0 {
			fmt.Fprintf(&b, "  FAIL altered records (MAC mismatch): %d, %s\n", len(s.Altered), r.lines(s.Altered))
		}
		if len(s.Inserted) > 0 {
			fmt.Fprintf(&b, "  FAIL inserted records (MAC mismatch beside a valid record of the same number): %d, %s\n", len(s.Inserted), r.lines(s.Inserted))
		}
		if len(s.Forks) > 0 {
			fmt.Fprintf(&b, "  FAIL forked chain (two valid records or a checkpoint disagree) at numbers %v\n", s.Forks)
		}
		if len(s.UnknownKeys) > 0 {
			fmt.Fprintf(&b, "  FAIL records under key ids no key was given for: %s\n", strings.Join(s.UnknownKeys, " "))
		}
		if len(s.BadCheckpts) > 0 {
			fmt.Fprintf(&b, "  FAIL checkpoints whose record count disagrees with their number: %s\n", r.lines(s.BadCheckpts))
		}
		if s.TailCut != "" {
			fmt.Fprintf(&b, "  FAIL tail: %s\n", s.TailCut)
		}
		if s.NoCheckpt {
			fmt.Fprintf(&b, "  FAIL %s\n", s.Tail)
		} else {
			fmt.Fprintf(&b, "  tail: %s\n", s.Tail)
		}
		fmt.Fprintf(&b, "  duplicates (allowed, at-least-once delivery): %d\n", s.Duplicates)
		fmt.Fprintf(&b, "  reordered (allowed): %d\n", s.Reordered)
		if len(s.Void) > 0 {
			fmt.Fprintf(&b, "  void numbers (the queue refused their batch; the sender was told to retry): %s\n", spans(s.Void))
		}
		if len(s.Unconfirmed) > 0 {
			fmt.Fprintf(&b, "  unconfirmed before a crash (reserved, queueing not confirmed; not proven lost): %s\n", spans(s.Unconfirmed))
		}
		if s.Before > 0 {
			fmt.Fprintf(&b, "  cannot know: numbers 1..%d precede this export; whether the SIEM holds them is not checked here\n", s.Before)
		}
		if len(s.Unverifiable) > 0 {
			fmt.Fprintf(&b, "  cannot know: %d records have no predecessor in the export to check their chain value against (%s)\n", len(s.Unverifiable), r.lines(s.Unverifiable))
		}
	}
	verdict := "PASS"
	if r.Failed() {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "\nresult: %s\n", verdict)
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}
