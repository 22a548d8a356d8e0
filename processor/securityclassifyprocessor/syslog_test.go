package securityclassifyprocessor

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/unified-ot/otelcol-siem/processor/securityclassifyprocessor/internal/metadata"
	"github.com/unified-ot/otelcol-siem/secevent"
)

// syslogRecord is a record as contrib's syslogreceiver v0.165.1 emits it (pkg/stanza
// operator/parser/syslog): the body is the raw line; attributes hostname, appname, proc_id,
// msg_id, message, priority, facility, facility_text (and version, structured_data for RFC 5424);
// the PRI severity becomes SeverityNumber/SeverityText and the `severity` and `timestamp`
// attributes are removed; the resource is empty.
type syslogRecord struct {
	raw, host, app, procID, msg string
	pri                         int64
	rfc5424                     bool
}

var syslogSeverity = [...]struct {
	n    plog.SeverityNumber
	text string
}{
	{plog.SeverityNumberFatal, "emerg"}, {plog.SeverityNumberError3, "alert"}, {plog.SeverityNumberError2, "crit"},
	{plog.SeverityNumberError, "err"}, {plog.SeverityNumberWarn, "warning"}, {plog.SeverityNumberInfo2, "notice"},
	{plog.SeverityNumberInfo, "info"}, {plog.SeverityNumberDebug, "debug"},
}

var facilityText = map[int64]string{4: "auth", 10: "authpriv", 16: "local0", 3: "daemon"}

func syslogLogs(recs ...syslogRecord) plog.Logs {
	ld := plog.NewLogs()
	sl := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	for _, r := range recs {
		lr := sl.LogRecords().AppendEmpty()
		lr.Body().SetStr(r.raw)
		sev := syslogSeverity[r.pri%8]
		lr.SetSeverityNumber(sev.n)
		lr.SetSeverityText(sev.text)
		a := lr.Attributes()
		a.PutStr("hostname", r.host)
		a.PutStr("appname", r.app)
		if r.procID != "" {
			a.PutStr("proc_id", r.procID)
		}
		a.PutStr("message", r.msg)
		a.PutInt("priority", r.pri)
		a.PutInt("facility", r.pri/8)
		a.PutStr("facility_text", facilityText[r.pri/8])
		if r.rfc5424 {
			a.PutInt("version", 1)
		}
	}
	return ld
}

