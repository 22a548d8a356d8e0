package cefsyslogexporter // import "github.com/unified-ot/otelcol-siem/exporter/cefsyslogexporter"

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/natefinch/lumberjack.v2"
)

// fileTransport appends to a size-rotated file. lumberjack serialises writes with its own mutex,
// and each write holds whole lines, so concurrent pushes never interleave within a line.
type fileTransport struct {
	path   string
	logger *lumberjack.Logger
}

func newFileTransport(cfg FileConfig) (*fileTransport, error) {
	// Open (and create) the file once here so that a wrong path or permission fails start-up
	// with a clear message instead of every push.
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o750); err != nil {
		return nil, fmt.Errorf("file.path: creating the directory of %s: %w", cfg.Path, err)
	}
	f, err := os.OpenFile(cfg.Path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("file.path: opening %s: %w", cfg.Path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("file.path: closing %s: %w", cfg.Path, err)
	}
	return &fileTransport{path: cfg.Path, logger: &lumberjack.Logger{
		Filename:   cfg.Path,
		MaxSize:    cfg.MaxSizeMB,
		MaxBackups: cfg.MaxBackups,
		MaxAge:     cfg.MaxAgeDays,
		Compress:   cfg.Compress,
	}}, nil
}

func (f *fileTransport) acquire(context.Context) (sink, func(), error) { return f, func() {}, nil }

func (f *fileTransport) name() string { return f.path }

func (f *fileTransport) write(_ context.Context, p []byte) (int, error) { return f.logger.Write(p) }

func (f *fileTransport) close(context.Context) error { return f.logger.Close() }
