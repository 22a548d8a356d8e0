package cefsyslogexporter

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/exporter"

	"github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter/internal/metadata"
	"github.com/unified-ot/otelcol-siem/internal/integrity"
	"github.com/unified-ot/otelcol-siem/internal/integrity/integritytest"
)

// integrityConfig is cfg with integrity on over a persistent queue.
func integrityConfig(t *testing.T, cfg *Config) *Config {
	cfg.Integrity.KeyFile = integritytest.KeyFile(t, t.TempDir())
	cfg.QueueConfig.Get().StorageID = &integritytest.StorageID
	require.NoError(t, cfg.Validate())
	return cfg
}

// runIntegrity sends n events through the exporter built by the factory (queue and all) and
// waits until done reports that they arrived.
func runIntegrity(t *testing.T, env *testEnv, cfg *Config, n int, done func() bool) {
	ctx := context.Background()
	exp, err := NewFactory().CreateLogs(ctx, env.set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(ctx, integritytest.Host(t, t.TempDir())))
	require.NoError(t, exp.ConsumeLogs(ctx, makeLogs(0, n, 0)))
	require.Eventually(t, done, 15*time.Second, 10*time.Millisecond)
	require.NoError(t, exp.Shutdown(ctx))
}

func fileLines(t *testing.T, path string) [][]byte {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	return bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
}

func TestIntegrityCEFFieldsAndSequenceID(t *testing.T) {
	env := newTestEnv(t)
	cfg := testConfig(TransportFile, "")
	cfg.File.Path = filepath.Join(t.TempDir(), "siem.log")
	cfg.Integrity.SequenceID = true
	cfg = integrityConfig(t, cfg)
	const n = 30
	runIntegrity(t, env, cfg, n, func() bool { return len(fileLines(t, cfg.File.Path)) >= n+1 })

	lines := fileLines(t, cfg.File.Path)
	require.Len(t, lines, n+1, "the start checkpoint and the events (the final checkpoint stays in the persistent queue)")
	sd := regexp.MustCompile(`^<\d+>1 \S+ \S+ \S+ \S+ \S+ \[meta sequenceId="(\d+)"\] CEF:0\|`)
	for i, l := range lines {
		m := sd.FindSubmatch(l)
		require.NotNil(t, m, "RFC 5424 meta sequenceId first in the structured data: %s", l)
		assert.Equal(t, strconv.Itoa(i+1), string(m[1]))
		assert.Contains(t, string(l), " flexString1Label=otsecIntegrityStream flexString1=")
		assert.Regexp(t, ` flexNumber1Label=otsecIntegritySeq flexNumber1=`+strconv.Itoa(i+1)+` flexString2Label=otsecIntegrity flexString2=key:[0-9a-f]{16} `, string(l))
		assert.Regexp(t, ` mac:[0-9a-f]{64}$`, string(l))
	}
	assert.Contains(t, string(lines[0]), "act=integrity_checkpoint")
	assert.Contains(t, string(lines[0]), "cp:kind:start,records:0,")

	r := integritytest.Verify(t, lines)
	require.False(t, r.Failed())
	assert.Equal(t, n+1, r.Streams[0].Verified)
	assert.Equal(t, int64(n+2), env.counter(t, metadata.MetricRecordsStamped, "exporter", env.set.ID.String()), "the final checkpoint too")
	assert.Equal(t, int64(2), env.counter(t, metadata.MetricCheckpoints, "exporter", env.set.ID.String()))

	// One byte changed in a field.
	lines[7] = bytes.Replace(lines[7], []byte("suser=alice"), []byte("suser=alicf"), 1)
	require.True(t, integritytest.Verify(t, lines).Failed())
}

func TestIntegrityJSONFields(t *testing.T) {
	env := newTestEnv(t)
	cfg := testConfig(TransportFile, "")
	cfg.Format = FormatJSON
	cfg.File.Path = filepath.Join(t.TempDir(), "siem.jsonl")
	cfg.File.SyslogHeader = false
	cfg = integrityConfig(t, cfg)
	runIntegrity(t, env, cfg, 10, func() bool { return len(fileLines(t, cfg.File.Path)) >= 11 })
	lines := fileLines(t, cfg.File.Path)
	for _, l := range lines {
		assert.Regexp(t, `^\{.*,"otsec.integrity.stream":"[0-9a-f-]{36}","otsec.integrity.seq":\d+,"otsec.integrity.key":"[0-9a-f]{16}"(,"otsec.integrity.checkpoint":"[^"]+")?,"otsec.integrity.mac":"[0-9a-f]{64}"\}$`, string(l))
	}
	require.False(t, integritytest.Verify(t, lines).Failed())
}

