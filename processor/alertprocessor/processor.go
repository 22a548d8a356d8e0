package alertprocessor // import "github.com/unified-ot/otelcol-siem/processor/alertprocessor"

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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

	"github.com/unified-ot/otelcol-siem/internal/collectorresource"
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

	rules       []*ruleRuntime
	ruleAttrs   [][]metric.AddOption
	ruleObserve []metric.ObserveOption
	resource    pcommon.Resource // the collector's identity, copied into each alert ResourceLogs

	mu      sync.Mutex // guards everything below and the rule states
	dirty   bool       // state changed since the last checkpoint
	keyBuf  []byte
	valBuf  []string
	condErr []int64
	future  []int64         // per rule: records stamped beyond max_lateness ahead, since the last flush
	obs     observation     // reused by observe, so that feeding a record allocates nothing
	pending []pendingAlert  // alerts the next consumer refused with a retryable error
	index   condition.Index // rules by the attribute values their conditions require

	client storage.Client
	cancel context.CancelFunc
	wg     sync.WaitGroup
	reg    metric.Registration // the gauge callback, between Start and Shutdown
}

// ruleRuntime is one configured rule: what all kinds share, and its kind's evaluator.
type ruleRuntime struct {
	rule *compiledRule
	eval evaluator
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
	lim := limits{maxGroups: cfg.MaxGroupsPerRule, maxSample: cfg.MaxSampleEventIDs}
	for i := range cfg.Rules {
		rc := cfg.Rules[i]
		kind, ok := kinds[rc.kindName()]
		if !ok {
			return nil, fmt.Errorf("rules[%d] (id %q): kind: unknown rule kind %q (known: %s)", i, rc.ID, rc.kindName(), kindNames())
		}
		m, err := compile(rc.Condition)
		if err != nil {
			return nil, fmt.Errorf("rules[%d] (id %q): condition: %w", i, rc.ID, err)
		}
		cr := &compiledRule{
			index:      i,
			kind:       kind,
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
		p.rules = append(p.rules, &ruleRuntime{rule: cr, eval: kind.newEvaluator(cr, lim)})
		p.ruleAttrs = append(p.ruleAttrs, tel.RuleAttrs(rc.ID))
		p.ruleObserve = append(p.ruleObserve, tel.RuleObserveAttrs(rc.ID))
	}
	p.condErr = make([]int64, len(p.rules))
	p.future = make([]int64, len(p.rules))
	// Rules whose condition requires an attribute value (every seed shorthand does) are indexed by
	// it, so a record is tested only against the rules it can satisfy: the non-matching path costs
	// what its candidates cost, not what the rule count does. Matchers that are not
	// condition.Conditions (tests) are always candidates.
	conds := make([]*condition.Condition, len(p.rules))
	for i, rs := range p.rules {
		conds[i] = rs.rule.cond
	}
	p.index = condition.NewIndex(conds)
	p.resource = collectorresource.New(set.TelemetrySettings, set.BuildInfo)
	return p, nil
}

// Capabilities: the processor appends alert records to the batch it is given.
func (*alertProcessor) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: true}
}

// Start loads the saved state from the storage extension, if one is configured, and starts the
// timer (rule ticks, pending alert retries and the periodic checkpoint).
func (p *alertProcessor) Start(ctx context.Context, host component.Host) error {
	if p.cfg.Storage != nil {
		if err := p.loadState(ctx, host); err != nil {
			return err
		}
	}
	reg, err := p.tel.RegisterCallback(p.observeGauges)
	if err != nil {
		return fmt.Errorf("registering the alert processor's gauges: %w", err)
	}
	p.reg = reg
	cctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.wg.Add(1)
	go p.timerLoop(cctx)
	return nil
}

