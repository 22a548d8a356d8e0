package alertprocessor // import "github.com/unified-ot/otelcol-siem/processor/alertprocessor"

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/unified-ot/otelcol-siem/internal/condition"
	"github.com/unified-ot/otelcol-siem/processor/alertprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// maxValueLen bounds a group_by value and an event.id as kept in memory. Longer values are cut
// and suffixed with a hash, so they stay distinct while an attacker sending megabyte user names
// cannot make each of max_groups_per_rule groups megabytes large.
const maxValueLen = 256

// alertProcessor evaluates the rules against every record, passes the records on unchanged and
// appends the alert records it fires to the same batch.
type alertProcessor struct {
	cfg    *Config
	id     component.ID
	next   consumer.Logs
	logger *zap.Logger
	tel    *metadata.Telemetry
	// clock is the processing-time clock (alert ObservedTimestamp, idle expiry, records without
	// any timestamp). Tests replace it.
	clock func() time.Time

	rules     []*ruleState
	ruleAttrs [][]metric.AddOption
	resource  pcommon.Resource // the collector's identity, copied into each alert ResourceLogs

	mu      sync.Mutex // guards everything below and the rule states
	dirty   bool       // state changed since the last checkpoint
	keyBuf  []byte
	valBuf  []string
	condErr []int64
	pending []pendingAlert  // alerts the next consumer refused with a retryable error
	index   condition.Index // rules by the attribute values their conditions require

	client storage.Client
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// compileFunc compiles a rule condition; the factory uses internal/condition.
type compileFunc func(string) (matcher, error)

func newAlertProcessor(cfg *Config, next consumer.Logs, set processor.Settings, compile compileFunc) (*alertProcessor, error) {
	tel, err := metadata.NewTelemetry(set.TelemetrySettings, set.ID)
	if err != nil {
		return nil, fmt.Errorf("creating alert processor telemetry: %w", err)
	}
	p := &alertProcessor{
		cfg:    cfg,
		id:     set.ID,
		next:   next,
		logger: set.Logger,
		tel:    tel,
		clock:  time.Now,
	}
	lateness := int64(cfg.MaxLateness)
	for i := range cfg.Rules {
		rc := cfg.Rules[i]
		m, err := compile(rc.Condition)
		if err != nil {
			return nil, fmt.Errorf("rules[%d] (id %q): condition: %w", i, rc.ID, err)
		}
		cr := &compiledRule{
			index:      i,
			cfg:        rc,
			match:      m,
			cond:       asCondition(m),
			window:     int64(rc.Window),
			lateness:   lateness,
			cooldown:   int64(rc.Cooldown),
			threshold:  rc.Threshold,
			maxEntries: 2 * rc.Threshold,
			idleTTL:    rc.Window + cfg.MaxLateness + rc.Cooldown,
			eventName:  secevent.EventName(secevent.CategoryAlert, rc.ID),
		}
		cr.severityNumber, cr.severityText = severityNumber(rc.Severity)
		p.rules = append(p.rules, newRuleState(cr, cfg.MaxGroupsPerRule, cfg.MaxSampleEventIDs))
		p.ruleAttrs = append(p.ruleAttrs, tel.RuleAttrs(rc.ID))
	}
	p.condErr = make([]int64, len(p.rules))
	// Rules whose condition requires an attribute value (every seed shorthand does) are indexed by
	// it, so a record is tested only against the rules it can satisfy: the non-matching path costs
	// what its candidates cost, not what the rule count does. Matchers that are not
	// condition.Conditions (tests) are always candidates.
	conds := make([]*condition.Condition, len(p.rules))
	for i, rs := range p.rules {
		conds[i] = rs.rule.cond
	}
	p.index = condition.NewIndex(conds)
	p.resource = alertResource(set)
	return p, nil
}

// alertResource is the resource of the alert records: the collector's own service identity, since
// the collector (not the OT service) is what raises the alert.
func alertResource(set processor.Settings) pcommon.Resource {
	res := pcommon.NewResource()
	if set.Resource != (pcommon.Resource{}) {
		set.Resource.CopyTo(res)
	}
	a := res.Attributes()
	if _, ok := a.Get(secevent.KeyServiceName); !ok {
		name := set.BuildInfo.Command
		if name == "" {
			name = "otelcol-siem"
		}
		a.PutStr(secevent.KeyServiceName, name)
	}
	if _, ok := a.Get(secevent.KeyServiceVersion); !ok && set.BuildInfo.Version != "" {
		a.PutStr(secevent.KeyServiceVersion, set.BuildInfo.Version)
	}
	if _, ok := a.Get(secevent.KeyHostName); !ok {
		if h, err := os.Hostname(); err == nil && h != "" {
			a.PutStr(secevent.KeyHostName, h)
		}
	}
	return res
}

// Capabilities: the processor appends alert records to the batch it is given.
func (*alertProcessor) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}

