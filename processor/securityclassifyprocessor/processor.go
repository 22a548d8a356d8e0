package securityclassifyprocessor // import "github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor"

import (
	"context"
	"math/bits"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processorhelper"
	"go.opentelemetry.io/otel/metric"

	"github.com/unified-ot/otelcol-siem/internal/condition"
	"github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// keyKind says what the processor does with an attribute key it meets on a record.
type keyKind uint8

const (
	kindAlias       keyKind = iota + 1 // an alias of a canonical attribute key
	kindAliasRes                       // an alias of a resource key (host.name, service.name, ...)
	kindAliasBody                      // an alias of the body (message, msg)
	kindAliasSev                       // an alias of the severity (severity, levelname)
	kindResourceKey                    // a canonical resource key carried on the record
)

type keyInfo struct {
	kind   keyKind
	target string
	typ    secevent.Type // the target field's type, for coercing the alias value
}

// maxAliasHits is the number of aliased keys per record handled in a stack array; more spill to
// the heap.
const maxAliasHits = 16

// categories indexes the schema's categories for per-batch counters (arrays of numCategories).
var categories = secevent.Categories()

const numCategories = 9

func init() {
	if len(categories) != numCategories {
		panic("securityclassifyprocessor: the schema's category count changed; update numCategories")
	}
}

func categoryIndex(c secevent.Category) int {
	for i, x := range categories {
		if x == c {
			return i
		}
	}
	return len(categories) - 1
}

var sources = []secevent.ClassificationSource{secevent.ClassifiedByProducer, secevent.ClassifiedByRule, secevent.ClassifiedByKeyword, secevent.ClassifiedByDefault}

// batchStats are the per-batch counts, added to the metrics once per batch.
type batchStats struct {
	classified [4][numCategories]int64 // [source][category]
	dropped    [numCategories]int64    // [category]
	condErrors []int64                 // [rule]
	promote    resPairs                // the resource values of the record being promoted
}

type classifier struct {
	keys      map[string]keyInfo
	keyFilter keyFilter         // a cheap negative test before a keys lookup
	resAlias  map[string]string // resource attribute alias -> canonical resource key
	keepOrig  bool
	placeTgt  bool
	promote   bool
	rules     []rule
	index     condition.Index
	keywords  *keywordMatcher
	floor     floor
	eventName [numCategories]map[string]string // [category] action -> EventName, precomputed so that setting it does not allocate

	// tel and, precomputed so that recording a batch does not build attribute sets, the options
	// of every series.
	tel            *metadata.Telemetry
	classifiedOpts [4][numCategories][]metric.AddOption // [source][category]
	droppedOpts    [numCategories][]metric.AddOption    // [category]
	ruleOpts       [][]metric.AddOption                 // [rule]
}

func newClassifier(cfg *Config, set processor.Settings) (*classifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &classifier{
		keys:     map[string]keyInfo{},
		resAlias: map[string]string{},
		keepOrig: cfg.KeepOriginalKeys,
		placeTgt: cfg.PlaceTarget,
		promote:  cfg.PromoteResourceAttributes,
	}
	for alias, target := range cfg.Aliases {
		if target == "" {
			continue
		}
		f, _ := secevent.FieldByKey(target)
		switch {
		case target == targetBody:
			c.keys[alias] = keyInfo{kind: kindAliasBody, target: target}
		case target == targetSeverity:
			c.keys[alias] = keyInfo{kind: kindAliasSev, target: target}
		case f.Place == secevent.PlaceResource:
			c.keys[alias] = keyInfo{kind: kindAliasRes, target: target, typ: f.Type}
			c.resAlias[alias] = target
		default:
			c.keys[alias] = keyInfo{kindAlias, target, f.Type}
		}
	}
	if c.promote {
		for _, f := range secevent.Fields {
			if f.Place == secevent.PlaceResource {
				if _, isAlias := c.keys[f.Key]; !isAlias {
					c.keys[f.Key] = keyInfo{kind: kindResourceKey, target: f.Key, typ: f.Type}
				}
			}
		}
	}
	avoid := append([]string(nil), commonRecordKeys...)
	for _, f := range secevent.Fields {
		avoid = append(avoid, f.Key)
	}
	c.keyFilter = newKeyFilter(c.keys, avoid)
	for i, r := range cfg.Rules {
		cr, err := compileRule(i, r)
		if err != nil {
			return nil, err
		}
		c.rules = append(c.rules, cr)
	}
	c.index = newRuleIndex(c.rules)
	kw, err := newKeywordMatcher(cfg.Keywords)
	if err != nil {
		return nil, err
	}
	c.keywords = kw
	if c.floor, err = newFloor(cfg.SeverityFloor); err != nil {
		return nil, err
	}
	actions := []string{"", secevent.ActionLogin, secevent.ActionLogout, secevent.ActionAccess, secevent.ActionPrivilegedOperation,
		secevent.ActionModifyConfig, secevent.ActionAdd, secevent.ActionModify, secevent.ActionDelete, secevent.ActionConnect,
		secevent.ActionCircuitBreakerOpen, secevent.ActionCredentialAccess, secevent.ActionCredentialUpdate, secevent.ActionNetworkScan}
	for _, r := range cfg.Rules {
		if a, ok := r.Set[secevent.KeyAction]; ok {
			actions = append(actions, a)
		}
	}
	for i, cat := range categories {
		c.eventName[i] = map[string]string{}
		for _, a := range actions {
			c.eventName[i][a] = secevent.EventName(cat, a)
		}
	}
	if c.tel, err = metadata.NewTelemetry(set.TelemetrySettings, set.ID); err != nil {
		return nil, err
	}
	for si, s := range sources {
		for ci, cat := range categories {
			c.classifiedOpts[si][ci] = c.tel.ClassifiedAttrs(string(s), string(cat))
		}
	}
	for ci, cat := range categories {
		c.droppedOpts[ci] = c.tel.DroppedAttrs(string(cat))
	}
	for _, r := range c.rules {
		c.ruleOpts = append(c.ruleOpts, c.tel.RuleAttrs(r.id))
	}
	return c, nil
}

// record adds a batch's counts to the metrics.
func (c *classifier) record(ctx context.Context, st *batchStats) {
	for si := range st.classified {
		for ci, n := range st.classified[si] {
			if n != 0 {
				c.tel.RecordsClassified.Add(ctx, n, c.classifiedOpts[si][ci]...)
			}
		}
	}
	for ci, n := range st.dropped {
		if n != 0 {
			c.tel.RecordsDropped.Add(ctx, n, c.droppedOpts[ci]...)
		}
	}
	for i, n := range st.condErrors {
		if n != 0 {
			c.tel.ConditionErrors.Add(ctx, n, c.ruleOpts[i]...)
		}
	}
}

func (c *classifier) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	st := batchStats{condErrors: make([]int64, len(c.rules))}
	rls := ld.ResourceLogs()
	var pr *promoter
	n := rls.Len()
	for i := 0; i < n; i++ {
		rl := rls.At(i)
		res := rl.Resource()
		c.normaliseResource(res)
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			sl := sls.At(j)
			sl.LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
				keep, promote := c.processRecord(res, lr, &st)
				if !keep {
					return true
				}
				if promote {
					if pr == nil {
						pr = &promoter{logs: ld, groups: map[string]plog.ScopeLogs{}}
					}
					pr.move(i, j, rl, sl, lr, &st.promote)
					return true
				}
				return false
			})
		}
		sls.RemoveIf(func(sl plog.ScopeLogs) bool { return sl.LogRecords().Len() == 0 })
	}
	rls.RemoveIf(func(rl plog.ResourceLogs) bool { return rl.ScopeLogs().Len() == 0 })
	c.record(ctx, &st)
	if rls.Len() == 0 {
		return ld, processorhelper.ErrSkipProcessingData
	}
	return ld, nil
}

