//go:build e2e

package e2e

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io/fs"
	mathrand "math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/unified-ot/otelcol-siem/internal/testcollector"
	"github.com/unified-ot/otelcol-siem/internal/testpeers"
)

// The persistent queue's storage is this repository's queue_storage extension: one folder
// <dir>/<client>.qlog/ of checksummed segment files NNNNNNNNNNNNNNNN.seg per storage client.
const (
	// qsSegmentOverride makes segments small, so that a few thousand events span several files.
	qsSegmentOverride = "yaml:extensions::queue_storage::segment_size: 256KiB"
	// qsQueueClient is the storage client of cef_syslog/siem's persistent queue (file_storage's
	// file name for the same client, which queue_storage keeps for its folder).
	qsQueueClient = "exporter_cef_syslog_siem_logs"
	// qsDamagedMsg is the error line queue_storage logs when it opens a client with damaged data.
	qsDamagedMsg = "queue storage: damaged data found; intact records kept, damaged files moved aside"
)

// qsSiteConfig is the repository's site config followed by overrides.
func qsSiteConfig(overrides ...string) []string {
	return append([]string{testcollector.RepoRoot() + "/otelcol-config.yaml"}, overrides...)
}

// qsSyslogEnv sends cef_syslog/siem to rsyslog over TLS.
func qsSyslogEnv(rs *testpeers.Rsyslog, certs *testpeers.Certs) map[string]string {
	return map[string]string{
		"OTELCOL_SIEM_EXPORTERS":        "[cef_syslog/siem]",
		"OTELCOL_SIEM_SYSLOG_TRANSPORT": "tls",
		"OTELCOL_SIEM_SYSLOG_ENDPOINT":  rs.TLSAddr,
		"OTELCOL_SIEM_SYSLOG_CA_FILE":   certs.CAFile,
	}
}

// qsNoisyLogins are failed logins (user bob) whose bodies carry noise random bytes of their own
// (base64): cef_syslog compresses what it queues, and repeated text would shrink to almost
// nothing, so that the queue would not span several segment files (or fill a disk).
func qsNoisyLogins(prefix string, from, to int, rnd *mathrand.Rand, noise int) []testcollector.Event {
	events := zlFailedLogins(prefix, from, to, "bob", "")
	buf := make([]byte, noise)
	for i := range events {
		for j := range buf {
			buf[j] = byte(rnd.Uint32())
		}
		events[i].Body = "Failed login attempt for bob " + base64.StdEncoding.EncodeToString(buf)
	}
	return events
}

// qsSend sends events over OTLP/gRPC in requests of per events each; any refusal fails the test.
func qsSend(t *testing.T, col *testcollector.Collector, events []testcollector.Event, per int) {
	t.Helper()
	for start := 0; start < len(events); start += per {
		end := min(start+per, len(events))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := col.SendGRPC(ctx, testcollector.Logs("unified-ot-connector", events[start:end]...))
		cancel()
		if err != nil {
			t.Fatalf("send %s..%s: %v", events[start].ID, events[end-1].ID, err)
		}
	}
}

// queue_storage's counters as the binary's Prometheus endpoint names them (no _total suffix, like
// the collector's own otelcol_exporter_sent_log_records).
const (
	qsDamagedRecords  = "otelcol_queue_storage_damaged_records"
	qsImportedRecords = "otelcol_queue_storage_imported_records"
	qsRefusedWrites   = "otelcol_queue_storage_refused_writes"
	qsDeferredWrites  = "otelcol_queue_storage_deferred_writes"
)

// qsSegFiles lists the segment files of every client folder under dir (not the damaged-* ones),
// relative to dir.
func qsSegFiles(t *testing.T, dir string) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, "*.qlog", "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, m := range matches {
		r, _ := filepath.Rel(dir, m)
		rel = append(rel, r)
	}
	sort.Strings(rel)
	return rel
}

// qsDamage is one way of damaging a segment file; it returns the number of damage points.
type qsDamage struct {
	name, what string
	lost       string // which queued events the damage takes, for the row's notes
	apply      func(t *testing.T, path string, rnd *mathrand.Rand) int
}

