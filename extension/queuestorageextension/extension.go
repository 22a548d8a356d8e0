package queuestorageextension // import "github.com/unified-ot/otelcol-siem/extension/queuestorageextension"

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/unified-ot/otelcol-siem/extension/queuestorageextension/internal/metadata"
	"github.com/unified-ot/otelcol-siem/extension/queuestorageextension/internal/seglog"
	"github.com/unified-ot/otelcol-siem/internal/pipelinehealth"
)

// clientDirSuffix ends the name of a client's folder in Directory. The folder's name is otherwise
// the file name file_storage gives the same client, so an imported database sits beside it.
const clientDirSuffix = ".qlog"

// queueStorage is the queue_storage extension: a storage.Extension whose clients are segment logs.
type queueStorage struct {
	cfg    *Config
	logger *zap.Logger
	tel    *metadata.Telemetry
	budget *seglog.Budget

	mu      sync.Mutex
	clients map[string]*client
	reg     metric.Registration
}

var _ storage.Extension = (*queueStorage)(nil)

func newStorage(set extension.Settings, cfg *Config) (*queueStorage, error) {
	tel, err := metadata.NewTelemetry(set.TelemetrySettings, set.ID)
	if err != nil {
		return nil, err
	}
	return &queueStorage{
		cfg:     cfg,
		logger:  set.Logger,
		tel:     tel,
		budget:  seglog.NewBudget(int64(cfg.MaxSize)),
		clients: map[string]*client{},
	}, nil
}

// Start creates the directory and registers the gauges.
func (s *queueStorage) Start(context.Context, component.Host) error {
	if err := os.MkdirAll(s.cfg.Directory, 0o700); err != nil {
		return fmt.Errorf("queue_storage: directory: %w", err)
	}
	var err error
	s.reg, err = s.tel.RegisterCallback(s.observeGauges)
	if err != nil {
		return err
	}
	s.logger.Info("queue storage ready", zap.String("directory", s.cfg.Directory), zap.Bool("fsync", s.cfg.Fsync),
		zap.Int64("max_size", int64(s.cfg.MaxSize)))
	return nil
}

// Shutdown closes the clients its users left open.
func (s *queueStorage) Shutdown(context.Context) error {
	s.mu.Lock()
	clients := s.clients
	s.clients = map[string]*client{}
	s.mu.Unlock()
	var errs error
	for _, c := range clients {
		errs = errors.Join(errs, c.log.Close())
	}
	if s.reg != nil {
		errs = errors.Join(errs, s.reg.Unregister())
		s.reg = nil
	}
	return errs
}

// GetClient opens the log of one component's storage, importing what file_storage left for it.
func (s *queueStorage) GetClient(_ context.Context, kind component.Kind, id component.ID, storageName string) (storage.Client, error) {
	name := fileStorageFileName(kind, id, storageName)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, open := s.clients[name]; open {
		return nil, fmt.Errorf("queue_storage: client %q is already open", name)
	}
	attrs := s.tel.ClientAttrs(name)
	lg, err := seglog.Open(seglog.Options{
		Dir:           filepath.Join(s.cfg.Directory, name+clientDirSuffix),
		AsideRoot:     s.cfg.Directory,
		Name:          name,
		Fsync:         s.cfg.Fsync,
		FlushInterval: s.cfg.FlushInterval,
		SegmentSize:   int64(s.cfg.SegmentSize),
		Budget:        s.budget,
		Logger:        s.logger.With(zap.String("client", name)),
		Observer:      &observer{tel: s.tel, attrs: attrs, client: name},
	})
	if err != nil {
		return nil, fmt.Errorf("queue_storage: client %q: %w", name, err)
	}
	if s.cfg.ImportFileStorage {
		s.importFileStorage(name, lg, attrs)
	}
	c := &client{log: lg, name: name, attrs: attrs, owner: s}
	s.clients[name] = c
	return c, nil
}

func (s *queueStorage) forget(c *client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.clients[c.name] == c {
		delete(s.clients, c.name)
	}
}