// normaliseResource maps resource attribute aliases (e.g. a resource attribute `hostname`) to the
// canonical resource keys.
func (c *classifier) normaliseResource(res pcommon.Resource) {
	if len(c.resAlias) == 0 {
		return
	}
	attrs := res.Attributes()
	var buf [maxAliasHits]string
	hits := buf[:0]
	for k := range attrs.All() {
		if _, ok := c.resAlias[k]; ok {
			hits = append(hits, k)
		}
	}
	for _, alias := range hits {
		target := c.resAlias[alias]
		v, _ := attrs.Get(alias)
		if _, exists := attrs.Get(target); !exists {
			v.CopyTo(attrs.PutEmpty(target))
		}
		if !c.keepOrig {
			attrs.Remove(alias)
		}
	}
}

// processRecord normalises, classifies and applies the severity floor to one record. keep is false
// when the floor drops it; promote is true when it carries resource attributes that differ from
// its resource's.
func (c *classifier) processRecord(res pcommon.Resource, lr plog.LogRecord, st *batchStats) (keep, promote bool) {
	attrs := lr.Attributes()
	var rp resPairs
	seen := c.normaliseAttributes(lr, attrs, &rp)

	// Outcome: schema words only.
	if v, ok := attrs.Get(secevent.KeyOutcome); ok && v.Type() == pcommon.ValueTypeStr && !secevent.Outcome(v.Str()).Valid() {
		word := v.Str()
		o, _ := secevent.NormalizeOutcome(word)
		if o == secevent.OutcomeUnknown {
			// Keep the producer's word under the seed's key, unless it is there already.
			if _, ok := attrs.Get("result"); !ok {
				attrs.PutStr("result", word)
			}
		}
		v.SetStr(string(o))
	}

	// Classification: (1) producer, (2) rules, (3) keywords, (4) default.
	var cat secevent.Category
	source := secevent.ClassifiedByDefault
	var matched *rule
	upstream := false
	cv, hasCat := attrs.Get(secevent.KeyCategory)
	producerCat := hasCat && cv.Type() == pcommon.ValueTypeStr && secevent.Category(cv.Str()).Valid()
	if producerCat {
		cat, source = secevent.Category(cv.Str()), secevent.ClassifiedByProducer
		// A record classified by an upstream security_classify (an edge collector forwarding to a
		// central one) keeps that audit trail: its source and rule are not rewritten.
		if seen.source {
			if sv, ok := attrs.Get(secevent.KeyClassificationSource); ok && sv.Type() == pcommon.ValueTypeStr && validSource(sv.Str()) {
				source, upstream = secevent.ClassificationSource(sv.Str()), true
			}
		}
	} else {
		if matched = firstMatch(&c.index, c.rules, res, lr, st); matched != nil {
			cat, source = matched.category, secevent.ClassifiedByRule
		}
		if matched == nil {
			if kc, ok := c.keywords.match(bodyString(lr)); ok {
				cat, source = kc, secevent.ClassifiedByKeyword
			} else {
				cat = secevent.CategoryOperational
			}
		}
	}
	// The keys added below, reserved in one step: appending them one by one would grow the
	// record's attribute slice by doubling (a 16-slot copy for a 9th key) instead of to the size
	// it ends at. The count is exact for the common paths and an upper bound otherwise.
	add := 0
	if !hasCat {
		add++
	}
	if !upstream && !seen.source {
		add++
	}
	if matched != nil {
		add += 1 + len(matched.set)
	}
	if c.placeTgt && seen.target {
		add += 2 // the placed key and server.port
	}
	if add > 0 {
		attrs.EnsureCapacity(attrs.Len() + add)
	}
	if !producerCat {
		attrs.PutStr(secevent.KeyCategory, string(cat))
	}
	if !upstream {
		attrs.PutStr(secevent.KeyClassificationSource, string(source))
	}
	if matched != nil {
		attrs.PutStr(secevent.KeyClassificationRule, matched.id)
		for _, kv := range matched.set {
			if _, ok := attrs.Get(kv[0]); !ok {
				attrs.PutStr(kv[0], kv[1])
			}
		}
		if matched.severity > lr.SeverityNumber() {
			// The producer's SeverityText (e.g. the syslog receiver's "info") is kept: it records
			// what the device said; the number is what the floor and the exporters use.
			lr.SetSeverityNumber(matched.severity)
			if lr.SeverityText() == "" {
				lr.SetSeverityText(severityText(matched.severity))
			}
		}
	} else if !upstream && seen.rule {
		attrs.Remove(secevent.KeyClassificationRule)
	}

	// A rule's set may have added target.
	if c.placeTgt && (seen.target || matched != nil) {
		c.placeTarget(cat, attrs)
	}

	ci := categoryIndex(cat)
	if lr.EventName() == "" {
		action := ""
		if v, ok := attrs.Get(secevent.KeyAction); ok && v.Type() == pcommon.ValueTypeStr {
			action = v.Str()
		}
		name, ok := c.eventName[ci][action]
		if !ok {
			name = secevent.EventName(cat, action)
		}
		lr.SetEventName(name)
	}

	st.classified[sourceIndex(source)][ci]++
	outcome := ""
	if v, ok := attrs.Get(secevent.KeyOutcome); ok && v.Type() == pcommon.ValueTypeStr {
		outcome = v.Str()
	}
	if lr.SeverityNumber() < c.floor.minFor(cat, outcome) {
		st.dropped[ci]++
		return false, false
	}
	if rp.n > 0 {
		promote = c.needsPromotion(res, attrs, &rp)
		if promote {
			st.promote = rp
		}
	}
	return true, promote
}

