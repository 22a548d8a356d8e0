package queuestorageextension

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/unified-ot/otelcol-siem/extension/queuestorageextension/internal/metadata"
	"github.com/unified-ot/otelcol-siem/internal/pipelinehealth"
)

// host hands the storage extension to the exporter, as the collector's service does.
type host map[component.ID]component.Component

func (h host) GetExtensions() map[component.ID]component.Component { return h }

var storageID = component.NewID(metadata.Type)

func startStorage(t *testing.T, cfg *Config, tel *componenttest.Telemetry) *queueStorage {
	t.Helper()
	set := extensiontest.NewNopSettings(metadata.Type)
	set.ID = storageID
	if tel != nil {
		set.TelemetrySettings = tel.NewTelemetrySettings()
	}
	ext, err := NewFactory().Create(t.Context(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(t.Context(), componenttest.NewNopHost()))
	return ext.(*queueStorage)
}

func testConfig(dir string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Directory = dir
	cfg.SegmentSize = 64 << 10
	cfg.MaxSize = 0
	return cfg
}

// queueExporter is an exporter with exporterhelper's persistent queue on the storage; push
// decides what the SIEM does with each request.
func queueExporter(t *testing.T, ext extension.Extension, push func(plog.Logs) error) exporter.Logs {
	t.Helper()
	q := exporterhelper.NewDefaultQueueConfig()
	q.StorageID = &storageID
	q.QueueSize = 100000
	q.Batch = configoptional.None[exporterhelper.BatchConfig]()
	retry := configretry.NewDefaultBackOffConfig()
	retry.InitialInterval, retry.MaxInterval, retry.MaxElapsedTime = time.Hour, time.Hour, 0
	set := exportertest.NewNopSettings(component.MustNewType("cef_syslog"))
	set.ID = component.MustNewIDWithName("cef_syslog", "siem") // the same queue after a restart
	exp, err := exporterhelper.NewLogs(t.Context(), set, &struct{}{},
		func(_ context.Context, ld plog.Logs) error { return push(ld) },
		exporterhelper.WithQueue(configoptional.Some(q)), exporterhelper.WithRetry(retry))
	require.NoError(t, err)
	require.NoError(t, exp.Start(t.Context(), host{storageID: ext}))
	return exp
}

func oneRecord(id string) plog.Logs {
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Body().SetStr(id)
	return ld
}

func randomID() string {
	b := make([]byte, 300) // incompressible, so each record has weight on disk
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// delivered collects what the exporter pushed.
type delivered struct {
	mu  sync.Mutex
	ids map[string]int
}

func (d *delivered) push(ld plog.Logs) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range ld.ResourceLogs().Len() {
		sl := ld.ResourceLogs().At(i).ScopeLogs()
		for j := range sl.Len() {
			lr := sl.At(j).LogRecords()
			for k := range lr.Len() {
				d.ids[lr.At(k).Body().Str()]++
			}
		}
	}
	return nil
}

func (d *delivered) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.ids)
}

// fillQueueSIEMDown queues n records while the SIEM refuses everything, then stops (SIGTERM-like).
func fillQueueSIEMDown(t *testing.T, dir string, n int) []string {
	t.Helper()
	ext := startStorage(t, testConfig(dir), nil)
	exp := queueExporter(t, ext, func(plog.Logs) error { return errors.New("SIEM down") })
	ids := make([]string, n)
	for i := range ids {
		ids[i] = randomID()
		require.NoError(t, exp.ConsumeLogs(t.Context(), oneRecord(ids[i])))
	}
	require.NoError(t, exp.Shutdown(t.Context()))
	require.NoError(t, ext.Shutdown(t.Context()))
	return ids
}

func waitDelivered(d *delivered, want int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for d.count() < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
}

// hubDamaged is the damaged writes all storage clients reported to pipelinehealth so far.
func hubDamaged() int64 {
	var n int64
	for _, v := range pipelinehealth.Default().Snapshot().StorageDamaged {
		n += v
	}
	return n
}

func sumCounter(t *testing.T, tel *componenttest.Telemetry, name string) int64 {
	t.Helper()
	m, err := tel.GetMetric(name)
	if err != nil {
		return 0
	}
	var sum int64
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		sum += dp.Value
	}
	return sum
}

// TestQueueDeliversEverythingAfterRestart: the persistent queue of exporterhelper v0.165.0 on this
// storage keeps what the SIEM refused across a restart and delivers it when the SIEM is back.
func TestQueueDeliversEverythingAfterRestart(t *testing.T) {
	dir := t.TempDir()
	ids := fillQueueSIEMDown(t, dir, 500)
	ext := startStorage(t, testConfig(dir), nil)
	d := &delivered{ids: map[string]int{}}
	exp := queueExporter(t, ext, d.push)
	waitDelivered(d, len(ids), 10*time.Second)
	require.NoError(t, exp.Shutdown(t.Context()))
	require.NoError(t, ext.Shutdown(t.Context()))
	for _, id := range ids {
		require.Equal(t, 1, d.ids[id], "record %s delivered %d times", id[:8], d.ids[id])
	}
}