func TestOTDeviceSyslogClassifiedByRules(t *testing.T) {
	h := newHarness(t, defaultConfig())
	ld := syslogLogs(
		syslogRecord{raw: "<38>1 2026-11-26T10:00:00.000Z plc-07 sshd 4242 - - Failed password for root from 10.1.2.3 port 50122 ssh2",
			host: "plc-07", app: "sshd", procID: "4242", msg: "Failed password for root from 10.1.2.3 port 50122 ssh2", pri: 38, rfc5424: true},
		syslogRecord{raw: "<86>1 2026-11-26T10:00:01.000Z rtu-02 sudo - - - operator : user NOT in sudoers ; TTY=pts/0 ; USER=root ; COMMAND=/bin/sh",
			host: "rtu-02", app: "sudo", msg: "operator : user NOT in sudoers ; TTY=pts/0 ; USER=root ; COMMAND=/bin/sh", pri: 86, rfc5424: true},
		syslogRecord{raw: "<134>1 2026-11-26T10:00:02.000Z hmi-01 hmi-app - - - Configuration recipe R12 loaded by operator",
			host: "hmi-01", app: "hmi-app", msg: "Configuration recipe R12 loaded by operator", pri: 134, rfc5424: true},
		syslogRecord{raw: "<38>1 2026-11-26T10:00:03.000Z plc-07 sshd 4250 - - Accepted publickey for maint from 10.1.2.4 port 50200 ssh2",
			host: "plc-07", app: "sshd", procID: "4250", msg: "Accepted publickey for maint from 10.1.2.4 port 50200 ssh2", pri: 38, rfc5424: true},
		syslogRecord{raw: "<134>1 2026-11-26T10:00:04.000Z plc-07 modbusd - - - Link up on port eth0",
			host: "plc-07", app: "modbusd", msg: "Link up on port eth0", pri: 134, rfc5424: true},
		syslogRecord{raw: "<36>Nov 26 10:00:05 rtu-02 sshd[900]: Invalid user admin from 10.9.9.9 port 4000",
			host: "rtu-02", app: "sshd", procID: "900", msg: "Invalid user admin from 10.9.9.9 port 4000", pri: 36},
	)
	outs := h.consume(t, ld)

	type want struct {
		host, category, source, rule, action, outcome string
		sev                                           plog.SeverityNumber
		sevText                                       string
	}
	wants := map[string]want{
		"Failed password for root from 10.1.2.3 port 50122 ssh2": {host: "plc-07", category: "authentication", source: "rule",
			rule: "ot_syslog_ssh_login_failure", action: "login", outcome: "failure", sev: plog.SeverityNumberWarn, sevText: "info"},
		"operator : user NOT in sudoers ; TTY=pts/0 ; USER=root ; COMMAND=/bin/sh": {host: "rtu-02", category: "authorization", source: "rule",
			rule: "ot_syslog_sudo_denied", action: "privileged_operation", outcome: "denied", sev: plog.SeverityNumberWarn, sevText: "info"},
		"Configuration recipe R12 loaded by operator": {host: "hmi-01", category: "configuration", source: "keyword",
			rule: "<absent>", action: "<absent>", outcome: "<absent>", sev: plog.SeverityNumberInfo, sevText: "info"},
		"Accepted publickey for maint from 10.1.2.4 port 50200 ssh2": {host: "plc-07", category: "authentication", source: "rule",
			rule: "ot_syslog_ssh_login_success", action: "login", outcome: "success", sev: plog.SeverityNumberInfo, sevText: "info"},
		"Invalid user admin from 10.9.9.9 port 4000": {host: "rtu-02", category: "authentication", source: "rule",
			rule: "ot_syslog_ssh_login_failure", action: "login", outcome: "failure", sev: plog.SeverityNumberWarn, sevText: "warning"},
	}
	require.Len(t, outs, len(wants), "the modbusd INFO record (operational) is below the floor")
	for _, o := range outs {
		body := o.lr.Body().Str()
		w, ok := wants[body]
		require.True(t, ok, "unexpected record with body %q (the body must become the syslog MSG)", body)
		hv, _ := o.res.Attributes().Get(secevent.KeyHostName)
		assert.Equal(t, w.host, hv.Str(), "%s: device host promoted to the resource", body)
		assert.Equal(t, w.category, attrStr(o.lr, secevent.KeyCategory), body)
		assert.Equal(t, w.source, attrStr(o.lr, secevent.KeyClassificationSource), body)
		assert.Equal(t, w.rule, attrStr(o.lr, secevent.KeyClassificationRule), body)
		assert.Equal(t, w.action, attrStr(o.lr, secevent.KeyAction), body)
		assert.Equal(t, w.outcome, attrStr(o.lr, secevent.KeyOutcome), body)
		assert.Equal(t, w.sev, o.lr.SeverityNumber(), body)
		assert.Equal(t, w.sevText, o.lr.SeverityText(), body)
		// What the receiver set is still there; the canonical copy lives in the resource only.
		assert.Equal(t, w.host, attrStr(o.lr, "hostname"))
		assert.Equal(t, "<absent>", attrStr(o.lr, secevent.KeyHostName))
		assert.NotEqual(t, "<absent>", attrStr(o.lr, "appname"))
		assert.Equal(t, body, attrStr(o.lr, "message"))
		wantName := "security." + w.category
		if w.action != "<absent>" {
			wantName += "." + w.action
		}
		assert.Equal(t, wantName, o.lr.EventName())
	}
	// One resource per device, in first-seen order.
	var hosts []string
	for _, l := range h.sink.AllLogs() {
		for i := 0; i < l.ResourceLogs().Len(); i++ {
			v, _ := l.ResourceLogs().At(i).Resource().Attributes().Get(secevent.KeyHostName)
			hosts = append(hosts, v.Str())
		}
	}
	assert.Equal(t, []string{"plc-07", "rtu-02", "hmi-01"}, hosts)
	assert.EqualValues(t, 1, h.counter(t, metadata.MetricRecordsDropped, categoryAttr(secevent.CategoryOperational)))
}

