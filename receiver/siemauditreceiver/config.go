package siemauditreceiver // import "github.com/unified-ot/otelcol-siem/receiver/siemauditreceiver"

import (
	"errors"
	"fmt"
	"time"
)

// Config is the siem_audit receiver's configuration.
type Config struct {
	// HeartbeatInterval is the time between two heartbeat records.
	HeartbeatInterval time.Duration `mapstructure:"heartbeat_interval"`
	// UnreachableAfter is how long every send of an exporter must have failed before a
	// destination_unreachable record is written.
	UnreachableAfter time.Duration `mapstructure:"unreachable_after"`
	// ReportInterval is the least time between two records of one kind (queue_filling,
	// records_refused, records_dropped per reason) about one exporter or storage client; what
	// happens in between is counted into the next.
	ReportInterval time.Duration `mapstructure:"report_interval"`
	// QueueFillPercent is the fill level of a sending queue, in percent of its queue_size, at
	// and above which queue_filling records are written.
	QueueFillPercent float64 `mapstructure:"queue_fill_percent"`
	// MaxPendingRecords bounds the audit records kept while the pipeline refuses them (its
	// queues are full); beyond it the oldest are dropped and counted.
	MaxPendingRecords int `mapstructure:"max_pending_records"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// minInterval is the shortest heartbeat_interval, unreachable_after and report_interval: the
// receiver looks at the pipeline at most twice a second.
const minInterval = time.Second

// Validate checks the configuration; every error names its key.
func (c *Config) Validate() error {
	var errs []error
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"heartbeat_interval", c.HeartbeatInterval}, {"unreachable_after", c.UnreachableAfter}, {"report_interval", c.ReportInterval}} {
		if d.v < minInterval {
			errs = append(errs, fmt.Errorf("%s: %v is below the minimum of %v", d.key, d.v, minInterval))
		}
	}
	if !(c.QueueFillPercent > 0 && c.QueueFillPercent <= 100) {
		errs = append(errs, fmt.Errorf("queue_fill_percent: %v is not in (0, 100]", c.QueueFillPercent))
	}
	if c.MaxPendingRecords < 1 {
		errs = append(errs, fmt.Errorf("max_pending_records: %d is below 1", c.MaxPendingRecords))
	}
	return errors.Join(errs...)
}