// Start loads the saved state from the storage extension, if one is configured, and starts the
// periodic checkpoint.
func (p *alertProcessor) Start(ctx context.Context, host component.Host) error {
	if p.cfg.Storage == nil {
		return nil
	}
	ext, ok := host.GetExtensions()[*p.cfg.Storage]
	if !ok {
		return fmt.Errorf("storage: extension %q is not configured in the service's extensions", p.cfg.Storage)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return fmt.Errorf("storage: extension %q is not a storage extension", p.cfg.Storage)
	}
	client, err := se.GetClient(ctx, component.KindProcessor, p.id, "")
	if err != nil {
		return fmt.Errorf("storage: getting a client from %q: %w", p.cfg.Storage, err)
	}
	data, err := client.Get(ctx, storageKey)
	if err != nil {
		_ = client.Close(ctx)
		return fmt.Errorf("storage: reading the alert state from %q: %w", p.cfg.Storage, err)
	}
	if data != nil {
		p.mu.Lock()
		res, derr := decodeState(data, p.rules, p.clock().UnixNano())
		p.mu.Unlock()
		if derr != nil {
			// A damaged state file must not stop security monitoring: start with empty windows,
			// say so loudly, and overwrite the file at the next checkpoint.
			p.logger.Error("Discarding saved alert state; windows and open incidents start empty", zap.Error(derr))
			p.mu.Lock()
			for i, rs := range p.rules {
				p.rules[i] = newRuleState(rs.rule, rs.maxGroups, rs.maxSample)
			}
			p.dirty = true
			p.mu.Unlock()
		} else {
			p.logger.Info("Restored alert state", zap.Int("groups", res.groups), zap.Strings("rules_discarded_definition_changed", res.discarded))
		}
	}
	p.client = client
	cctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.wg.Add(1)
	go p.checkpointLoop(cctx)
	return nil
}

func (p *alertProcessor) checkpointLoop(ctx context.Context) {
	defer p.wg.Done()
	t := time.NewTicker(p.cfg.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := p.checkpoint(ctx, false); err != nil {
				p.logger.Warn("Writing the alert state checkpoint failed; will retry", zap.Error(err))
			}
		}
	}
}

// checkpoint writes the state when it changed since the last write (or always, when force).
func (p *alertProcessor) checkpoint(ctx context.Context, force bool) error {
	p.mu.Lock()
	if !p.dirty && !force {
		p.mu.Unlock()
		return nil
	}
	snap := takeSnapshot(p.rules)
	p.dirty = false
	p.mu.Unlock()
	data, err := json.Marshal(snap)
	if err == nil {
		err = p.client.Set(ctx, storageKey, data)
	}
	if err != nil {
		p.mu.Lock()
		p.dirty = true
		p.mu.Unlock()
		p.tel.CheckpointErrors.Add(ctx, 1, p.tel.Attrs...)
	}
	return err
}