func validSource(s string) bool {
	for _, x := range sources {
		if string(x) == s {
			return true
		}
	}
	return false
}

func sourceIndex(s secevent.ClassificationSource) int {
	for i, x := range sources {
		if x == s {
			return i
		}
	}
	return len(sources) - 1
}

// resPair says where on a record the value of a resource key is: under the canonical key itself or
// under an alias (e.g. the syslog receiver's hostname for host.name).
type resPair struct {
	canon, recKey string
}

// resPairs are a record's resource values, at most one per schema resource key.
type resPairs struct {
	n int
	p [len(resourceFieldKeys)]resPair
}

func (rp *resPairs) add(canon, recKey string) {
	for i := 0; i < rp.n; i++ {
		if rp.p[i].canon == canon {
			if recKey == canon {
				rp.p[i].recKey = recKey // the canonical key beats an alias
			}
			return
		}
	}
	if rp.n < len(rp.p) {
		rp.p[rp.n] = resPair{canon, recKey}
		rp.n++
	}
}

type aliasHit struct {
	key  string
	info keyInfo
}

// seenKeys says which of the keys processRecord acts on a record carries, as the one walk over its
// attributes found them, so that processRecord does not search the attributes for keys that are
// not there.
type seenKeys struct {
	source, rule, target bool
}

