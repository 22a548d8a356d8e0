package integrity

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"time"

	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
)

// Defaults of the checkpoint options.
const (
	DefaultCheckpointRecords  = 1000
	DefaultCheckpointInterval = time.Minute
	// MinKeySize is the shortest key accepted: HMAC-SHA256 wants at least its output size.
	MinKeySize = 32
)

// Config is the `integrity:` block of an exporter. Integrity is off while KeyFile is empty.
type Config struct {
	// KeyFile holds the HMAC key: the file's bytes, trailing white space removed, at least
	// MinKeySize of them (e.g. `openssl rand -hex 32`). Read once at start; never logged.
	KeyFile string `mapstructure:"key_file"`
	// CheckpointRecords: a checkpoint record after every this many records.
	CheckpointRecords int `mapstructure:"checkpoint_records"`
	// CheckpointInterval: a checkpoint record at least this often, also when idle, so that a cut
	// tail shows as a missing checkpoint.
	CheckpointInterval time.Duration `mapstructure:"checkpoint_interval"`
	// SequenceID adds RFC 5424 structured data [meta sequenceId="n"] (RFC 5424 7.3.1) to each
	// record's syslog header (cef_syslog with rfc5424 headers only).
	SequenceID bool `mapstructure:"sequence_id"`
}

// DefaultConfig is integrity off, with the default checkpoint options.
func DefaultConfig() Config {
	return Config{CheckpointRecords: DefaultCheckpointRecords, CheckpointInterval: DefaultCheckpointInterval}
}

// Enabled reports whether records are stamped.
func (c *Config) Enabled() bool { return c.KeyFile != "" }

// Validate checks the block against the exporter's sending queue: the sequence state is kept in
// the queue's storage, so integrity without a persistent queue is refused (a sequence restarting
// at every start, or a memory queue losing stamped records on a crash, would prove nothing).
func (c *Config) Validate(queue configoptional.Optional[exporterhelper.QueueBatchConfig]) error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	if c.CheckpointRecords < 1 {
		errs = append(errs, errors.New("integrity::checkpoint_records must be at least 1"))
	}
	if c.CheckpointInterval <= 0 {
		errs = append(errs, errors.New("integrity::checkpoint_interval must be positive"))
	}
	if q := queue.Get(); q == nil || q.StorageID == nil {
		errs = append(errs, errors.New("integrity::key_file is set but sending_queue::storage is not: the sequence state is kept in the persistent queue's storage"))
	}
	return errors.Join(errs...)
}

// ReadKey reads a key file as Config.KeyFile describes.
func ReadKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimRight(b, " \t\r\n")
	if len(b) < MinKeySize {
		return nil, fmt.Errorf("%s: the key must be at least %d bytes (e.g. openssl rand -hex 32)", path, MinKeySize)
	}
	return b, nil
}