// Shutdown stops the checkpoint loop, hands pending alerts to the next consumer (which is still
// running: the collector shuts pipelines down from the receivers on) and saves the state.
func (p *alertProcessor) Shutdown(ctx context.Context) error {
	if p.cancel != nil {
		p.cancel()
		p.wg.Wait()
	}
	var errs []error
	p.mu.Lock()
	pending := p.pending
	p.pending = nil
	p.mu.Unlock()
	if len(pending) > 0 {
		ld := plog.NewLogs()
		p.appendAlerts(ld, pending)
		if err := p.next.ConsumeLogs(ctx, ld); err != nil {
			p.tel.AlertsDropped.Add(ctx, int64(len(pending)), p.tel.Attrs...)
			errs = append(errs, fmt.Errorf("flushing %d pending alerts: %w", len(pending), err))
		}
	}
	if p.client != nil {
		if err := p.checkpoint(ctx, true); err != nil {
			errs = append(errs, fmt.Errorf("saving the alert state: %w", err))
		}
		if err := p.client.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("closing the storage client: %w", err))
		}
		p.client = nil
	}
	return errors.Join(errs...)
}

// pendingAlert is an alert not yet accepted by the next consumer. The record is rebuilt from it on
// every attempt (same event.id), so a batch that carries alerts needs no copy of them.
type pendingAlert struct {
	f        *firing
	observed time.Time
}

// ConsumeLogs evaluates the rules, appends any alerts to ld and passes ld on with the caller's ctx.
func (p *alertProcessor) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	alerts := p.evaluate(ctx, ld)
	if len(alerts) == 0 {
		return p.next.ConsumeLogs(ctx, ld)
	}
	p.appendAlerts(ld, alerts)
	err := p.next.ConsumeLogs(ctx, ld)
	if err == nil {
		return nil
	}
	if consumererror.IsPermanent(err) {
		p.tel.AlertsDropped.Add(ctx, int64(len(alerts)), p.tel.Attrs...)
		p.logger.Error("Next consumer refused a batch carrying alerts permanently; the alerts are lost",
			zap.Int("alerts", len(alerts)), zap.Error(err))
		return err
	}
	p.requeue(ctx, alerts)
	return err
}

// appendAlerts adds one ResourceLogs with the collector's identity holding the alert records.
func (p *alertProcessor) appendAlerts(ld plog.Logs, alerts []pendingAlert) {
	rl := ld.ResourceLogs().AppendEmpty()
	p.resource.CopyTo(rl.Resource())
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(metadata.ScopeName)
	lrs := sl.LogRecords()
	lrs.EnsureCapacity(len(alerts))
	for _, a := range alerts {
		fillAlert(lrs.AppendEmpty(), a.f, a.observed)
	}
}

// requeue keeps refused alerts for the next batch, bounded by max_pending_alerts (oldest dropped).
func (p *alertProcessor) requeue(ctx context.Context, alerts []pendingAlert) {
	p.mu.Lock()
	defer p.mu.Unlock()
	// Refused alerts are older than any queued meanwhile: keep them first.
	p.pending = append(alerts[:len(alerts):len(alerts)], p.pending...)
	if over := len(p.pending) - p.cfg.MaxPendingAlerts; over > 0 {
		p.pending = append([]pendingAlert(nil), p.pending[over:]...)
		p.tel.AlertsDropped.Add(ctx, int64(over), p.tel.Attrs...)
		p.logger.Error("Pending alerts beyond max_pending_alerts dropped", zap.Int("dropped", over))
	}
}

