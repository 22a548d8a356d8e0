package seclog

import (
	"context"
	"log/slog"
	"reflect"
	"testing"

	"go.opentelemetry.io/contrib/bridges/otelslog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// TestSlogBridge shows an existing log/slog service emitting the schema through the OpenTelemetry
// slog bridge, and checks the record equals what Logger.LoginFailed writes (but the id).
func TestSlogBridge(t *testing.T) {
	exp := &memExporter{}
	p := sdklog.NewLoggerProvider(
		sdklog.WithProcessor(EventNameProcessor{}),
		sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)),
	)
	defer p.Shutdown(context.Background())
	logger := otelslog.NewLogger("unified_connector/web/auth", otelslog.WithLoggerProvider(p))

	ctx := context.Background()
	logger.WarnContext(ctx, "Failed login attempt for alice@example.com",
		SlogEvent(secevent.CategoryAuthentication, secevent.ActionLogin, secevent.OutcomeFailure),
		slog.String(secevent.KeyUserName, "alice@example.com"),
		slog.String(secevent.KeySourceAddress, "192.168.1.100"),
		slog.String(secevent.KeyReason, ReasonInvalidCredentials))
	logger.InfoContext(ctx, "User carol performed privileged operation",
		SlogEvent(secevent.CategoryAuthorization, secevent.ActionPrivilegedOperation, secevent.OutcomeSuccess),
		slog.String(secevent.KeyUserName, "carol"),
		slog.Any(secevent.KeyUserRoles, []string{"admin", "operator"}))
	logger.Info("ordinary application log, not a security event")

	rs := exp.all()
	if len(rs) != 3 {
		t.Fatalf("got %d records", len(rs))
	}
	got := attrMap(rs[0])
	id, _ := got[secevent.KeyEventID].(string)
	if !uuidV4.MatchString(id) {
		t.Errorf("event.id %q", id)
	}
	delete(got, secevent.KeyEventID)
	want := seedEvents()[1] // LoginFailed
	if !reflect.DeepEqual(got, want.attrs) {
		t.Errorf("slog attributes\n got  %v\n want %v", got, want.attrs)
	}
	if rs[0].EventName() != want.event || rs[0].Severity() != log.SeverityWarn1 || rs[0].Body().AsString() != want.body {
		t.Errorf("slog record: event %q severity %v body %q", rs[0].EventName(), rs[0].Severity(), rs[0].Body().AsString())
	}
	if rs[0].Timestamp().IsZero() {
		t.Error("no Timestamp")
	}
	if rs[1].EventName() != "security.authorization.privileged_operation" || rs[1].Severity() != log.SeverityInfo1 {
		t.Errorf("second record: %q %v", rs[1].EventName(), rs[1].Severity())
	}
	// slog.Any with a []string reaches the bridge as an attribute.SLICE of strings: on the OTLP wire
	// the same array of strings as the schema's string[] (what Logger writes as STRINGSLICE).
	var roles []string
	rs[1].WalkAttributes(func(kv attribute.KeyValue) bool {
		if string(kv.Key) == secevent.KeyUserRoles && kv.Value.Type() == attribute.SLICE {
			for _, v := range kv.Value.AsSlice() {
				if v.Type() == attribute.STRING {
					roles = append(roles, v.AsString())
				}
			}
		}
		return true
	})
	if !reflect.DeepEqual(roles, []string{"admin", "operator"}) {
		t.Errorf("user.roles = %v, want an array of strings", attrMap(rs[1])[secevent.KeyUserRoles])
	}
	if rs[2].EventName() != "" {
		t.Errorf("a record without event.category got EventName %q", rs[2].EventName())
	}
}
