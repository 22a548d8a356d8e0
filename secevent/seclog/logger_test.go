package seclog

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// memExporter is an in-memory sdklog.Exporter: it keeps a clone of every record it is given.
type memExporter struct {
	mu      sync.Mutex
	records []sdklog.Record
}

func (e *memExporter) Export(_ context.Context, rs []sdklog.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range rs {
		e.records = append(e.records, r.Clone())
	}
	return nil
}
func (*memExporter) Shutdown(context.Context) error   { return nil }
func (*memExporter) ForceFlush(context.Context) error { return nil }

func (e *memExporter) all() []sdklog.Record {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]sdklog.Record(nil), e.records...)
}

var testTime = time.Date(2026, 11, 26, 10, 15, 2, 123_000_000, time.UTC)

// newMemLogger returns a Logger whose records land in the returned exporter synchronously.
func newMemLogger(t *testing.T, opts ...Option) (*Logger, *memExporter) {
	t.Helper()
	exp := &memExporter{}
	p := sdklog.NewLoggerProvider(
		sdklog.WithResource(resource.NewSchemaless(attribute.String(secevent.KeyServiceName, "unified-ot-connector"))),
		sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)),
	)
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	opts = append([]Option{WithClock(func() time.Time { return testTime })}, opts...)
	return New(p, opts...), exp
}