// normaliseAttributes maps aliases to canonical keys, collects where the record's resource
// values are (for promotion), and reports which keys processRecord acts on the record carries.
func (c *classifier) normaliseAttributes(lr plog.LogRecord, attrs pcommon.Map, rp *resPairs) (seen seenKeys) {
	for k := range attrs.All() {
		switch len(k) {
		case len(secevent.KeyClassificationSource):
			seen.source = seen.source || k == secevent.KeyClassificationSource
		case len(secevent.KeyClassificationRule):
			seen.rule = seen.rule || k == secevent.KeyClassificationRule
		case len(keyTarget):
			seen.target = seen.target || k == keyTarget
		}
		if !c.keyFilter.mayContain(k) { // most keys: decided here, without a call
			continue
		}
		if _, ok := c.aliasOf(k, rp); !ok {
			continue
		}
		// The record carries an alias: normaliseAliases walks the attributes again with the list
		// of hits it needs (a record from secevent carries none and does not pay for the list).
		c.normaliseAliases(lr, attrs, rp)
		// Copies under canonical keys may add any of the keys: processRecord searches for each.
		return seenKeys{source: true, rule: true, target: true}
	}
	return seen
}

// aliasOf reports whether record key k (one the key filter let through) is an alias to normalise,
// and what it maps to. A canonical resource key carried on the record is added to rp instead (and
// reported false): both walks over a record's attributes collect those.
func (c *classifier) aliasOf(k string, rp *resPairs) (keyInfo, bool) {
	ki, ok := c.keys[k]
	if !ok {
		return keyInfo{}, false
	}
	if ki.kind == kindResourceKey {
		rp.add(k, k)
		return keyInfo{}, false
	}
	return ki, true
}

