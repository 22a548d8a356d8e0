package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/unified-ot/otelcol-siem/internal/benchload"
)

// buildRequests prepares n events of the project's benchmark load (benchload.FailedLogins) in
// OTLP requests of batch records each.
func buildRequests(n, batch int, idPrefix string) []plogotlp.ExportRequest {
	var reqs []plogotlp.ExportRequest
	for _, ld := range benchload.FailedLogins(n, batch, idPrefix, time.Now()) {
		reqs = append(reqs, plogotlp.NewExportRequestFromLogs(ld))
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