// TestQueueDeliversIntactRecordsAfterDamage: with bytes of the queue's files overwritten while the
// collector was down, the queue starts, delivers every record whose bytes are intact, counts the
// damage, moves the damaged files aside and takes new records.
func TestQueueDeliversIntactRecordsAfterDamage(t *testing.T) {
	dir := t.TempDir()
	ids := fillQueueSIEMDown(t, dir, 500)
	files, err := filepath.Glob(filepath.Join(dir, "*"+clientDirSuffix, "*.seg"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 3, "the fixture spans several segments")
	damagedPoints := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for off := 20 << 10; off+64 <= len(b); off += 32 << 10 {
			_, _ = rand.Read(b[off : off+64])
			damagedPoints++
		}
		require.NoError(t, os.WriteFile(f, b, 0o600))
	}

	tel := componenttest.NewTelemetry()
	defer func() { _ = tel.Shutdown(context.Background()) }()
	damagedBefore := hubDamaged()
	ext := startStorage(t, testConfig(dir), tel)
	d := &delivered{ids: map[string]int{}}
	exp := queueExporter(t, ext, d.push)
	fresh := randomID()
	require.NoError(t, exp.ConsumeLogs(t.Context(), oneRecord(fresh)))
	// Each damage point spoils at most the two records it straddles.
	waitDelivered(d, len(ids)+1-2*damagedPoints, 10*time.Second)
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, exp.Shutdown(t.Context()))
	require.NoError(t, ext.Shutdown(t.Context()))

	assert.Equal(t, 1, d.ids[fresh], "a record sent after the damage is delivered")
	got := 0
	for _, id := range ids {
		if d.ids[id] > 0 {
			got++
		}
	}
	t.Logf("%d damage points: %d of %d queued records delivered, damaged records counted %d", damagedPoints, got, len(ids),
		sumCounter(t, tel, metadata.MetricDamagedRecords))
	assert.GreaterOrEqual(t, got, len(ids)-2*damagedPoints)
	assert.Less(t, got, len(ids), "the damage hit records")
	assert.Positive(t, sumCounter(t, tel, metadata.MetricDamagedRecords))
	assert.Equal(t, sumCounter(t, tel, metadata.MetricDamagedRecords), hubDamaged()-damagedBefore,
		"every damaged write is reported to pipelinehealth (siem_audit's records_dropped storage_damaged)")
	aside, _ := filepath.Glob(filepath.Join(dir, "damaged-*", "*", "*.seg"))
	assert.NotEmpty(t, aside, "damaged segments moved aside")
	for id, n := range d.ids {
		assert.Equal(t, 1, n, "record %s delivered %d times", id[:8], n)
	}
}

// TestClientNamesAndTwice: clients are named as file_storage names them, and one client cannot be
// opened twice at once.
func TestClientNamesAndTwice(t *testing.T) {
	dir := t.TempDir()
	ext := startStorage(t, testConfig(dir), nil)
	defer func() { require.NoError(t, ext.Shutdown(t.Context())) }()
	id := component.MustNewIDWithName("cef_syslog", "siem")
	c, err := ext.GetClient(t.Context(), component.KindExporter, id, "logs")
	require.NoError(t, err)
	_, err = ext.GetClient(t.Context(), component.KindExporter, id, "logs")
	assert.ErrorContains(t, err, "already open")
	require.NoError(t, c.Set(t.Context(), "k", []byte("v")))
	require.NoError(t, c.Close(t.Context()))
	assert.DirExists(t, filepath.Join(dir, fileStorageFileName(component.KindExporter, id, "logs")+clientDirSuffix))
	c, err = ext.GetClient(t.Context(), component.KindExporter, id, "logs")
	require.NoError(t, err)
	v, err := c.Get(t.Context(), "k")
	require.NoError(t, err)
	assert.Equal(t, "v", string(v))
}

// TestGetClientImportsFileStorage: the database file_storage left for a client is imported on the
// client's first use and removed; a damaged one gives what it can and is moved aside; an empty
// one (never written) is removed; either way the client opens.
func TestGetClientImportsFileStorage(t *testing.T) {
	id := component.MustNewIDWithName("cef_syslog", "siem")
	name := fileStorageFileName(component.KindExporter, id, "logs")
	for _, tc := range []struct {
		name   string
		damage func(path string)
	}{
		{"intact", func(string) {}},
		{"damaged", func(path string) {
			b, _ := os.ReadFile(path)
			_, _ = rand.Read(b[len(b)/2:])
			_ = os.WriteFile(path, b, 0o600)
		}},
		{"empty", func(path string) { _ = os.Truncate(path, 0) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, name)
			st := writeFileStorageTestDB(t, path, 300, 50)
			tc.damage(path)
			tel := componenttest.NewTelemetry()
			defer func() { _ = tel.Shutdown(context.Background()) }()
			ext := startStorage(t, testConfig(dir), tel)
			defer func() { require.NoError(t, ext.Shutdown(t.Context())) }()
			c, err := ext.GetClient(t.Context(), component.KindExporter, id, "logs")
			require.NoError(t, err)
			assert.NoFileExists(t, path, "the file_storage database stays in place")
			got := 0
			for k, want := range st.Final {
				v, err := c.Get(t.Context(), k)
				require.NoError(t, err)
				if v != nil {
					got++
					if tc.name == "intact" {
						assert.Equal(t, want, v, "key %s", k)
					}
				}
			}
			aside, _ := filepath.Glob(filepath.Join(dir, "damaged-*", name, "file_storage.db"))
			imported := sumCounter(t, tel, metadata.MetricImportedRecords)
			switch tc.name {
			case "intact":
				assert.Equal(t, len(st.Final), got)
				assert.EqualValues(t, len(st.Final), imported)
				assert.Empty(t, aside)
			case "damaged":
				assert.Less(t, got, len(st.Final))
				assert.EqualValues(t, got, imported)
				assert.Len(t, aside, 1, "the damaged database is moved aside")
				assert.EqualValues(t, 1, sumCounter(t, tel, metadata.MetricDamagedRecords))
			case "empty":
				assert.Zero(t, got)
				assert.Empty(t, aside)
			}
		})
	}
}