// observeGauges reports the silent groups of every rule whose kind has them. It takes no lock (the
// evaluators keep the value atomically; p.rules does not change after Start), so a metrics
// collection never waits for a batch.
func (p *alertProcessor) observeGauges(_ context.Context, o metric.Observer) error {
	for ri, rs := range p.rules {
		if g, ok := rs.eval.(silentGauge); ok {
			o.ObserveInt64(p.tel.GroupsSilent, g.silentGroups(), p.ruleObserve[ri])
		}
	}
	return nil
}

// loadState opens the storage client and restores the saved state.
func (p *alertProcessor) loadState(ctx context.Context, host component.Host) error {
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
			lim := limits{maxGroups: p.cfg.MaxGroupsPerRule, maxSample: p.cfg.MaxSampleEventIDs}
			for _, rs := range p.rules {
				rs.eval = rs.rule.kind.newEvaluator(rs.rule, lim)
			}
			p.dirty = true
			p.mu.Unlock()
		} else {
			p.logger.Info("Restored alert state", zap.Int("groups", res.groups), zap.Strings("rules_discarded_definition_changed", res.discarded))
		}
	}
	p.client = client
	return nil
}

// timerLoop is the one goroutine of the processor: every tick_interval it runs the rules' ticks
// (alerts that no record triggers, e.g. silence) and retries pending alerts; every
// checkpoint_interval it writes the state when storage is configured.
func (p *alertProcessor) timerLoop(ctx context.Context) {
	defer p.wg.Done()
	tick := time.NewTicker(p.cfg.TickInterval)
	defer tick.Stop()
	var checkpointC <-chan time.Time
	if p.client != nil {
		t := time.NewTicker(p.cfg.CheckpointInterval)
		defer t.Stop()
		checkpointC = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			p.tickOnce(ctx)
		case <-checkpointC:
			if err := p.checkpoint(ctx, false); err != nil {
				p.logger.Warn("Writing the alert state checkpoint failed; will retry", zap.Error(err))
			}
		}
	}
}

// tickOnce runs the rules' ticks and, when they fired or alerts are pending, hands the alerts to
// the next consumer in a batch of their own. The state is changed under the lock (as on the batch
// path); the next consumer is called outside it. A refused hand-over is counted and the alerts
// stay pending: they go out with the next batch or the next tick, whichever comes first.
func (p *alertProcessor) tickOnce(ctx context.Context) {
	p.mu.Lock()
	now := p.clock()
	fired := p.tickRules(now.UnixNano())
	alerts := p.takeAlerts(ctx, fired, now)
	p.flushCountersLocked(ctx)
	p.mu.Unlock()
	if len(alerts) == 0 {
		return
	}
	ld := plog.NewLogs()
	p.appendAlerts(ld, alerts)
	err := p.next.ConsumeLogs(ctx, ld)
	if err == nil {
		p.tel.TimerAlerts.Add(ctx, int64(len(alerts)), p.tel.Attrs...)
		return
	}
	p.tel.TimerSendFailures.Add(ctx, 1, p.tel.Attrs...)
	if consumererror.IsPermanent(err) {
		p.tel.AlertsDropped.Add(ctx, int64(len(alerts)), p.tel.Attrs...)
		p.logger.Error("Next consumer refused timer alerts permanently; the alerts are lost",
			zap.Int("alerts", len(alerts)), zap.Error(err))
		return
	}
	p.logger.Warn("Next consumer refused timer alerts; retrying at the next tick or batch",
		zap.Int("alerts", len(alerts)), zap.Error(err))
	p.requeue(ctx, alerts)
}