// With promotion off the device host stays on the record (as host.name and the original hostname),
// and the records stay under their one resource.
func TestSyslogWithoutPromotion(t *testing.T) {
	cfg := keepAll()
	cfg.PromoteResourceAttributes = false
	h := newHarness(t, cfg)
	outs := h.consume(t, syslogLogs(
		syslogRecord{raw: "<38>1 - a sshd - - - Failed password for x", host: "a", app: "sshd", msg: "Failed password for x", pri: 38},
		syslogRecord{raw: "<38>1 - b sshd - - - Failed password for y", host: "b", app: "sshd", msg: "Failed password for y", pri: 38},
	))
	require.Len(t, outs, 2)
	assert.Equal(t, 1, h.sink.AllLogs()[0].ResourceLogs().Len())
	assert.Equal(t, "a", attrStr(outs[0].lr, secevent.KeyHostName))
	assert.Equal(t, "b", attrStr(outs[1].lr, secevent.KeyHostName))
}

// Promotion keeps the scope and the rest of the resource, and never mixes records of different
// original resources or scopes.
func TestPromotionKeepsResourceAndScope(t *testing.T) {
	h := newHarness(t, keepAll())
	ld := plog.NewLogs()
	for r, site := range []string{"plant-a", "plant-b"} {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr(secevent.KeySiteName, site)
		rl.SetSchemaUrl("https://schema/" + site)
		for s := range 2 {
			sl := rl.ScopeLogs().AppendEmpty()
			sl.Scope().SetName(fmt.Sprintf("scope-%d-%d", r, s))
			for _, host := range []string{"dev-1", "dev-2", "dev-1"} {
				lr := sl.LogRecords().AppendEmpty()
				lr.Body().SetStr("Failed login on " + host)
				lr.SetSeverityNumber(plog.SeverityNumberWarn)
				lr.Attributes().PutStr("hostname", host)
			}
		}
	}
	lr := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().AppendEmpty()
	lr.Body().SetStr("no host")
	lr.SetSeverityNumber(plog.SeverityNumberWarn)

	outs := h.consume(t, ld)
	require.Len(t, outs, 13)
	type group struct{ site, schema, host, scope string }
	counts := map[group]int{}
	for _, l := range h.sink.AllLogs() {
		for i := 0; i < l.ResourceLogs().Len(); i++ {
			rl := l.ResourceLogs().At(i)
			site, _ := rl.Resource().Attributes().Get(secevent.KeySiteName)
			host, ok := rl.Resource().Attributes().Get(secevent.KeyHostName)
			hs := "<none>"
			if ok {
				hs = host.Str()
			}
			for j := 0; j < rl.ScopeLogs().Len(); j++ {
				sl := rl.ScopeLogs().At(j)
				for k := 0; k < sl.LogRecords().Len(); k++ {
					r := sl.LogRecords().At(k)
					if ok {
						assert.Equal(t, hs, attrStr(r, "hostname"), "record in its device's resource")
					}
					counts[group{site.Str(), rl.SchemaUrl(), hs, sl.Scope().Name()}]++
				}
			}
		}
	}
	want := map[group]int{{"plant-a", "https://schema/plant-a", "<none>", "scope-0-0"}: 1}
	for r, site := range []string{"plant-a", "plant-b"} {
		for s := range 2 {
			scope := fmt.Sprintf("scope-%d-%d", r, s)
			want[group{site, "https://schema/" + site, "dev-1", scope}] = 2
			want[group{site, "https://schema/" + site, "dev-2", scope}] = 1
		}
	}
	assert.Equal(t, want, counts)
}