func qsRandom(rnd *mathrand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rnd.Uint32())
	}
	return b
}

func qsFileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func qsWriteAt(t *testing.T, path string, b []byte, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

var qsDamages = []qsDamage{
	{"a_random_bytes_every_64KiB", "64 random bytes at every 64 KiB of every segment (offset 0 included: the header)",
		"events whose stored request lay on damaged bytes",
		func(t *testing.T, path string, rnd *mathrand.Rand) int {
			size := qsFileSize(t, path)
			points := 0
			for off := int64(0); off < size; off += 64 << 10 {
				qsWriteAt(t, path, qsRandom(rnd, int(min(64, size-off))), off)
				points++
			}
			return points
		}},
	{"b_cut_to_half", "every segment cut to half its size",
		"events whose stored request lay in a cut-off half (or across the cut)",
		func(t *testing.T, path string, _ *mathrand.Rand) int {
			if err := os.Truncate(path, qsFileSize(t, path)/2); err != nil {
				t.Fatal(err)
			}
			return 1
		}},
	{"c_last_4KiB_zeroed", "the last 4 KiB of every segment zero-filled",
		"events whose stored request lay on the zeroed bytes",
		func(t *testing.T, path string, _ *mathrand.Rand) int {
			size := qsFileSize(t, path)
			n := min(size, 4<<10)
			qsWriteAt(t, path, make([]byte, n), size-n)
			return 1
		}},
	{"d_random_file", "every segment replaced by random bytes of the same size",
		"every queued event: no stored byte is left intact",
		func(t *testing.T, path string, rnd *mathrand.Rand) int {
			if err := os.WriteFile(path, qsRandom(rnd, int(qsFileSize(t, path))), 0o600); err != nil {
				t.Fatal(err)
			}
			return 1
		}},
	{"e_deleted", "every segment deleted",
		"every queued event: the files are gone; the empty queue folder is reported (one error line, missing_segments 1, damaged_records 1)",
		func(t *testing.T, path string, _ *mathrand.Rand) int {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			return 1
		}},
}

// qsSettle waits until rsyslog's count stops growing: the queue is empty (queue_size 0) and the
// count has not changed for a second, or the count has not changed for 5 s, or timeout passes.
func qsSettle(t *testing.T, col *testcollector.Collector, rs *testpeers.Rsyslog, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last, since := -1, time.Now()
	for time.Now().Before(deadline) {
		n := rs.Count(t)
		if n != last {
			last, since = n, time.Now()
		}
		size, err := col.Metric("otelcol_exporter_queue_size", cefSiem)
		stable := time.Since(since)
		if (err == nil && size == 0 && stable >= time.Second) || stable >= 5*time.Second {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestQueueStorageDamaged: rsyslog (TLS) is down and cef_syslog/siem's persistent queue holds
// 6 000 events in 256 KiB segment files; the collector is SIGKILLed and every segment file under
// the storage directory is damaged, one way per subtest. Restarted on the same directory with
// rsyslog up, the collector must start (damage is never a reason not to), take and deliver new
// events, deliver every queued event whose stored request was intact, move the damaged files to a
// damaged-<time> folder, count the damage in otelcol_queue_storage_damaged_records and log one
// error line naming the client's folder. Events whose stored request lay on damaged bytes are the
// only ones allowed to be missing: each damage point of 64 bytes touches at most two stored
// requests (a request's frame is far longer than 64 bytes).
func TestQueueStorageDamaged(t *testing.T) {
	const n, perReq, after, noise = 6000, 10, 200, 100
	certs := testpeers.NewCerts(t)
	for i, dm := range qsDamages {
		t.Run(dm.name, func(t *testing.T) {
			rs := testpeers.StartRsyslog(t, certs)
			rs.Stop(t)
			opts := testcollector.Options{Configs: qsSiteConfig(qsSegmentOverride), Env: qsSyslogEnv(rs, certs)}
			col := testcollector.Start(t, opts)
			rnd := mathrand.New(mathrand.NewPCG(uint64(i), 42))
			events := qsNoisyLogins("qsd-"+dm.name[:1], 0, n, rnd, noise)
			ids := idsOf(events)
			qsSend(t, col, events, perReq)
			queued, err := col.WaitMetric(n+1, 30*time.Second, "otelcol_exporter_queue_size", cefSiem)
			if err != nil || queued != n+1 {
				t.Fatalf("queue holds %v records (%v), want %d events + 1 alert", queued, err, n)
			}
			records, _ := col.Metric("otelcol_queue_storage_records", `client="`+qsQueueClient+`"`)
			diskBytes, _ := col.Metric("otelcol_queue_storage_disk_bytes", `client="`+qsQueueClient+`"`)
			col.Kill()

			storage := col.StorageDir
			segs := qsSegFiles(t, storage)
			queueSegs := 0
			for _, s := range segs {
				if strings.HasPrefix(s, qsQueueClient+".qlog/") {
					queueSegs++
				}
			}
			// Events per stored request: the queue stores each OTLP request as the client sent it
			// (it batches after storing), so perReq; n / records (the gauge) guards that.
			perStored := perReq
			if records > 0 {
				perStored = max(perReq, (n+int(records)-1)/int(records))
			}
			t.Logf("queued %d events in %v stored records (%d events each), %v bytes; segment files: %d (%d of the queue): %v",
				n, records, perStored, diskBytes, len(segs), queueSegs, segs)
			if queueSegs < 3 {
				t.Errorf("the queue spans %d segment files, want several (segment_size 256KiB override)", queueSegs)
			}
			points := 0
			for _, s := range segs {
				points += dm.apply(t, filepath.Join(storage, s), rnd)
			}

			rs.Restart(t)
			col2 := testcollector.Start(t, testcollector.Options{Configs: opts.Configs, Env: opts.Env, StorageDir: storage})
			if !healthy(col2) {
				t.Fatalf("collector not healthy after %s", dm.what)
			}
			newEvents := zlFailedLogins("qsd-new-"+dm.name[:1], 0, after, "bob", "Failed login attempt for bob")
			qsSend(t, col2, newEvents, perReq)
			zlWaitRsyslog(t, rs, idsOf(newEvents), 90*time.Second)
			qsSettle(t, col2, rs, 60*time.Second)
			c := zlCountRsyslog(t, rs, ids)
			cNew := zlCountRsyslog(t, rs, idsOf(newEvents))

			// Counters appear once counted: with nothing damaged (e) they are absent (read as 0).
			damagedRecords, drErr := col2.Metric(qsDamagedRecords)
			damagedBytes, _ := col2.Metric("otelcol_queue_storage_damaged_bytes")
			queueDamaged, _ := col2.Metric(qsDamagedRecords, `client="`+qsQueueClient+`"`)
			out := col2.Output()
			logLine := firstLineWith(out, qsDamagedMsg)
			asideDirs, _ := filepath.Glob(filepath.Join(storage, "damaged-*"))
			var aside []string
			for _, d := range asideDirs {
				_ = filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
					if err == nil && !e.IsDir() {
						r, _ := filepath.Rel(d, p)
						aside = append(aside, r)
					}
					return nil
				})
			}
			sort.Strings(aside)
			t.Logf("after restart: %s; new events: %s; %s = %v (queue client %v), damaged_bytes %v (%v); damaged-* folders %v holding %v",
				c, cNew, qsDamagedRecords, damagedRecords, queueDamaged, damagedBytes, drErr, asideDirs, aside)
			t.Logf("damage log line: %s", logLine)

			bound := n - perStored*2*points
			var expect string
			switch dm.name[0] {
			case 'a':
				expect = fmt.Sprintf("received >= %d - %d*2*%d = %d and > 0", n, perStored, points, bound)
			case 'b':
				expect = "received > 0"
			case 'c':
				bound = n - perStored*2*len(segs)
				expect = fmt.Sprintf("received >= %d - %d*2*%d files = %d and >= half", n, perStored, len(segs), bound)
			default:
				expect = "the collector works"
			}
			zlRow(t, "8. queue_storage damaged after SIGKILL with 6 000 queued for rsyslog (TLS, down): "+dm.what+", restart with rsyslog up", c,
				fmt.Sprintf("lost = %s (%d damage points in %d segment files, %d events per stored request), not a delivery failure; expected %s; otelcol_queue_storage_damaged_records %v (damaged_bytes %v); %d of %d events sent after the restart delivered; damaged files moved aside: %d",
					dm.lost, points, len(segs), perStored, expect, damagedRecords, damagedBytes, cNew.Received, after, len(aside)))

			if !healthy(col2) {
				t.Errorf("collector not healthy after delivering")
			}
			if cNew.Lost != 0 {
				t.Errorf("events sent after the restart lost: %s; e.g. %v", cNew, cNew.Missing)
			}
			if c.Dup != 0 || cNew.Dup != 0 {
				t.Logf("duplicates: queued %d, new %d", c.Dup, cNew.Dup)
			}
			switch dm.name[0] {
			case 'a':
				if c.Received < bound || c.Received == 0 {
					t.Errorf("received %d of %d queued events, want %s", c.Received, n, expect)
				}
			case 'b':
				if c.Received == 0 {
					t.Errorf("received none of %d queued events from half-cut segments", n)
				}
			case 'c':
				if c.Received < bound || c.Received < n/2 {
					t.Errorf("received %d of %d queued events, want %s", c.Received, n, expect)
				}
			}
			// The damage is reported, and the damaged files (a)-(d) kept for forensics.
			if drErr != nil || damagedRecords <= 0 {
				t.Errorf("%s = %v (%v), want > 0", qsDamagedRecords, damagedRecords, drErr)
			}
			wantPath := filepath.Join(storage, qsQueueClient+".qlog")
			if dm.name[0] == 'e' {
				if !strings.Contains(logLine, `"path": "`+wantPath+`"`) || !strings.Contains(logLine, `"missing_segments": 1`) {
					t.Errorf("the log line for a queue whose segments are all gone does not name %s and a missing segment: %q", wantPath, logLine)
				}
				return
			}
			if logLine == "" {
				t.Errorf("no log line %q", qsDamagedMsg)
			} else if !strings.Contains(out, `"path": "`+wantPath+`"`) || !strings.Contains(logLine, `"moved_aside_to": "`+filepath.Join(storage, "damaged-")) {
				t.Errorf("the damage log lines do not name the queue's folder %s and a damaged-* folder: %s", wantPath, logLine)
			}
			if len(asideDirs) == 0 {
				t.Errorf("no damaged-* folder in %s", storage)
			}
			have := map[string]bool{}
			for _, a := range aside {
				have[strings.Replace(a, "/", ".qlog/", 1)] = true // <client>/<seg> -> <client>.qlog/<seg>
			}
			var notAside []string
			for _, s := range segs {
				if !have[s] {
					notAside = append(notAside, s)
				}
			}
			if len(notAside) > 0 {
				t.Errorf("%d of %d damaged segment files not found in a damaged-* folder: %v (folders hold %v)", len(notAside), len(segs), notAside, aside)
			}
		})
	}
}

// TestQueueStorageImportsFileStorage (upgrade): the previous release kept the persistent queue in
// contrib's file_storage (extension file_storage/queue, the same directory). Such a collector
// queues 5 000 events while rsyslog (TLS) is down and is stopped (SIGTERM); the new release,
// started with the plain site config (queue_storage) on the same directory and rsyslog up,
// imports the bbolt database, removes it, and delivers every event.
func TestQueueStorageImportsFileStorage(t *testing.T) {
	const n = 5000
	certs := testpeers.NewCerts(t)
	rs := testpeers.StartRsyslog(t, certs)
	rs.Stop(t)
	storage := t.TempDir()
	// The previous release's extension block (git show d071f23:otelcol-config.yaml), and its
	// components pointing at it.
	old := qsSiteConfig(
		fmt.Sprintf("yaml:extensions::file_storage/queue: {directory: %q, create_directory: true, fsync: false, compaction: {on_start: true, on_rebound: true, directory: %q}}", storage, storage),
		"yaml:exporters::cef_syslog/siem::sending_queue::storage: file_storage/queue",
		"yaml:exporters::splunk_hec_sec::sending_queue::storage: file_storage/queue",
		"yaml:exporters::security_webhook::sending_queue::storage: file_storage/queue",
		"yaml:exporters::otlp_http/siem::sending_queue::storage: file_storage/queue",
		"yaml:processors::alert::storage: file_storage/queue",
		"yaml:service::extensions: [health_check, intake_guard, config_digest, file_storage/queue]",
	)
	col := testcollector.Start(t, testcollector.Options{Configs: old, StorageDir: storage, Env: qsSyslogEnv(rs, certs)})
	ids := sendEvents(t, col, "qsup", n) // user bob: one failed_logins alert as well
	queued, err := col.WaitMetric(n+1, 30*time.Second, "otelcol_exporter_queue_size", cefSiem)
	if err != nil || queued != n+1 {
		t.Fatalf("queue holds %v records (%v), want %d events + 1 alert", queued, err, n)
	}
	col.Stop(60 * time.Second)
	bolt := filepath.Join(storage, qsQueueClient)
	if st, err := os.Stat(bolt); err != nil || !st.Mode().IsRegular() {
		entries, _ := os.ReadDir(storage)
		t.Fatalf("file_storage left no database %s (%v); directory holds %v", bolt, err, entries)
	}
	var before []string
	entries, _ := os.ReadDir(storage)
	for _, e := range entries {
		before = append(before, e.Name())
	}
	if qs := qsSegFiles(t, storage); len(qs) != 0 {
		t.Fatalf("the previous release's config wrote queue_storage segments: %v", qs)
	}

	rs.Restart(t)
	col2 := collectorToSyslog(t, "tls", rs.TLSAddr, certs, false, storage)
	c := zlWaitRsyslog(t, rs, ids, 90*time.Second)
	imported, impErr := col2.Metric(qsImportedRecords)
	importedQueue, _ := col2.Metric(qsImportedRecords, `client="`+qsQueueClient+`"`)
	var after []string
	entries, _ = os.ReadDir(storage)
	for _, e := range entries {
		after = append(after, e.Name())
	}
	_, boltErr := os.Stat(bolt)
	t.Logf("storage before the upgrade %v, after %v; %s = %v (queue client %v, %v)", before, after, qsImportedRecords, imported, importedQueue, impErr)
	zlRow(t, "3. upgrade: 5 000 queued on file_storage (previous release) for rsyslog (TLS, down), SIGTERM, restart on queue_storage with rsyslog up", c,
		fmt.Sprintf("cef_syslog/siem; queue_storage imported %v records from file_storage's database (%v of the queue), which is gone: %v; +%d alert record(s); %d records not CEF-parsable",
			imported, importedQueue, os.IsNotExist(boltErr), c.Other, c.Unparsed))
	if c.Lost != 0 || c.Unparsed != 0 {
		t.Errorf("%s; lost e.g. %v", c, c.Missing)
	}
	if !os.IsNotExist(boltErr) {
		t.Errorf("file_storage's database %s still there after the import (stat: %v); directory holds %v", bolt, boltErr, after)
	}
	for _, name := range before {
		if p := filepath.Join(storage, name); !strings.HasSuffix(name, ".qlog") {
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				t.Errorf("file_storage's file %s still there after the import", p)
			}
		}
	}
	if impErr != nil || imported <= 0 || importedQueue <= 0 {
		t.Errorf("%s = %v (queue client %v; %v), want > 0", qsImportedRecords, imported, importedQueue, impErr)
	}
	col2.Stop(30 * time.Second)
}

// qsFrame is one intact frame of a segment file (frame.go: magic uint32 | payload length uint32 |
// CRC-32C of (length, payload) uint32 | payload; payload: write time int64 | op count uvarint |
// ops, op: kind byte | key length uvarint | key | (set only) value length uvarint | value).
type qsFrame struct {
	off, size int64         // the frame's offset in the file and its length, header included
	items     []qsFrameItem // the queue items it sets (keys that are decimal indices)
	meta      []byte        // the queue's metadata (qmv0) it sets, if any
}

// qsFrameItem is one queue item a frame sets: its index and where its value lies in the file.
type qsFrameItem struct {
	index          uint64
	valOff, valLen int64
}

var qsCRCTable = crc32.MakeTable(crc32.Castagnoli)

// qsReadFrames parses a segment file into its frames. It stops at the first bytes that are not an
// intact frame: the active segment may end in a frame being written.
func qsReadFrames(t *testing.T, path string) []qsFrame {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 16 || string(b[:8]) != "OTSQSEG1" {
		t.Fatalf("%s: no segment header", path)
	}
	var frames []qsFrame
	for off := 16; off+12 <= len(b); {
		n := int(binary.LittleEndian.Uint32(b[off+4:]))
		if binary.LittleEndian.Uint32(b[off:]) != 0x31465351 || off+12+n > len(b) ||
			binary.LittleEndian.Uint32(b[off+8:]) != crc32.Update(crc32.Checksum(b[off+4:off+8], qsCRCTable), qsCRCTable, b[off+12:off+12+n]) {
			break
		}
		f := qsFrame{off: int64(off), size: int64(12 + n)}
		p := b[off+12 : off+12+n]
		ops, k := binary.Uvarint(p[8:])
		i := 8 + k
		for range ops {
			kind := p[i]
			kl, k := binary.Uvarint(p[i+1:])
			key := string(p[i+1+k : i+1+k+int(kl)])
			i += 1 + k + int(kl)
			if kind != 1 { // a delete
				continue
			}
			vl, k := binary.Uvarint(p[i:])
			i += k
			if key == "qmv0" {
				f.meta = p[i : i+int(vl)]
			} else if idx, err := strconv.ParseUint(key, 10, 64); err == nil {
				f.items = append(f.items, qsFrameItem{index: idx, valOff: int64(off + 12 + i), valLen: int64(vl)})
			}
			i += int(vl)
		}
		frames = append(frames, f)
		off += 12 + n
	}
	return frames
}

// qsReadIndex returns the read index in the queue's metadata (exporterhelper's
// PersistentMetadata protobuf: read_index is field 3, fixed64; proto3 leaves out a zero).
func qsReadIndex(meta []byte) uint64 {
	for len(meta) > 0 {
		tag, k := binary.Uvarint(meta)
		if k <= 0 {
			return 0
		}
		meta = meta[k:]
		switch tag & 7 {
		case 0:
			_, k = binary.Uvarint(meta)
		case 1:
			if tag>>3 == 3 && len(meta) >= 8 {
				return binary.LittleEndian.Uint64(meta)
			}
			k = 8
		case 2:
			l, n := binary.Uvarint(meta)
			k = n + int(l)
		case 5:
			k = 4
		default:
			return 0
		}
		if k <= 0 || k > len(meta) {
			return 0
		}
		meta = meta[k:]
	}
	return 0
}

// qsQueueState parses every segment file of the queue's log: its frames per file, and the queue's
// read index in the newest metadata written (items below it have been read from storage).
func qsQueueState(t *testing.T, qlog string) (segs []string, frames [][]qsFrame, readIndex uint64) {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(qlog, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(segs)
	var meta []byte
	for _, s := range segs {
		ff := qsReadFrames(t, s)
		frames = append(frames, ff)
		for _, f := range ff {
			if f.meta != nil {
				meta = f.meta
			}
		}
	}
	return segs, frames, qsReadIndex(meta)
}

// qsItemReadMsg is the error line queue_storage logs when a value fails its checksum when read.
const qsItemReadMsg = "queue storage: a record cannot be read and is skipped"

// TestQueueStorageDamagedWhileRunning: rsyslog (TLS) is down and cef_syslog/siem's persistent
// queue holds 6 000 events (600 stored requests of 10) in 256 KiB segment files. While the
// collector runs, 16 bytes are overwritten inside the stored value of K frames that each hold one
// queued request not yet read from storage, found by parsing the segment files. (The queue's
// consumer reads requests into the exporter's batches as long as a batch can be handed on: with
// both workers retrying a batch and the next two batches waiting, about 4 100 events are held in
// memory, so 3 000 would all have been read before the damage and none of it would be seen.)
// With rsyslog up, the queue reads those values, their checksums fail, and each is skipped (the
// queue drops that one request): the collector stays healthy, delivers every other event and the
// events sent afterwards, counts K in otelcol_queue_storage_damaged_records, logs one error line
// per damaged record naming the segment file, and moves that file aside once it is drained.
func TestQueueStorageDamagedWhileRunning(t *testing.T) {
	const n, perReq, after, noise, k = 6000, 10, 200, 100, 3
	certs := testpeers.NewCerts(t)
	rs := testpeers.StartRsyslog(t, certs)
	rs.Stop(t)
	col := testcollector.Start(t, testcollector.Options{Configs: qsSiteConfig(qsSegmentOverride), Env: qsSyslogEnv(rs, certs)})
	rnd := mathrand.New(mathrand.NewPCG(8, 42))
	events := qsNoisyLogins("qsr", 0, n, rnd, noise)
	ids := idsOf(events)
	qsSend(t, col, events, perReq)
	queued, err := col.WaitMetric(n+1, 30*time.Second, "otelcol_exporter_queue_size", cefSiem)
	if err != nil || queued != n+1 {
		t.Fatalf("queue holds %v records (%v), want %d events + 1 alert", queued, err, n)
	}

	// The queue's consumer reads requests while the exporter's workers retry the batches they
	// hold; once both workers and the next batches are stuck, it stops reading. Wait for the read
	// index to settle, so that the damaged values are read only after the damage.
	qlog := filepath.Join(col.StorageDir, qsQueueClient+".qlog")
	segs, frames, readIndex := qsQueueState(t, qlog)
	for settled := time.Now(); time.Since(settled) < 2*time.Second; time.Sleep(250 * time.Millisecond) {
		var ri uint64
		segs, frames, ri = qsQueueState(t, qlog)
		if ri != readIndex {
			readIndex, settled = ri, time.Now()
		}
	}
	stored, unread := 0, 0
	for _, ff := range frames {
		for _, f := range ff {
			for _, it := range f.items {
				stored++
				if it.index >= readIndex {
					unread++
				}
			}
		}
	}
	// The damaged frames: in the oldest segment file that holds at least 2k+1 frames of unread
	// items (not the newest, still written), k such frames around the middle of those, with an
	// intact one between each two. (Every frame that stores a request holds just that one.)
	type target struct {
		seg   string
		frame qsFrame
	}
	var targets []target
	for i := 0; i+1 < len(frames); i++ {
		var cands []qsFrame
		for _, f := range frames[i] {
			if len(f.items) == 1 && f.items[0].index >= readIndex {
				cands = append(cands, f)
			}
		}
		if len(cands) < 2*k+1 {
			continue
		}
		for j := range k {
			targets = append(targets, target{segs[i], cands[len(cands)/2-k+1+2*j]})
		}
		break
	}
	var segNames []string
	for _, s := range segs {
		segNames = append(segNames, filepath.Base(s))
	}
	t.Logf("queued %d events in %d stored requests (%d not yet read from storage: read index %d) in %d segment files %v",
		n, stored, unread, readIndex, len(segs), segNames)
	if len(targets) != k {
		t.Fatalf("no sealed segment file holds %d frames of unread queue items (read index %d, %d of %d stored requests unread)", 2*k+1, readIndex, unread, stored)
	}
	// Events per stored request: the queue stores each OTLP request as it was sent (it batches
	// after storing), so perReq; n / stored items guards that.
	perStored := max(perReq, (n+stored-1)/max(stored, 1))
	damagedSeg := targets[0].seg
	var keys, offsets []string
	for _, tg := range targets {
		it := tg.frame.items[0]
		f, err := os.OpenFile(tg.seg, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 16)
		at := it.valOff + it.valLen/2 - 8
		if _, err := f.ReadAt(b, at); err != nil {
			t.Fatal(err)
		}
		for i := range b {
			b[i] ^= 0xff // every byte changes
		}
		if _, err := f.WriteAt(b, at); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, strconv.FormatUint(it.index, 10))
		offsets = append(offsets, strconv.FormatInt(tg.frame.off, 10))
		t.Logf("damaged item %d: 16 bytes at %d inside its value (%d bytes at %d) of the frame at %d (%d bytes) of %s",
			it.index, at, it.valLen, it.valOff, tg.frame.off, tg.frame.size, filepath.Base(tg.seg))
	}
	if _, _, ri := qsQueueState(t, qlog); ri > targets[0].frame.items[0].index {
		t.Fatalf("the queue read item %s meanwhile (read index %d): the damage may not be read", keys[0], ri)
	}
	if !healthy(col) {
		t.Fatalf("collector not healthy after the damage")
	}

	rs.Restart(t)
	newEvents := zlFailedLogins("qsr-new", 0, after, "bob", "Failed login attempt for bob")
	qsSend(t, col, newEvents, perReq)
	zlWaitRsyslog(t, rs, idsOf(newEvents), 120*time.Second)
	qsSettle(t, col, rs, 60*time.Second)
	c := zlCountRsyslog(t, rs, ids)
	cNew := zlCountRsyslog(t, rs, idsOf(newEvents))
	damaged, drErr := col.Metric(qsDamagedRecords, `client="`+qsQueueClient+`"`)
	damagedAll, _ := col.Metric(qsDamagedRecords)
	out := col.Output()
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, qsItemReadMsg) {
			lines = append(lines, l)
		}
	}
	// Once the queue has drained past it, the damaged segment file is moved aside, not removed.
	asidePath := ""
	for deadline := time.Now().Add(30 * time.Second); asidePath == "" && time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		m, _ := filepath.Glob(filepath.Join(col.StorageDir, "damaged-*", qsQueueClient, filepath.Base(damagedSeg)))
		if len(m) > 0 {
			asidePath, _ = filepath.Rel(col.StorageDir, m[0])
		}
	}
	t.Logf("after rsyslog came up: %s; new events: %s; %s = %v for the queue (%v in all; %v); moved aside: %q",
		c, cNew, qsDamagedRecords, damaged, damagedAll, drErr, asidePath)
	for _, l := range lines {
		t.Logf("log: %s", l)
	}

	bound := n - k*perStored
	zlRow(t, fmt.Sprintf("8. queue_storage damaged while running with 6 000 queued for rsyslog (TLS, down): 16 bytes overwritten inside %d queued requests' stored values, then rsyslog up", k), c,
		fmt.Sprintf("lost = the %d damaged requests of %d events (CRC fails when the queue reads them: skipped, the rest goes on), not a delivery failure; expected received >= %d - %d*%d = %d; otelcol_queue_storage_damaged_records %v; %d error line(s) naming the segment file; %d of %d events sent afterwards delivered; damaged segment moved aside after the drain: %v",
			k, perStored, n, k, perStored, bound, damaged, len(lines), cNew.Received, after, asidePath != ""))

	if !healthy(col) {
		t.Errorf("collector not healthy after delivering")
	}
	if c.Received < bound || c.Lost > k*perStored {
		t.Errorf("received %d of %d queued events, want >= %d (%d damaged requests of %d events); %s; e.g. %v", c.Received, n, bound, k, perStored, c, c.Missing)
	}
	if cNew.Lost != 0 {
		t.Errorf("events sent after the damage lost: %s; e.g. %v", cNew, cNew.Missing)
	}
	if c.Dup != 0 || cNew.Dup != 0 {
		t.Logf("duplicates: queued %d, new %d", c.Dup, cNew.Dup)
	}
	if drErr != nil || damaged != k {
		t.Errorf("%s for %s = %v (%v), want %d", qsDamagedRecords, qsQueueClient, damaged, drErr, k)
	}
	if len(lines) != k {
		t.Errorf("%d lines %q, want %d", len(lines), qsItemReadMsg, k)
	}
	for i, key := range keys {
		want := []string{`"path": "` + damagedSeg + `"`, `"offset": ` + offsets[i], `"key": "` + key + `"`}
		found := false
		for _, l := range lines {
			ok := true
			for _, w := range want {
				ok = ok && strings.Contains(l, w)
			}
			found = found || ok
		}
		if !found {
			t.Errorf("no line %q with %v", qsItemReadMsg, want)
		}
	}
	if asidePath == "" {
		t.Errorf("the damaged segment file %s was not moved to a damaged-* folder after the drain", damagedSeg)
	}
}