// evaluate runs every rule over ld and returns the alerts to emit, pending ones first.
func (p *alertProcessor) evaluate(ctx context.Context, ld plog.Logs) []pendingAlert {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.clock()
	nowNs := now.UnixNano()
	for _, rs := range p.rules {
		if len(rs.groups) > 0 {
			before := len(rs.groups)
			rs.expire(nowNs)
			if len(rs.groups) != before {
				p.dirty = true
			}
		}
	}

	var fired []*firing
	var cands condition.Candidates
	records := 0
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		res := rl.Resource()
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			records += lrs.Len()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				p.index.Reset(&cands, res, lr)
				for ri, more := cands.Next(); more; ri, more = cands.Next() {
					rs := p.rules[ri]
					var ok bool
					var err error
					if c := rs.rule.cond; c != nil && cands.Listed() {
						// The index already compared the attribute the rule's prefilter is on.
						ok, err = c.MatchListed(res, lr)
					} else {
						ok, err = rs.rule.match.Match(res, lr)
					}
					if err != nil {
						p.condErr[ri]++
						continue
					}
					if !ok {
						continue
					}
					p.dirty = true
					if f := p.observe(rs, res, lr, nowNs); f != nil {
						fired = append(fired, f)
					}
				}
			}
		}
	}

	p.tel.RecordsEvaluated.Add(ctx, int64(records), p.tel.Attrs...)
	for ri, rs := range p.rules {
		if rs.evicted > 0 {
			p.tel.GroupsEvicted.Add(ctx, rs.evicted, p.ruleAttrs[ri]...)
			rs.evicted = 0
		}
		if rs.late > 0 {
			p.tel.RecordsLate.Add(ctx, rs.late, p.ruleAttrs[ri]...)
			rs.late = 0
		}
		if rs.future > 0 {
			p.tel.RecordsFuture.Add(ctx, rs.future, p.ruleAttrs[ri]...)
			rs.future = 0
		}
		if p.condErr[ri] > 0 {
			p.tel.ConditionErrors.Add(ctx, p.condErr[ri], p.ruleAttrs[ri]...)
			p.logger.Debug("Alert rule condition failed to evaluate", zap.String("rule", rs.rule.cfg.ID), zap.Int64("records", p.condErr[ri]))
			p.condErr[ri] = 0
		}
	}

	if len(fired) == 0 && len(p.pending) == 0 {
		return nil
	}
	out := p.pending
	p.pending = nil
	if len(fired) > 0 {
		out = append(make([]pendingAlert, 0, len(out)+len(fired)), out...)
	}
	for _, f := range fired {
		out = append(out, pendingAlert{f: f, observed: now})
		p.tel.AlertsFired.Add(ctx, 1, p.ruleAttrs[f.rule.index]...)
		// Check first: the fields (the group's values above all) are built only when the line is
		// written.
		if ce := p.logger.Check(zap.InfoLevel, "Alert fired"); ce != nil {
			ce.Write(zap.String("rule", f.rule.cfg.ID), zap.String("severity", string(f.rule.cfg.Severity)),
				zap.Strings("group", f.values), zap.Int("count", f.count), zap.String("event.id", f.alertID))
		}
	}
	return out
}

// observe feeds one matching record to a rule.
func (p *alertProcessor) observe(rs *ruleState, res pcommon.Resource, lr plog.LogRecord, nowNs int64) *firing {
	vals := p.valBuf[:0]
	for _, k := range rs.rule.cfg.GroupBy {
		vals = append(vals, boundValue(lookup(res, lr, k)))
	}
	key := appendGroupKey(p.keyBuf[:0], vals)
	p.valBuf, p.keyBuf = vals, key

	t := int64(lr.Timestamp())
	if t == 0 {
		t = int64(lr.ObservedTimestamp())
	}
	if t == 0 {
		t = nowNs
	}
	// A record stamped in the future (a skewed or forged producer clock) would move its group's
	// watermark ahead and make every genuine record of the group "late", blinding the rule for it.
	// Beyond max_lateness ahead of our clock it is counted at our clock's time instead.
	if t > nowNs+rs.rule.lateness {
		t = nowNs
		rs.future++
	}
	g := rs.admit(key, vals, t, nowNs)
	if g == nil {
		return nil
	}
	id := ""
	if v, ok := lr.Attributes().Get(secevent.KeyEventID); ok {
		id = boundValue(v.AsString())
	}
	return rs.count(g, t, id)
}

// lookup reads a group_by key from the record's attributes, else from its resource; a key in
// neither is the value "" (one shared group for "unknown", never an error).
func lookup(res pcommon.Resource, lr plog.LogRecord, key string) string {
	v, ok := lr.Attributes().Get(key)
	if !ok {
		if v, ok = res.Attributes().Get(key); !ok {
			return ""
		}
	}
	if v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return v.AsString()
}

// boundValue caps a value kept in state at maxValueLen bytes, keeping distinct values distinct.
func boundValue(s string) string {
	if len(s) <= maxValueLen {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	cut := maxValueLen - 40
	for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return strings.Clone(s[:cut]) + "...sha256:" + hex.EncodeToString(sum[:15])
}