// normaliseAliases maps the aliases on a record to canonical keys and collects where its resource
// values are (adding a pair normaliseAttributes added already changes nothing).
func (c *classifier) normaliseAliases(lr plog.LogRecord, attrs pcommon.Map, rp *resPairs) {
	var buf [maxAliasHits]aliasHit
	hits := buf[:0]
	for k := range attrs.All() {
		if !c.keyFilter.mayContain(k) {
			continue
		}
		ki, ok := c.aliasOf(k, rp)
		if !ok {
			continue
		}
		hits = append(hits, aliasHit{k, ki}) // beyond maxAliasHits this spills to the heap: rare
	}
	for _, h := range hits {
		alias, ki := h.key, h.info
		v, ok := attrs.Get(alias)
		if !ok {
			continue
		}
		removable := !c.keepOrig
		switch ki.kind {
		case kindAliasRes:
			if c.promote && c.keepOrig {
				// Promotion reads the value under the alias: no copy on the record, which would
				// only be removed again (and grow the attribute slice).
				rp.add(ki.target, alias)
				break
			}
			if _, exists := attrs.Get(ki.target); !exists {
				v.CopyTo(attrs.PutEmpty(ki.target))
			}
			if c.promote {
				rp.add(ki.target, ki.target)
			}
		case kindAlias:
			if _, exists := attrs.Get(ki.target); !exists {
				putTyped(attrs, ki.target, ki.typ, v)
				if ki.target == secevent.KeyOutcome {
					removable = removable && c.normaliseOutcomeFrom(attrs)
				}
			}
		case kindAliasBody:
			c.aliasBody(lr, v)
		case kindAliasSev:
			c.aliasSeverity(lr, v)
		}
		if removable {
			attrs.Remove(alias)
		}
	}
}

// keyTarget is the seed's target attribute, which placeTarget moves to a schema key.
const keyTarget = "target"

// normaliseOutcomeFrom normalises a just-copied event.outcome; it reports whether the alias can be
// removed (not when the word is unknown: the schema keeps the producer's word under its key).
func (c *classifier) normaliseOutcomeFrom(attrs pcommon.Map) bool {
	v, _ := attrs.Get(secevent.KeyOutcome)
	if v.Type() != pcommon.ValueTypeStr {
		v.SetStr(v.AsString())
	}
	o, known := secevent.NormalizeOutcome(v.Str())
	v.SetStr(string(o))
	return known
}

// aliasBody makes the message the body when the body is empty, or when the body is the raw line the
// message was parsed from (it ends with the message: the syslog receiver's body is the whole line
// and its `message` attribute the MSG part). A body the producer wrote itself is left alone.
func (c *classifier) aliasBody(lr plog.LogRecord, v pcommon.Value) {
	if v.Type() != pcommon.ValueTypeStr || v.Str() == "" {
		return
	}
	b := lr.Body()
	switch b.Type() {
	case pcommon.ValueTypeEmpty:
		b.SetStr(v.Str())
	case pcommon.ValueTypeStr:
		if s := b.Str(); s != v.Str() && strings.HasSuffix(s, v.Str()) {
			b.SetStr(v.Str())
		}
	}
}

// aliasSeverity sets the SeverityNumber from a level name when the record has none.
func (c *classifier) aliasSeverity(lr plog.LogRecord, v pcommon.Value) {
	if lr.SeverityNumber() != plog.SeverityNumberUnspecified || v.Type() != pcommon.ValueTypeStr {
		return
	}
	if s, ok := severityNames[strings.ToUpper(v.Str())]; ok && s != 0 {
		lr.SetSeverityNumber(s)
		if lr.SeverityText() == "" {
			lr.SetSeverityText(severityText(s))
		}
	}
}

// placeTarget moves the seed's `target` to the key secevent.PlaceTarget chooses.
func (c *classifier) placeTarget(cat secevent.Category, attrs pcommon.Map) {
	v, ok := attrs.Get(keyTarget)
	if !ok {
		return
	}
	p := secevent.PlaceTarget(cat, v.AsString())
	if _, exists := attrs.Get(p.Key); !exists {
		attrs.PutStr(p.Key, p.Value)
		if p.Port != 0 {
			if _, exists := attrs.Get(secevent.KeyServerPort); !exists {
				attrs.PutInt(secevent.KeyServerPort, int64(p.Port))
			}
		}
	}
	if !c.keepOrig {
		attrs.Remove(keyTarget)
	}
}