// attrMap flattens a record's attributes to Go values for comparison.
func attrMap(r sdklog.Record) map[string]any {
	m := map[string]any{}
	r.WalkAttributes(func(kv attribute.KeyValue) bool {
		switch kv.Value.Type() {
		case attribute.STRING:
			m[string(kv.Key)] = kv.Value.AsString()
		case attribute.INT64:
			m[string(kv.Key)] = kv.Value.AsInt64()
		case attribute.BOOL:
			m[string(kv.Key)] = kv.Value.AsBool()
		case attribute.STRINGSLICE:
			m[string(kv.Key)] = kv.Value.AsStringSlice()
		default:
			m[string(kv.Key)] = kv.Value.String()
		}
		return true
	})
	return m
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

type eventCase struct {
	name  string
	call  func(ctx context.Context, l *Logger) string
	event string
	sev   log.Severity
	body  string
	attrs map[string]any // without event.id, checked separately
}

// seedEvents is every method, called the way the seed's Task 2 call sites would call it.
func seedEvents() []eventCase {
	return []eventCase{
		{"LoginSucceeded", func(ctx context.Context, l *Logger) string {
			return l.LoginSucceeded(ctx, "alice@example.com", "192.168.1.100:52114", true)
		}, "security.authentication.login", log.SeverityInfo1, "User alice@example.com authenticated successfully",
			map[string]any{"event.category": "authentication", "event.action": "login", "event.outcome": "success",
				"user.name": "alice@example.com", "source.address": "192.168.1.100", "source.port": int64(52114), "otsec.auth.mfa_completed": true}},
		{"LoginFailed", func(ctx context.Context, l *Logger) string {
			return l.LoginFailed(ctx, "alice@example.com", "192.168.1.100", ReasonInvalidCredentials)
		}, "security.authentication.login", log.SeverityWarn1, "Failed login attempt for alice@example.com",
			map[string]any{"event.category": "authentication", "event.action": "login", "event.outcome": "failure",
				"user.name": "alice@example.com", "source.address": "192.168.1.100", "event.reason": "invalid_credentials"}},
		{"LoggedOut", func(ctx context.Context, l *Logger) string {
			return l.LoggedOut(ctx, "alice@example.com", "")
		}, "security.authentication.logout", log.SeverityInfo1, "User alice@example.com logged out",
			map[string]any{"event.category": "authentication", "event.action": "logout", "event.outcome": "success",
				"user.name": "alice@example.com"}},
		{"PermissionDenied", func(ctx context.Context, l *Logger) string {
			return l.PermissionDenied(ctx, "bob@example.com", "[fd00::7]:40000", "/api/sources/delete?token=abc", "sources:delete", "viewer")
		}, "security.authorization.access", log.SeverityWarn1, "Permission denied: bob@example.com lacks sources:delete",
			map[string]any{"event.category": "authorization", "event.action": "access", "event.outcome": "denied",
				"user.name": "bob@example.com", "source.address": "fd00::7", "source.port": int64(40000),
				"url.path": "/api/sources/delete", "otsec.authz.permission": "sources:delete", "user.roles": []string{"viewer"}}},
		{"PrivilegedOperation", func(ctx context.Context, l *Logger) string {
			return l.PrivilegedOperation(ctx, "carol@example.com", "", "/api/zerobus/config", "config:write")
		}, "security.authorization.privileged_operation", log.SeverityInfo1, "User carol@example.com performed privileged operation",
			map[string]any{"event.category": "authorization", "event.action": "privileged_operation", "event.outcome": "success",
				"user.name": "carol@example.com", "url.path": "/api/zerobus/config", "otsec.authz.permission": "config:write"}},
		{"ConfigModified", func(ctx context.Context, l *Logger) string {
			return l.ConfigModified(ctx, "carol@example.com", "zerobus_config", map[string]any{"batch_size": 500, "client_secret": "s3cr3t"})
		}, "security.configuration.modify_config", log.SeverityInfo1, "Configuration zerobus_config modified by carol@example.com",
			map[string]any{"event.category": "configuration", "event.action": "modify_config", "event.outcome": "success",
				"user.name": "carol@example.com", "otsec.config.key": "zerobus_config",
				"otsec.config.changes": `{"batch_size":500,"client_secret":"[REDACTED]"}`}},
		{"SourceAdded", func(ctx context.Context, l *Logger) string {
			return l.SourceAdded(ctx, "carol@example.com", "plc-line1")
		}, "security.configuration.add", log.SeverityInfo1, "Source plc-line1 added by carol@example.com",
			map[string]any{"event.category": "configuration", "event.action": "add", "event.outcome": "success",
				"user.name": "carol@example.com", "otsec.config.key": "plc-line1"}},
		{"SourceModified", func(ctx context.Context, l *Logger) string {
			return l.SourceModified(ctx, "carol@example.com", "plc-line1")
		}, "security.configuration.modify", log.SeverityInfo1, "Source plc-line1 modified by carol@example.com",
			map[string]any{"event.category": "configuration", "event.action": "modify", "event.outcome": "success",
				"user.name": "carol@example.com", "otsec.config.key": "plc-line1"}},
		{"SourceDeleted", func(ctx context.Context, l *Logger) string {
			return l.SourceDeleted(ctx, "carol@example.com", "plc-line1")
		}, "security.configuration.delete", log.SeverityInfo1, "Source plc-line1 deleted by carol@example.com",
			map[string]any{"event.category": "configuration", "event.action": "delete", "event.outcome": "success",
				"user.name": "carol@example.com", "otsec.config.key": "plc-line1"}},
		{"ConnectionFailed", func(ctx context.Context, l *Logger) string {
			return l.ConnectionFailed(ctx, "workspace.cloud.example.com:443", "dial tcp: i/o timeout")
		}, "security.network.connect", log.SeverityError1, "Failed to connect to workspace.cloud.example.com:443",
			map[string]any{"event.category": "network", "event.action": "connect", "event.outcome": "failure",
				"server.address": "workspace.cloud.example.com", "server.port": int64(443), "event.reason": "dial tcp: i/o timeout"}},
		{"CircuitBreakerOpened", func(ctx context.Context, l *Logger) string {
			return l.CircuitBreakerOpened(ctx, "workspace.cloud.example.com", 5)
		}, "security.availability.circuit_breaker_open", log.SeverityError1, "Circuit breaker opened for workspace.cloud.example.com - potential service disruption",
			map[string]any{"event.category": "availability", "event.action": "circuit_breaker_open", "event.outcome": "degraded",
				"server.address": "workspace.cloud.example.com", "event.failure_count": int64(5)}},
		{"RepeatedConnectionFailures", func(ctx context.Context, l *Logger) string {
			return l.RepeatedConnectionFailures(ctx, "192.168.1.50:502", 12)
		}, "security.network.connect", log.SeverityWarn1, "Repeated connection failures to 192.168.1.50:502",
			map[string]any{"event.category": "network", "event.action": "connect", "event.outcome": "failure",
				"server.address": "192.168.1.50", "server.port": int64(502), "event.reason": "repeated_failure", "event.failure_count": int64(12)}},
		{"NetworkScanInitiated", func(ctx context.Context, l *Logger) string {
			return l.NetworkScanInitiated(ctx, "10.20.0.0/16")
		}, "security.operational.network_scan", log.SeverityInfo1, "Network discovery scan initiated: 10.20.0.0/16",
			map[string]any{"event.category": "operational", "event.action": "network_scan", "event.outcome": "initiated",
				"otsec.network.range": "10.20.0.0/16"}},
		{"CredentialAccessed", func(ctx context.Context, l *Logger) string {
			return l.CredentialAccessed(ctx, "opcua/plc1/password")
		}, "security.credential_access.credential_access", log.SeverityDebug1, "Credential accessed: opcua/plc1/password",
			map[string]any{"event.category": "credential_access", "event.action": "credential_access", "event.outcome": "success",
				"otsec.credential.name": "opcua/plc1/password"}},
		{"CredentialUpdated", func(ctx context.Context, l *Logger) string {
			return l.CredentialUpdated(ctx, "zerobus/client_secret")
		}, "security.credential_access.credential_update", log.SeverityInfo1, "Credential updated: zerobus/client_secret",
			map[string]any{"event.category": "credential_access", "event.action": "credential_update", "event.outcome": "success",
				"otsec.credential.name": "zerobus/client_secret"}},
		{"CredentialDecryptionFailed", func(ctx context.Context, l *Logger) string {
			return l.CredentialDecryptionFailed(ctx, "opcua/plc1/password")
		}, "security.credential_access.credential_access", log.SeverityWarn1, "Failed to decrypt credential: opcua/plc1/password",
			map[string]any{"event.category": "credential_access", "event.action": "credential_access", "event.outcome": "failure",
				"otsec.credential.name": "opcua/plc1/password", "event.reason": "decryption_failed"}},
	}
}

func TestEveryMethodCovered(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range seedEvents() {
		covered[c.name] = true
	}
	typ := reflect.TypeOf(&Logger{})
	for i := 0; i < typ.NumMethod(); i++ {
		m := typ.Method(i)
		if m.Type.NumIn() > 1 && m.Type.In(1) == reflect.TypeOf((*context.Context)(nil)).Elem() && !covered[m.Name] {
			t.Errorf("event method %s has no case in seedEvents", m.Name)
		}
	}
}

func TestEventRecords(t *testing.T) {
	for _, c := range seedEvents() {
		t.Run(c.name, func(t *testing.T) {
			l, exp := newMemLogger(t)
			id := c.call(context.Background(), l)
			rs := exp.all()
			if len(rs) != 1 {
				t.Fatalf("want 1 record, got %d", len(rs))
			}
			r := rs[0]
			if r.EventName() != c.event {
				t.Errorf("EventName = %q, want %q", r.EventName(), c.event)
			}
			if r.Severity() != c.sev || r.SeverityText() != c.sev.String() {
				t.Errorf("severity = %v/%q, want %v", r.Severity(), r.SeverityText(), c.sev)
			}
			if got := r.Body().AsString(); got != c.body {
				t.Errorf("Body = %q, want %q", got, c.body)
			}
			if !r.Timestamp().Equal(testTime) {
				t.Errorf("Timestamp = %v, want %v", r.Timestamp(), testTime)
			}
			got := attrMap(r)
			if got[secevent.KeyEventID] != id || !uuidV4.MatchString(id) {
				t.Errorf("event.id = %v, returned %q; want the same UUIDv4", got[secevent.KeyEventID], id)
			}
			delete(got, secevent.KeyEventID)
			if !reflect.DeepEqual(got, c.attrs) {
				t.Errorf("attributes\n got  %v\n want %v", got, c.attrs)
			}
			if r.AttributesLen() != len(c.attrs)+1 || r.DroppedAttributes() != 0 {
				t.Errorf("attribute count %d (dropped %d), want %d", r.AttributesLen(), r.DroppedAttributes(), len(c.attrs)+1)
			}
		})
	}
}

// TestEventsUseSchemaKeysAndTypes checks every attribute against secevent.Fields: a key the schema
// does not list, or a value of another type than it says, fails.
func TestEventsUseSchemaKeysAndTypes(t *testing.T) {
	l, exp := newMemLogger(t)
	for _, c := range seedEvents() {
		c.call(context.Background(), l)
	}
	want := map[secevent.Type]attribute.Type{
		secevent.TypeString: attribute.STRING, secevent.TypeInt: attribute.INT64, secevent.TypeBool: attribute.BOOL,
		secevent.TypeStringSlice: attribute.STRINGSLICE,
	}
	for _, r := range exp.all() {
		r.WalkAttributes(func(kv attribute.KeyValue) bool {
			f, ok := secevent.FieldByKey(string(kv.Key))
			switch {
			case !ok:
				t.Errorf("%s: key %q is not in the schema", r.EventName(), kv.Key)
			case f.Place != secevent.PlaceAttribute:
				t.Errorf("%s: key %q is a %s field, written as an attribute", r.EventName(), kv.Key, f.Place)
			case want[f.Type] != kv.Value.Type():
				t.Errorf("%s: key %q has type %v, schema says %s", r.EventName(), kv.Key, kv.Value.Type(), f.Type)
			}
			return true
		})
		cat, _ := attrMap(r)[secevent.KeyCategory].(string)
		if !secevent.Category(cat).Valid() {
			t.Errorf("%s: invalid category %q", r.EventName(), cat)
		}
		out, _ := attrMap(r)[secevent.KeyOutcome].(string)
		if !secevent.Outcome(out).Valid() {
			t.Errorf("%s: invalid outcome %q", r.EventName(), out)
		}
		if act, _ := attrMap(r)[secevent.KeyAction].(string); r.EventName() != secevent.EventName(secevent.Category(cat), act) {
			t.Errorf("EventName %q does not match category %q and action %q", r.EventName(), cat, act)
		}
	}
}

func TestEmptyArgumentsAreLeftOut(t *testing.T) {
	l, exp := newMemLogger(t)
	l.LoginFailed(context.Background(), "", "", "")
	got := attrMap(exp.all()[0])
	for _, k := range []string{secevent.KeyUserName, secevent.KeySourceAddress, secevent.KeyReason} {
		if _, ok := got[k]; ok {
			t.Errorf("empty %s written", k)
		}
	}
	if b := exp.all()[0].Body().AsString(); b != "Failed login attempt for <unknown>" {
		t.Errorf("Body = %q", b)
	}
}

func TestSourceAddressForms(t *testing.T) {
	cases := map[string]map[string]any{
		"192.168.1.100":              {"source.address": "192.168.1.100"},
		"192.168.1.100:52114":        {"source.address": "192.168.1.100", "source.port": int64(52114)},
		"[fd00::1]:4840":             {"source.address": "fd00::1", "source.port": int64(4840)},
		"::ffff:10.0.0.1":            {"source.address": "10.0.0.1"},
		"hmi-3.plant.example":        {"source.address": "hmi-3.plant.example"},
		"[::ffff:10.0.0.2]:1234":     {"source.address": "10.0.0.2", "source.port": int64(1234)},
		"fe80::1%eth0":               {"source.address": "fe80::1%eth0"},
		"not an address, kept as is": {"source.address": "not an address, kept as is"},
	}
	for in, want := range cases {
		l, exp := newMemLogger(t)
		l.LoggedOut(context.Background(), "u", in)
		got := attrMap(exp.all()[0])
		for k, v := range want {
			if !reflect.DeepEqual(got[k], v) {
				t.Errorf("%q: %s = %v, want %v", in, k, got[k], v)
			}
		}
		if _, hasPort := want["source.port"]; !hasPort {
			if _, ok := got["source.port"]; ok {
				t.Errorf("%q: unexpected source.port", in)
			}
		}
	}
}

func TestEventIDsUnique(t *testing.T) {
	l, exp := newMemLogger(t)
	const n = 20000
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < n/4; i++ {
				l.LoginFailed(context.Background(), "u", "10.0.0.1", "x")
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, r := range exp.all() {
		id := attrMap(r)[secevent.KeyEventID].(string)
		if !uuidV4.MatchString(id) {
			t.Fatalf("not a UUIDv4: %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate event.id %q", id)
		}
		seen[id] = true
	}
	if len(seen) != n {
		t.Fatalf("got %d ids, want %d", len(seen), n)
	}
}

func TestWithEventIDs(t *testing.T) {
	n := 0
	l, exp := newMemLogger(t, WithEventIDs(func() string { n++; return fmt.Sprintf("load-%d", n) }))
	if id := l.SourceAdded(context.Background(), "u", "s"); id != "load-1" {
		t.Fatalf("returned id %q", id)
	}
	if got := attrMap(exp.all()[0])[secevent.KeyEventID]; got != "load-1" {
		t.Fatalf("event.id = %v", got)
	}
}

func TestTraceCorrelation(t *testing.T) {
	l, exp := newMemLogger(t)
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
	})
	ctx := trace.ContextWithSpanContext(context.Background(), sc)
	l.PermissionDenied(ctx, "bob", "10.0.0.9", "/api/x", "p")
	l.PermissionDenied(context.Background(), "bob", "10.0.0.9", "/api/x", "p")
	rs := exp.all()
	if rs[0].TraceID() != sc.TraceID() || rs[0].SpanID() != sc.SpanID() || rs[0].TraceFlags() != trace.FlagsSampled {
		t.Errorf("record not correlated: trace %v span %v", rs[0].TraceID(), rs[0].SpanID())
	}
	if rs[1].TraceID().IsValid() || rs[1].SpanID().IsValid() {
		t.Errorf("record without a span carries trace %v span %v", rs[1].TraceID(), rs[1].SpanID())
	}
}