// observeGauges observes the gauges of every open client: bytes on disk, records, and the age of
// the oldest record.
func (s *queueStorage) observeGauges(_ context.Context, o metric.Observer) error {
	s.mu.Lock()
	clients := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		clients = append(clients, c)
	}
	s.mu.Unlock()
	now := time.Now()
	for _, c := range clients {
		st := c.log.Stats()
		o.ObserveInt64(s.tel.DiskBytes, st.DiskBytes, c.attrs)
		o.ObserveInt64(s.tel.Records, int64(st.Records), c.attrs)
		age := 0.0
		if !st.Oldest.IsZero() {
			age = now.Sub(st.Oldest).Seconds()
		}
		o.ObserveFloat64(s.tel.OldestRecordAge, age, c.attrs)
	}
	return nil
}

// importFileStorage moves into lg the database contrib's file_storage left for the same client, so
// that what an earlier release queued is delivered. The database goes once its records are synced
// here. A damaged one gives what its intact pages hold, is moved aside and counted; one that cannot
// be read for another reason (locked by a running file_storage, say) stays for the next start.
func (s *queueStorage) importFileStorage(name string, lg *seglog.Log, attrs metric.MeasurementOption) {
	path := filepath.Join(s.cfg.Directory, name)
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return
	}
	kv, err := readFileStorageDB(path)
	if errors.Is(err, errFileStorageDBEmpty) { // file_storage never wrote it: nothing to import
		err = nil
	}
	if err != nil && !errors.Is(err, errFileStorageDBDamaged) {
		s.logger.Error("queue storage: cannot read the file_storage database of an earlier release; it stays and is read again at the next start",
			zap.String("path", path), zap.Error(err))
		return
	}
	if len(kv) > 0 && !s.importEntries(name, path, lg, kv, attrs) {
		return
	}
	if err == nil {
		if err := os.Remove(path); err != nil {
			s.logger.Warn("queue storage: imported the file_storage database but cannot remove it", zap.String("path", path), zap.Error(err))
		}
		return
	}
	s.tel.DamagedRecords.Add(context.Background(), 1, attrs)
	aside := seglog.AsideDir(s.cfg.Directory, time.Now(), name)
	if merr := os.MkdirAll(aside, 0o700); merr != nil || os.Rename(path, filepath.Join(aside, "file_storage.db")) != nil {
		aside = ""
	}
	s.logger.Error("queue storage: the file_storage database of an earlier release is damaged; what its intact pages held was imported, the file moved aside",
		zap.String("path", path), zap.String("moved_aside_to", aside), zap.Int("records", len(kv)), zap.Error(err))
}

// importEntries stores kv in lg and reports whether it did.
func (s *queueStorage) importEntries(name, path string, lg *seglog.Log, kv map[string][]byte, attrs metric.MeasurementOption) bool {
	ops := make([]*storage.Operation, 0, len(kv))
	for k, v := range kv {
		ops = append(ops, storage.SetOperation(k, v))
	}
	if err := lg.Import(ops); err != nil {
		s.logger.Error("queue storage: importing the file_storage database failed; it stays and is imported again at the next start",
			zap.String("path", path), zap.Error(err))
		return false
	}
	s.tel.ImportedRecords.Add(context.Background(), int64(len(ops)), attrs)
	s.logger.Info("queue storage: imported the queue that file_storage left", zap.String("client", name),
		zap.String("path", path), zap.Int("records", len(ops)))
	return true
}

// observer turns the log's events into the extension's metrics.
type observer struct {
	tel    *metadata.Telemetry
	attrs  metric.MeasurementOption
	client string
}

func (o *observer) Synced(d time.Duration) {
	o.tel.SyncDuration.Record(context.Background(), d.Seconds(), o.attrs)
}

func (o *observer) Damaged(frames, bytes int64) {
	o.tel.DamagedRecords.Add(context.Background(), frames, o.attrs)
	o.tel.DamagedBytes.Add(context.Background(), bytes, o.attrs)
	// The siem_audit receiver turns this into a records_dropped audit record.
	pipelinehealth.Default().StorageDamaged(o.client, frames)
}

func (o *observer) Refused() { o.tel.RefusedWrites.Add(context.Background(), 1, o.attrs) }

func (o *observer) Deferred() { o.tel.DeferredWrites.Add(context.Background(), 1, o.attrs) }