// needsPromotion reports whether the record carries resource values its resource does not have.
// When it does not, the record's canonical copies equal the resource's and are removed as redundant
// (aliases stay, as sent).
func (c *classifier) needsPromotion(res pcommon.Resource, attrs pcommon.Map, rp *resPairs) bool {
	ra := res.Attributes()
	for i := 0; i < rp.n; i++ {
		v, ok := attrs.Get(rp.p[i].recKey)
		if !ok {
			continue
		}
		if rv, ok := ra.Get(rp.p[i].canon); !ok || !rv.Equal(v) {
			return true
		}
	}
	for i := 0; i < rp.n; i++ {
		if rp.p[i].recKey == rp.p[i].canon {
			attrs.Remove(rp.p[i].canon)
		}
	}
	return false
}

// promoter moves records whose resource attributes differ from their resource's into new
// ResourceLogs, one per (original resource, scope, values).
type promoter struct {
	logs   plog.Logs
	groups map[string]plog.ScopeLogs
}

func (p *promoter) move(ri, si int, rl plog.ResourceLogs, sl plog.ScopeLogs, lr plog.LogRecord, rp *resPairs) {
	attrs := lr.Attributes()
	var vals [len(resourceFieldKeys)]pcommon.Value
	var present [len(resourceFieldKeys)]bool
	// The group key is built in a stack buffer; the map lookup with string(b) does not allocate,
	// so a record joining an existing group costs no allocation here. Pairs are ordered by the
	// schema's resource keys so that equal value sets give equal keys.
	var buf [256]byte
	b := strconv.AppendInt(buf[:0], int64(ri), 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(si), 10)
	for fi, k := range resourceFieldKeys {
		for i := 0; i < rp.n; i++ {
			if rp.p[i].canon != k {
				continue
			}
			v, ok := attrs.Get(rp.p[i].recKey)
			if !ok {
				break
			}
			vals[fi], present[fi] = v, true
			b = append(b, 0)
			b = append(b, k...)
			b = append(b, 0)
			if v.Type() == pcommon.ValueTypeStr {
				b = append(b, v.Str()...)
			} else {
				b = append(b, v.AsString()...)
			}
		}
	}
	dst, ok := p.groups[string(b)]
	if !ok {
		nrl := p.logs.ResourceLogs().AppendEmpty()
		rl.Resource().CopyTo(nrl.Resource())
		nrl.SetSchemaUrl(rl.SchemaUrl())
		for fi, k := range resourceFieldKeys {
			if present[fi] {
				vals[fi].CopyTo(nrl.Resource().Attributes().PutEmpty(k))
			}
		}
		dst = nrl.ScopeLogs().AppendEmpty()
		sl.Scope().CopyTo(dst.Scope())
		dst.SetSchemaUrl(sl.SchemaUrl())
		p.groups[string(b)] = dst
	}
	// The values now live in the resource; the record keeps only the producer's aliases.
	for i := 0; i < rp.n; i++ {
		if rp.p[i].recKey == rp.p[i].canon {
			attrs.Remove(rp.p[i].canon)
		}
	}
	lr.MoveTo(dst.LogRecords().AppendEmpty())
}

// resourceFieldKeys are the schema's resource keys, in schema order.
var resourceFieldKeys = func() [5]string {
	var out [5]string
	n := 0
	for _, f := range secevent.Fields {
		if f.Place == secevent.PlaceResource {
			out[n] = f.Key
			n++
		}
	}
	if n != len(out) {
		panic("securityclassifyprocessor: the schema's resource fields changed; update resourceFieldKeys")
	}
	return out
}()

func bodyString(lr plog.LogRecord) string {
	b := lr.Body()
	switch b.Type() {
	case pcommon.ValueTypeStr:
		return b.Str()
	case pcommon.ValueTypeEmpty:
		return ""
	}
	return b.AsString()
}

// severityText is OpenTelemetry's short name of a SeverityNumber (WARN, ERROR2, ...).
func severityText(n plog.SeverityNumber) string {
	if n <= 0 || int(n) >= len(severityTexts) {
		return ""
	}
	return severityTexts[n]
}