// TestCredentialMethodsTakeNoValue pins the credential methods' signatures: the key name is their
// only argument besides the context, so no value, secret or error text can be handed to them.
func TestCredentialMethodsTakeNoValue(t *testing.T) {
	want := reflect.TypeOf(func(context.Context, string) string { return "" })
	typ := reflect.TypeOf(&Logger{})
	n := 0
	for i := 0; i < typ.NumMethod(); i++ {
		m := typ.Method(i)
		if !strings.HasPrefix(m.Name, "Credential") {
			continue
		}
		n++
		// Drop the receiver from the method's type.
		in := []reflect.Type{}
		for j := 1; j < m.Type.NumIn(); j++ {
			in = append(in, m.Type.In(j))
		}
		got := reflect.FuncOf(in, []reflect.Type{m.Type.Out(0)}, m.Type.IsVariadic())
		if got != want || m.Type.NumOut() != 1 {
			t.Errorf("%s has type %v; credential methods must be func(ctx, keyName string) string", m.Name, got)
		}
	}
	if n != 3 {
		t.Errorf("found %d credential methods, want 3", n)
	}
}

type ctxKey struct{}

type zerobusConfig struct {
	WorkspaceHost string `json:"workspace_host"`
	ClientID      string `json:"client_id"`
	ClientSecret  string `json:"client_secret"`
	OAuth         struct {
		RefreshToken string `json:"refresh_token"`
	} `json:"oauth"`
}

