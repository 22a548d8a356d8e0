//go:build e2e

package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"
	mathrand "math/rand/v2"
	"os"
	"path/filepath"
	"sort"
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
		"yaml:service::extensions: [health_check, file_storage/queue]",
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