var severityTexts = func() [25]string {
	var t [25]string
	for name, n := range severityNames {
		// The OpenTelemetry names only (not the seed's WARNING and CRITICAL).
		if name != "WARNING" && name != "CRITICAL" && name != "UNSPECIFIED" {
			t[n] = name
		}
	}
	return t
}()

// keyFilter is a 2048-bit filter over the length and up to 16 bytes (the first and last 8; four of
// a shorter key) of the keys the processor acts on. Most attribute keys of a record
// (event.category, user.name, appname, ...) are not in the alias table; the filter rejects nearly
// all of them without a map lookup. newKeyFilter chooses the hash seed so that the keys records
// carry most (the schema's own, the syslog receiver's) are all rejected: a record from secevent
// then costs no map lookup. The bytes are chosen so that an alias that differs from its canonical
// key in one separator (source_port, source.port) hashes differently.
type keyFilter struct {
	bits [32]uint64
	seed uint64
}

// load64 reads k[i:i+8] as a little-endian word (the compiler makes it one load).
func load64(k string, i int) uint64 {
	_ = k[i+7]
	return uint64(k[i]) | uint64(k[i+1])<<8 | uint64(k[i+2])<<16 | uint64(k[i+3])<<24 |
		uint64(k[i+4])<<32 | uint64(k[i+5])<<40 | uint64(k[i+6])<<48 | uint64(k[i+7])<<56
}

func (f *keyFilter) hash(k string) uint64 {
	n := len(k)
	x := f.seed ^ uint64(n)*0x9E3779B97F4A7C15
	if n >= 8 {
		x ^= load64(k, 0) ^ bits.RotateLeft64(load64(k, n-8), 29)
	} else if n > 0 {
		x ^= uint64(k[0]) | uint64(k[n/3])<<8 | uint64(k[n/2])<<16 | uint64(k[n-1])<<24
	}
	return (x * 0x94D049BB133111EB) >> 53 // 11 bits
}

func (f *keyFilter) add(k string) { h := f.hash(k); f.bits[h>>6] |= 1 << (h & 63) }

func (f *keyFilter) mayContain(k string) bool { h := f.hash(k); return f.bits[h>>6]&(1<<(h&63)) != 0 }

// commonRecordKeys are attribute keys records often carry that are not schema keys: the syslog
// receiver's.
var commonRecordKeys = []string{"appname", "hostname", "proc_id", "msg_id", "priority", "facility", "facility_text",
	"version", "structured_data", "message", "timestamp", "log.file.name", "log.iostream"}

// newKeyFilter builds the filter of keys, trying seeds until none of avoid (keys that are not in
// keys) passes it; failing that within a few hundred seeds, it keeps the seed that passes fewest.
func newKeyFilter(keys map[string]keyInfo, avoid []string) keyFilter {
	var best keyFilter
	bestFP := -1
	for seed := 0; seed < 512; seed++ {
		f := keyFilter{seed: uint64(seed) * 0x27D4EB2F165667C5}
		for k := range keys {
			f.add(k)
		}
		fp := 0
		for _, k := range avoid {
			if _, in := keys[k]; !in && f.mayContain(k) {
				fp++
			}
		}
		if bestFP < 0 || fp < bestFP {
			best, bestFP = f, fp
		}
		if fp == 0 {
			break
		}
	}
	return best
}

// putTyped stores v under key as the schema's type for key: a producer that sends the seed's
// user_role as a string, or failure_count as "5", still yields user.roles ["viewer"] and
// event.failure_count 5. A value that does not convert is stored as sent.
func putTyped(attrs pcommon.Map, key string, typ secevent.Type, v pcommon.Value) {
	if v.Type() == pcommon.ValueTypeStr {
		switch typ {
		case secevent.TypeStringSlice:
			attrs.PutEmptySlice(key).AppendEmpty().SetStr(v.Str())
			return
		case secevent.TypeInt:
			if n, err := strconv.ParseInt(strings.TrimSpace(v.Str()), 10, 64); err == nil {
				attrs.PutInt(key, n)
				return
			}
		case secevent.TypeBool:
			if b, err := strconv.ParseBool(strings.TrimSpace(v.Str())); err == nil {
				attrs.PutBool(key, b)
				return
			}
		}
	}
	v.CopyTo(attrs.PutEmpty(key))
}