// TestNoSecretReachesTheOutput hands a sentinel secret to every place a caller could hand one to
// (the context's values and baggage, config changes under secret keys in every accepted shape,
// and a URL query string) while every method runs, and requires that it appears nowhere in what
// the exporter receives: attributes, body, event name, severity text, resource or scope.
func TestNoSecretReachesTheOutput(t *testing.T) {
	const secret = "S3NT1NEL-hunter2-do-not-log"
	mem, err := baggage.NewMember("db_password", secret)
	if err != nil {
		t.Fatal(err)
	}
	bag, _ := baggage.New(mem)
	ctx := baggage.ContextWithBaggage(context.WithValue(context.Background(), ctxKey{}, secret), bag)

	l, exp := newMemLogger(t)
	for _, c := range seedEvents() {
		c.call(ctx, l)
	}
	var cfg zerobusConfig
	cfg.WorkspaceHost, cfg.ClientID, cfg.ClientSecret, cfg.OAuth.RefreshToken = "ws.example.com", "id-1", secret, secret
	for _, changes := range []any{
		map[string]any{"password": secret},
		map[string]any{"zerobus": map[string]any{"client_secret": secret, "auth": []any{map[string]any{"API-Key": secret}}}},
		map[string]any{"db": map[string]any{"Password": map[string]any{"old": secret, "new": secret}}},
		cfg,
		&cfg,
		`{"opcua":{"passphrase":"` + secret + `"}}`,
		[]byte(`{"mqtt":{"token":"` + secret + `"}}`),
		[]any{map[string]any{"privateKey": secret}},
	} {
		l.ConfigModified(ctx, "carol", "zerobus_config", changes)
	}
	l.PermissionDenied(ctx, "bob", "10.0.0.1", "/api/sources?access_token="+secret, "p")
	l.PrivilegedOperation(ctx, "bob", "10.0.0.1", "/api/sources#"+secret, "p")

	rs := exp.all()
	if len(rs) != len(seedEvents())+10 {
		t.Fatalf("got %d records", len(rs))
	}
	for _, r := range rs {
		dump := fmt.Sprintf("%s|%s|%s|%v|%v|%v", r.EventName(), r.SeverityText(), r.Body().String(),
			attrMap(r), r.Resource().Attributes(), r.InstrumentationScope())
		if strings.Contains(dump, secret) || strings.Contains(dump, "hunter2") {
			t.Errorf("secret reached the output: %s", dump)
		}
	}
}