// tickRules runs every rule's tick at processing time now; the caller holds p.mu.
func (p *alertProcessor) tickRules(now int64) []*firing {
	var fired []*firing
	for _, rs := range p.rules {
		f, changed := rs.eval.tick(now)
		fired = append(fired, f...)
		if changed || len(f) > 0 {
			p.dirty = true
		}
	}
	return fired
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

// Shutdown stops the timer, hands pending alerts to the next consumer (which is still
// running: the collector shuts pipelines down from the receivers on) and saves the state.
func (p *alertProcessor) Shutdown(ctx context.Context) error {
	if p.cancel != nil {
		p.cancel()
		p.wg.Wait()
	}
	var errs []error
	if p.reg != nil {
		if err := p.reg.Unregister(); err != nil {
			errs = append(errs, fmt.Errorf("unregistering the gauges: %w", err))
		}
		p.reg = nil
	}
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
	fired := p.tickRules(nowNs)

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
					if f := p.observe(ri, rs, res, lr, nowNs); f != nil {
						fired = append(fired, f)
					}
				}
			}
		}
	}

	p.tel.RecordsEvaluated.Add(ctx, int64(records), p.tel.Attrs...)
	p.flushCountersLocked(ctx)
	return p.takeAlerts(ctx, fired, now)
}

// flushCountersLocked records the counts the rules gathered since the last flush.
func (p *alertProcessor) flushCountersLocked(ctx context.Context) {
	for ri, rs := range p.rules {
		c := rs.eval.drain()
		if c.evicted > 0 {
			p.tel.GroupsEvicted.Add(ctx, c.evicted, p.ruleAttrs[ri]...)
		}
		if c.refused > 0 {
			p.tel.GroupsRefused.Add(ctx, c.refused, p.ruleAttrs[ri]...)
		}
		if c.late > 0 {
			p.tel.RecordsLate.Add(ctx, c.late, p.ruleAttrs[ri]...)
		}
		if p.future[ri] > 0 {
			p.tel.RecordsFuture.Add(ctx, p.future[ri], p.ruleAttrs[ri]...)
			p.future[ri] = 0
		}
		if p.condErr[ri] > 0 {
			p.tel.ConditionErrors.Add(ctx, p.condErr[ri], p.ruleAttrs[ri]...)
			p.logger.Debug("Alert rule condition failed to evaluate", zap.String("rule", rs.rule.cfg.ID), zap.Int64("records", p.condErr[ri]))
			p.condErr[ri] = 0
		}
	}
}

// takeAlerts returns the pending alerts followed by the newly fired ones, which it counts and
// logs, and empties the pending list; the caller holds p.mu.
func (p *alertProcessor) takeAlerts(ctx context.Context, fired []*firing, now time.Time) []pendingAlert {
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
			severity := f.rule.cfg.Severity
			if f.severity != "" {
				severity = f.severity
			}
			ce.Write(zap.String("rule", f.rule.cfg.ID), zap.String("kind", f.rule.cfg.kindName()), zap.String("action", f.action),
				zap.String("severity", string(severity)),
				zap.Strings("group", f.values), zap.Int("count", f.count), zap.String("event.id", f.alertID))
		}
	}
	return out
}

// observe computes what every kind needs of one matching record (its group and event time) and
// feeds it to the rule's evaluator.
func (p *alertProcessor) observe(ri int, rs *ruleRuntime, res pcommon.Resource, lr plog.LogRecord, nowNs int64) *firing {
	vals := p.valBuf[:0]
	for _, k := range rs.rule.cfg.GroupBy {
		v, _ := lookup(res, lr, k) // a record without the key groups under ""
		vals = append(vals, boundValue(v))
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
		p.future[ri]++
	}
	p.obs = observation{res: res, lr: lr, key: key, values: vals, t: t, now: nowNs}
	return rs.eval.observe(&p.obs)
}

// lookup reads key from the record's attributes, else from its resource, and says whether either
// has it (a group_by key in neither is the value "": one shared group for "unknown").
func lookup(res pcommon.Resource, lr plog.LogRecord, key string) (string, bool) {
	v, ok := lr.Attributes().Get(key)
	if !ok {
		if v, ok = res.Attributes().Get(key); !ok {
			return "", false
		}
	}
	if v.Type() == pcommon.ValueTypeStr {
		return v.Str(), true
	}
	return v.AsString(), true
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
