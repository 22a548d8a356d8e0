package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// buildRequests prepares n full-size security events (a failed login as the Unified OT Connector
// emits it: message, eight schema attributes, resource) in OTLP requests of batch records each.
// User names cycle over 1000 accounts, so the alert processor holds 1000 groups and fires at most
// once per group and cooldown, as on a site under a password-spraying attack.
func buildRequests(n, batch int, idPrefix string) []plogotlp.ExportRequest {
	var reqs []plogotlp.ExportRequest
	now := time.Now()
	for start := 0; start < n; start += batch {
		logs := plog.NewLogs()
		rl := logs.ResourceLogs().AppendEmpty()
		ra := rl.Resource().Attributes()
		ra.PutStr(secevent.KeyServiceName, "unified-ot-connector")
		ra.PutStr(secevent.KeyServiceVersion, "1.4.2")
		ra.PutStr(secevent.KeyHostName, "edge-gw-01")
		ra.PutStr(secevent.KeySiteName, "plant-a")
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName("github.com/unified-ot/otelcol-siem/secevent/seclog")
		lrs := sl.LogRecords()
		end := min(start+batch, n)
		lrs.EnsureCapacity(end - start)
		for i := start; i < end; i++ {
			lr := lrs.AppendEmpty()
			ts := pcommon.NewTimestampFromTime(now.Add(time.Duration(i) * time.Microsecond))
			lr.SetTimestamp(ts)
			lr.SetObservedTimestamp(ts)
			lr.SetSeverityNumber(plog.SeverityNumberWarn)
			lr.SetSeverityText("WARN")
			lr.SetEventName(secevent.EventName(secevent.CategoryAuthentication, secevent.ActionLogin))
			user := fmt.Sprintf("operator%03d@plant-a.example", i%1000)
			lr.Body().SetStr("Failed login attempt for " + user + " from 192.168.17.42: invalid credentials (web console, OPC UA gateway)")
			a := lr.Attributes()
			a.PutStr(secevent.KeyCategory, string(secevent.CategoryAuthentication))
			a.PutStr(secevent.KeyAction, secevent.ActionLogin)
			a.PutStr(secevent.KeyOutcome, string(secevent.OutcomeFailure))
			a.PutStr(secevent.KeyReason, "invalid_credentials")
			a.PutStr(secevent.KeyUserName, user)
			a.PutStr(secevent.KeySourceAddress, "192.168.17.42")
			a.PutInt(secevent.KeySourcePort, 51544)
			a.PutStr(secevent.KeyEventID, fmt.Sprintf("%s-%08d", idPrefix, i))
		}
		reqs = append(reqs, plogotlp.NewExportRequestFromLogs(logs))
	}
	return reqs
}

// encodeRequests marshals every request once, before the clock starts: the load generator shares
// the machine's cores with the collector under test, so it sends pre-encoded bytes instead of
// marshalling each request again on every send.
func encodeRequests(reqs []plogotlp.ExportRequest) ([][]byte, error) {
	out := make([][]byte, len(reqs))
	for i, r := range reqs {
		b, err := r.MarshalProto()
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// logsExportMethod is OTLP/gRPC's logs export method.
const logsExportMethod = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"

// rawCodec passes pre-encoded protobuf bytes through gRPC unchanged, both ways.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append((*(v.(*[]byte)))[:0], data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// sendAll sends every pre-encoded request to an OTLP/gRPC endpoint from senders concurrent clients,
// each on its own connection, and returns when all were accepted. A response that reports rejected
// records (OTLP partial success) is an error: the benchmark counts only complete deliveries.
func sendAll(ctx context.Context, endpoint string, reqs [][]byte, senders int) error {
	work := make(chan []byte)
	errs := make(chan error, senders)
	var wg sync.WaitGroup
	for s := 0; s < senders; s++ {
		conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})))
		if err != nil {
			return err
		}
		defer conn.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			var respBytes []byte
			for req := range work {
				for {
					err := conn.Invoke(ctx, logsExportMethod, &req, &respBytes)
					if err == nil {
						resp := plogotlp.NewExportResponse()
						if err := resp.UnmarshalProto(respBytes); err != nil {
							errs <- fmt.Errorf("decoding the export response: %w", err)
							return
						}
						if n := resp.PartialSuccess().RejectedLogRecords(); n > 0 {
							errs <- fmt.Errorf("collector rejected %d records: %s", n, resp.PartialSuccess().ErrorMessage())
							return
						}
						break
					}
					if ctx.Err() != nil {
						errs <- err
						return
					}
					// Back-pressure (memory_limiter, a full queue): retry as an OTLP client would.
					time.Sleep(10 * time.Millisecond)
				}
			}
		}()
	}
	for _, r := range reqs {
		select {
		case work <- r:
		case err := <-errs:
			close(work)
			wg.Wait()
			return err
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}
