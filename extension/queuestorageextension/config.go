package queuestorageextension // import "github.com/unified-ot/otelcol-siem/extension/queuestorageextension"

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Config is the queue_storage extension's configuration.
type Config struct {
	// Directory holds one folder per client (each persistent queue, the alert processor's state).
	// It is created if missing.
	Directory string `mapstructure:"directory"`
	// Fsync makes every new record durable before the write returns, so that a power cut loses no
	// record whose OTLP request was answered.
	Fsync bool `mapstructure:"fsync"`
	// FlushInterval bounds how long, with fsync, an overwrite or a delete (the queue's read
	// position, a delivered record) stays unsynced.
	FlushInterval time.Duration `mapstructure:"flush_interval"`
	// MaxSize bounds the bytes of all clients on disk; a new record beyond it is refused (the
	// queue refuses it to its client, which retries). 0 means no bound but the disk.
	MaxSize ByteSize `mapstructure:"max_size"`
	// SegmentSize is the size at which a client's log starts a new file; space is given back a
	// whole segment at a time.
	SegmentSize ByteSize `mapstructure:"segment_size"`
	// ImportFileStorage imports, on a client's first use, the database that contrib's
	// file_storage left for the same client in Directory, then removes it.
	ImportFileStorage bool `mapstructure:"import_file_storage"`
}

// Validate checks the configuration at start-up.
func (cfg *Config) Validate() error {
	var errs []error
	if strings.TrimSpace(cfg.Directory) == "" {
		errs = append(errs, errors.New("directory: must not be empty"))
	}
	if cfg.FlushInterval <= 0 {
		errs = append(errs, fmt.Errorf("flush_interval: must be positive, got %v", cfg.FlushInterval))
	}
	if cfg.MaxSize < 0 {
		errs = append(errs, fmt.Errorf("max_size: must not be negative, got %d", cfg.MaxSize))
	}
	if cfg.SegmentSize < 64<<10 {
		errs = append(errs, fmt.Errorf("segment_size: must be at least 64KiB, got %d", cfg.SegmentSize))
	}
	if cfg.MaxSize > 0 && cfg.MaxSize < 2*cfg.SegmentSize {
		errs = append(errs, fmt.Errorf("max_size: must be 0 or at least twice segment_size (%d), got %d", 2*cfg.SegmentSize, cfg.MaxSize))
	}
	return errors.Join(errs...)
}

// ByteSize is a size in bytes, written as an integer or with a unit: 512KiB, 64MiB, 2GiB, 1GB.
type ByteSize int64

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1},
}

// UnmarshalText parses a size.
func (b *ByteSize) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	mult := int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || (mult > 1 && n > (1<<62)/mult) {
		return fmt.Errorf("invalid size %q: want a non-negative integer with an optional unit (B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)", text)
	}
	*b = ByteSize(n * mult)
	return nil
}
