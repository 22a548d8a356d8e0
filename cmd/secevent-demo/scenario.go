package main

import (
	"context"
	"fmt"
	"io"

	"github.com/unified-ot/otelcol-siem/secevent"
	"github.com/unified-ot/otelcol-siem/secevent/seclog"
)

// step is one event of the seed scenario: the Unified OT Connector call site it stands for, the
// EventName and outcome it must produce (the test checks them against the records), and the call.
type step struct {
	place   string // the seed's Task 2 call site
	event   string
	outcome secevent.Outcome
	send    func(ctx context.Context, l *seclog.Logger) string
}

// The scenario's actors, all from documentation ranges (RFC 5737, RFC 2606 example.com).
const (
	attacker     = "alice@example.com"
	attackerAddr = "192.168.1.100"
	viewer       = "bob@example.com"
	viewerAddr   = "192.168.1.120"
	admin        = "carol@example.com"
	adminAddr    = "192.168.1.10"
	zerobusHost  = "workspace.cloud.example.com"
)

// failedLogins is one more than the seed's "Multiple failed logins" threshold (5 in 300 s), so the
// alert fires even if the rule counts strictly more than its threshold.
const failedLogins = 6

// seedScenario is the seed's story (Task 2), in order: someone guesses alice's password from one
// address until it works, a viewer keeps trying a delete they may not do, the admin changes the
// ZeroBus configuration, the cloud link fails until the circuit breaker opens, a stored
// credential no longer decrypts, discovery scans the plant network and one PLC keeps refusing
// connections.
func seedScenario() []step {
	var steps []step
	for i := 0; i < failedLogins; i++ {
		steps = append(steps, step{"web auth", "security.authentication.login", secevent.OutcomeFailure,
			func(ctx context.Context, l *seclog.Logger) string {
				return l.LoginFailed(ctx, attacker, attackerAddr, seclog.ReasonInvalidCredentials)
			}})
	}
	steps = append(steps, step{"web auth", "security.authentication.login", secevent.OutcomeSuccess,
		func(ctx context.Context, l *seclog.Logger) string {
			return l.LoginSucceeded(ctx, attacker, attackerAddr, false)
		}})
	for _, path := range []string{"/api/sources/plc-line1", "/api/sources/plc-line2", "/api/sources/historian"} {
		steps = append(steps, step{"RBAC", "security.authorization.access", secevent.OutcomeDenied,
			func(ctx context.Context, l *seclog.Logger) string {
				return l.PermissionDenied(ctx, viewer, viewerAddr, path, "sources:delete", "viewer")
			}})
	}
	steps = append(steps,
		step{"config API", "security.configuration.modify_config", secevent.OutcomeSuccess,
			func(ctx context.Context, l *seclog.Logger) string {
				// The client secret shows the redaction: it reaches the SIEM as [REDACTED].
				return l.ConfigModified(ctx, admin, "zerobus_config", map[string]any{
					"batch_size":    map[string]int{"old": 100, "new": 500},
					"client_secret": "demo-value-that-must-not-reach-the-siem",
				})
			}},
		step{"ZeroBus client", "security.availability.circuit_breaker_open", secevent.OutcomeDegraded,
			func(ctx context.Context, l *seclog.Logger) string {
				return l.CircuitBreakerOpened(ctx, zerobusHost, 5)
			}},
		step{"credential manager", "security.credential_access.credential_access", secevent.OutcomeFailure,
			func(ctx context.Context, l *seclog.Logger) string {
				return l.CredentialDecryptionFailed(ctx, "opcua/plc-line1/password")
			}},
		step{"discovery", "security.operational.network_scan", secevent.OutcomeInitiated,
			func(ctx context.Context, l *seclog.Logger) string {
				return l.NetworkScanInitiated(ctx, "10.20.0.0/16")
			}},
		step{"discovery", "security.network.connect", secevent.OutcomeFailure,
			func(ctx context.Context, l *seclog.Logger) string {
				return l.RepeatedConnectionFailures(ctx, "10.20.3.17:502", 12)
			}},
	)
	return steps
}

// runScenario sends the seed scenario and prints one line per event: its number, the call site,
// EventName, outcome and event.id.
func runScenario(ctx context.Context, l *seclog.Logger, out io.Writer) []string {
	steps := seedScenario()
	ids := make([]string, 0, len(steps))
	for i, s := range steps {
		id := s.send(ctx, l)
		ids = append(ids, id)
		fmt.Fprintf(out, "sent %2d  %-18s  %-45s  %-9s  event.id=%s\n", i+1, s.place, s.event, s.outcome, id)
	}
	return ids
}
