package intakeguardextension // import "github.com/unified-ot/otelcol-siem/extension/intakeguardextension"

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/extension/extensioncapabilities"
	"go.uber.org/zap"

	"github.com/unified-ot/otelcol-siem/extension/intakeguardextension/internal/metadata"
)

// AcceptVariable is the site config's environment variable behind accept_unauthenticated_intake;
// the refusal names it so that an operator knows what to set.
const AcceptVariable = "OTELCOL_SIEM_ACCEPT_UNAUTHENTICATED_INTAKE"

// listener is one network listener of a receiver in a pipeline and how it is protected.
type listener struct {
	Receiver  string // component id, e.g. otlp, syslog/tls
	Transport string // grpc, http, tcp, udp
	Address   string
	TLS       bool
	// ClientCerts: TLS with client_ca_file, so only clients with a certificate from that CA connect.
	ClientCerts bool
	// Authenticated: an authenticator that checks credentials is configured on the listener.
	Authenticated bool
}

func (l listener) String() string {
	return fmt.Sprintf("%s (%s %s)", l.Receiver, l.Transport, l.Address)
}

// NotifyConfigSnapshot checks the effective (env-expanded) configuration before any receiver
// starts: the collector calls it after starting the extensions and before the pipelines, and an
// error here stops the start. Only the first intake_guard in service.extensions checks, so that
// two guards do not report the same exposure twice.
func (g *guard) NotifyConfigSnapshot(_ context.Context, snapshot extensioncapabilities.ConfigSnapshot) error {
	conf := snapshot.Effective()
	if conf == nil || firstGuard(conf) != g.set.ID.String() {
		return nil
	}
	var open, tlsOnly []string
	for _, l := range pipelineListeners(conf) {
		if !exposed(l.Address) {
			continue
		}
		switch {
		case !l.TLS && !l.Authenticated:
			open = append(open, l.String())
		case !l.ClientCerts && !l.Authenticated:
			tlsOnly = append(tlsOnly, l.String())
		}
	}
	if len(tlsOnly) > 0 {
		g.logger.Warn("intake encrypted but clients are not authenticated: anyone who reaches these listeners can send events; set client_ca_file (mutual TLS) or a token",
			zap.Strings("listeners", tlsOnly))
	}
	if len(open) == 0 {
		return nil
	}
	if g.cfg.AcceptUnauthenticatedIntake {
		g.logger.Warn("UNAUTHENTICATED INTAKE: receivers listen on a non-loopback address in plain text with no authentication; anyone on that network can send forged security events (accepted by accept_unauthenticated_intake / "+AcceptVariable+")",
			zap.Strings("exposed", open))
		return nil
	}
	return fmt.Errorf("%s: refusing to start: %s listen on a non-loopback address with neither TLS nor an authenticator, so anyone on that network could send forged security events; "+
		"enable TLS or a token for them, bind them to 127.0.0.1, or accept the exposure deliberately with accept_unauthenticated_intake: true (%s=true in the site config)",
		g.set.ID, strings.Join(open, ", "), AcceptVariable)
}

// firstGuard is the id of the first intake_guard (in id order) listed in service.extensions.
func firstGuard(conf *confmap.Conf) string {
	var ids []string
	for _, id := range stringList(conf.Get("service::extensions")) {
		if typeOf(id) == metadata.Type.String() {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return ""
	}
	slices.Sort(ids)
	return ids[0]
}

// pipelineListeners lists the listeners of the receivers used by a pipeline: otlp (grpc, http) and
// syslog/tcplog (tcp, udp). Receivers of other types are not inspected.
func pipelineListeners(conf *confmap.Conf) []listener {
	used := map[string]bool{}
	if pipes, ok := conf.Get("service::pipelines").(map[string]any); ok {
		for _, p := range pipes {
			if pm, ok := p.(map[string]any); ok {
				for _, r := range stringList(pm["receivers"]) {
					used[r] = true
				}
			}
		}
	}
	ids := make([]string, 0, len(used))
	for id := range used {
		ids = append(ids, id)
	}
	slices.Sort(ids)

	var out []listener
	for _, id := range ids {
		rc, err := conf.Sub("receivers::" + id)
		if err != nil {
			continue
		}
		switch typeOf(id) {
		case "otlp":
			for _, proto := range []string{"grpc", "http"} {
				p, err := rc.Sub("protocols::" + proto)
				if err != nil || len(p.AllKeys()) == 0 {
					continue
				}
				l := listener{Receiver: id, Transport: proto, Address: str(p.Get("endpoint"))}
				l.TLS, l.ClientCerts = tlsOf(p)
				if auth := str(p.Get("auth::authenticator")); auth != "" {
					l.Authenticated = authenticatorChecks(conf, auth)
				}
				out = append(out, l)
			}
		case "syslog", "tcplog", "udplog":
			for _, proto := range []string{"tcp", "udp"} {
				p, err := rc.Sub(proto)
				if err != nil || len(p.AllKeys()) == 0 {
					continue
				}
				l := listener{Receiver: id, Transport: proto, Address: str(p.Get("listen_address"))}
				l.TLS, l.ClientCerts = tlsOf(p)
				out = append(out, l)
			}
		}
	}
	return out
}

// tlsOf reports whether p (a listener's section) has a tls block, and whether it requires client
// certificates (client_ca_file).
func tlsOf(p *confmap.Conf) (tls, clientCerts bool) {
	t, ok := p.Get("tls").(map[string]any)
	if !ok || t == nil {
		return false, false
	}
	return true, str(t["client_ca_file"]) != ""
}

// authenticatorChecks reports whether the authenticator id checks credentials: any authenticator
// does, except an intake_guard with neither token_file nor authenticator. It reads the raw values:
// the effective configuration is the marshalled one, whose empty authenticator ("") does not
// unmarshal into a component.ID.
func authenticatorChecks(conf *confmap.Conf, id string) bool {
	if typeOf(id) != metadata.Type.String() {
		return true
	}
	ext, err := conf.Sub("extensions::" + id)
	if err != nil {
		return false
	}
	return str(ext.Get("token_file")) != "" || str(ext.Get("authenticator")) != ""
}

// exposed reports whether a listen address accepts connections from other hosts: an empty host,
// an unspecified address (0.0.0.0, ::), a non-loopback IP, or a name that does not resolve to
// loopback addresses only (a name that does not resolve counts as exposed).
func exposed(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	host = strings.Trim(host, "[]")
	if host == "" {
		return true
	}
	if ip := net.ParseIP(host); ip != nil {
		return !ip.IsLoopback()
	}
	if strings.EqualFold(host, "localhost") {
		return false
	}
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return true
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return true
		}
	}
	return false
}

func typeOf(id string) string {
	t, _, _ := strings.Cut(id, "/")
	return t
}

func str(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case fmt.Stringer:
		return s.String()
	case nil:
		return ""
	default:
		return fmt.Sprint(s)
	}
}

func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		if s := str(x); s != "" {
			out = append(out, s)
		}
	}
	return out
}