func TestRedactChanges(t *testing.T) {
	cases := []struct {
		in   any
		want string
	}{
		{map[string]any{"batch_size": 500, "endpoint": "x"}, `{"batch_size":500,"endpoint":"x"}`},
		{map[string]any{"client_secret": "v", "clientSecret": "v", "Client-Secret": "v"}, `{"Client-Secret":"[REDACTED]","clientSecret":"[REDACTED]","client_secret":"[REDACTED]"}`},
		{`{"a":{"pwd":1,"pin":"1234","sas":"x","keep":[1,2.50]}}`, `{"a":{"keep":[1,2.50],"pin":"[REDACTED]","pwd":"[REDACTED]","sas":"[REDACTED]"}}`},
		{`not json, kept as a string`, `"not json, kept as a string"`},
		{`{"a":1} {"b":2}`, `"{\"a\":1} {\"b\":2}"`},
		{uint64(12345678901234567890), `12345678901234567890`},
		{make(chan int), `{"error":"changes of type chan int are not JSON-encodable"}`},
		{map[string]any{"old": map[string]any{"token_url": "https://idp"}, "config_key": "k", "mapping": "m"}, `{"config_key":"k","mapping":"m","old":{"token_url":"[REDACTED]"}}`},
	}
	for _, c := range cases {
		if got := RedactChanges(c.in); got != c.want {
			t.Errorf("RedactChanges(%v) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestIsSecretKey(t *testing.T) {
	for _, k := range []string{"password", "DB_PASSWORD", "client_secret", "refreshToken", "api-key", "PrivateKey", "aws.access_key", "Authorization", "psk"} {
		if !IsSecretKey(k) {
			t.Errorf("%q not treated as secret", k)
		}
	}
	for _, k := range []string{"batch_size", "workspace_host", "config_key", "key_name", "mapping", "spinner", "user"} {
		if IsSecretKey(k) {
			t.Errorf("%q treated as secret", k)
		}
	}
}

func TestNewEventIDFormat(t *testing.T) {
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = NewEventID()
		if !uuidV4.MatchString(ids[i]) {
			t.Fatalf("%q is not a canonical UUIDv4", ids[i])
		}
	}
	sort.Strings(ids)
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			t.Fatalf("duplicate %q", ids[i])
		}
	}
}

func BenchmarkLoginFailed(b *testing.B) {
	p := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(discardExporter{})))
	l := New(p)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		l.LoginFailed(ctx, "alice@example.com", "192.168.1.100", ReasonInvalidCredentials)
	}
}

type discardExporter struct{}

func (discardExporter) Export(context.Context, []sdklog.Record) error { return nil }
func (discardExporter) Shutdown(context.Context) error                { return nil }
func (discardExporter) ForceFlush(context.Context) error              { return nil }