// A connection reset in the middle makes the exporter resend from the first record the socket did
// not take. The resent records are the same bytes (stamped once, when queued), so the verifier
// sees duplicates, never two versions of a number; what the reset lost after the kernel had
// accepted it (plain TCP syslog has no acknowledgement) shows as gaps, and as nothing else.
func TestIntegrityRetryResendsIdenticalBytes(t *testing.T) {
	env := newTestEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := serveOn(t, ln, octetCounting, nil, 10, false)
	cfg := integrityConfig(t, testConfig(TransportTCP, srv.addr()))
	cfg.RetryConfig.InitialInterval = 10 * time.Millisecond
	const n = 200
	last, stableSince := -1, time.Now()
	runIntegrity(t, env, cfg, n, func() bool {
		got := len(srv.messages())
		if got != last {
			last, stableSince = got, time.Now()
		}
		return got > 0 && time.Since(stableSince) > 500*time.Millisecond
	})
	msgs := srv.messages()
	uniq := uniqueBySeq(t, msgs) // fails on two versions of a number
	r := integritytest.Verify(t, msgs)
	s := r.Streams[0]
	assert.Empty(t, s.Altered)
	assert.Empty(t, s.Inserted)
	assert.Empty(t, s.Forks)
	lost := 0
	for _, g := range s.Gaps {
		lost += int(g.To - g.From + 1)
	}
	assert.Equal(t, int(s.Last)-len(uniq), lost, "every number missing between the first and the last is reported")
	t.Logf("received %d records (%d numbers), %d duplicates, %d lost in the reset", len(msgs), len(uniq), s.Duplicates, lost)
}

// uniqueBySeq maps each sequence number to its record, failing on two different records under one.
func uniqueBySeq(t *testing.T, msgs [][]byte) map[uint64][]byte {
	out := map[uint64][]byte{}
	for _, m := range msgs {
		i := bytes.Index(m, []byte("CEF:"))
		require.GreaterOrEqual(t, i, 0)
		_, s, ok, err := integrity.Split(m[i:])
		require.True(t, ok)
		require.NoError(t, err)
		if prev, seen := out[s.Seq]; seen {
			require.Equal(t, string(prev[bytes.Index(prev, []byte("CEF:")):]), string(m[i:]), "a resent record is the same bytes")
		}
		out[s.Seq] = m
	}
	return out
}

func TestIntegrityConfigErrors(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint = "127.0.0.1:514"
	cfg.Integrity.KeyFile = "/etc/otelcol-siem/integrity.key"
	err := cfg.Validate()
	require.ErrorContains(t, err, "integrity::key_file is set but sending_queue::storage is not")

	cfg.QueueConfig.Get().StorageID = &integritytest.StorageID
	cfg.Syslog.Protocol = "rfc3164"
	cfg.Integrity.SequenceID = true
	cfg.Integrity.CheckpointRecords = 0
	err = cfg.Validate()
	require.ErrorContains(t, err, "integrity.sequence_id: needs RFC 5424")
	require.ErrorContains(t, err, "integrity::checkpoint_records must be at least 1")

	// A missing key file stops the start, naming the key (never its content).
	cfg = testConfig(TransportFile, "")
	cfg.File.Path = filepath.Join(t.TempDir(), "x.log")
	cfg = integrityConfig(t, cfg)
	cfg.Integrity.KeyFile = filepath.Join(t.TempDir(), "missing.key")
	exp, err := NewFactory().CreateLogs(context.Background(), newTestEnv(t).set, cfg)
	require.NoError(t, err)
	err = exp.Start(context.Background(), integritytest.Host(t, t.TempDir()))
	require.ErrorContains(t, err, "integrity::key_file")
	var _ exporter.Logs = exp
}
