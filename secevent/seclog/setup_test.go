package seclog

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/unified-ot/otelcol-siem/secevent"
)

// otlpReceiver is an in-test OTLP logs receiver (the collector's role), over gRPC or HTTP. It
// keeps every request; when gate is non-nil, Export waits for it to close first.
type otlpReceiver struct {
	collogspb.UnimplementedLogsServiceServer
	mu       sync.Mutex
	requests []*collogspb.ExportLogsServiceRequest
	headers  []string
	// authorization holds each request's Authorization header ("" when absent).
	authorization []string
	gate          chan struct{}
}

func (r *otlpReceiver) Export(ctx context.Context, req *collogspb.ExportLogsServiceRequest) (*collogspb.ExportLogsServiceResponse, error) {
	if r.gate != nil {
		<-r.gate
	}
	md, _ := metadata.FromIncomingContext(ctx)
	r.mu.Lock()
	r.requests = append(r.requests, req)
	r.headers = append(r.headers, md.Get("x-tenant")...)
	r.authorization = append(r.authorization, strings.Join(md.Get("authorization"), ","))
	r.mu.Unlock()
	return &collogspb.ExportLogsServiceResponse{}, nil
}

// records returns every received record with its resource attributes.
func (r *otlpReceiver) records() ([]*logspb.LogRecord, []map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var lrs []*logspb.LogRecord
	var res []map[string]string
	for _, req := range r.requests {
		for _, rl := range req.ResourceLogs {
			ra := kvStrings(rl.Resource.GetAttributes())
			for _, sl := range rl.ScopeLogs {
				for _, lr := range sl.LogRecords {
					lrs = append(lrs, lr)
					res = append(res, ra)
				}
			}
		}
	}
	return lrs, res
}

func kvStrings(kvs []*commonpb.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[kv.Key] = kv.Value.GetStringValue()
	}
	return m
}

func startGRPCReceiver(t *testing.T, creds credentials.TransportCredentials, gate chan struct{}) (*otlpReceiver, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var opts []grpc.ServerOption
	if creds != nil {
		opts = append(opts, grpc.Creds(creds))
	}
	srv := grpc.NewServer(opts...)
	rcv := &otlpReceiver{gate: gate}
	collogspb.RegisterLogsServiceServer(srv, rcv)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return rcv, ln.Addr().String()
}

func startHTTPReceiver(t *testing.T) (*otlpReceiver, string) {
	t.Helper()
	rcv := &otlpReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/v1/logs" || req.Header.Get("Content-Type") != "application/x-protobuf" {
			http.Error(w, "bad request "+req.URL.Path, http.StatusBadRequest)
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var m collogspb.ExportLogsServiceRequest
		if err := proto.Unmarshal(body, &m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rcv.mu.Lock()
		rcv.requests = append(rcv.requests, &m)
		rcv.headers = append(rcv.headers, req.Header.Get("X-Tenant"))
		rcv.authorization = append(rcv.authorization, req.Header.Get("Authorization"))
		rcv.mu.Unlock()
		out, _ := proto.Marshal(&collogspb.ExportLogsServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	return rcv, strings.TrimPrefix(srv.URL, "http://")
}

func baseOptions(endpoint string, p Protocol) Options {
	return Options{
		Endpoint: endpoint, Protocol: p, Insecure: true,
		ServiceName: "unified-ot-connector", ServiceVersion: "2.3.0", HostName: "edge-01", Site: "plant-a", Environment: "production",
		// A batch timeout far beyond the test's life: every record below reaches the receiver only
		// because shutdown flushes it.
		BatchTimeout: time.Hour, RetryMaxElapsed: -1, ExportTimeout: 10 * time.Second,
		Headers: map[string]string{"x-tenant": "plant-a"},
	}
}

// checkDelivered asserts the receiver holds exactly ids, each with the schema's resource.
func checkDelivered(t *testing.T, rcv *otlpReceiver, ids []string) {
	t.Helper()
	lrs, res := rcv.records()
	if len(lrs) != len(ids) {
		t.Fatalf("receiver got %d records, want %d", len(lrs), len(ids))
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	for i, lr := range lrs {
		id := kvStrings(lr.Attributes)[secevent.KeyEventID]
		if !want[id] {
			t.Errorf("unexpected or duplicate event.id %q", id)
		}
		delete(want, id)
		if lr.EventName == "" || lr.TimeUnixNano == 0 || lr.SeverityNumber == 0 {
			t.Errorf("record %s lost EventName/Timestamp/Severity: %v", id, lr)
		}
		wantRes := map[string]string{secevent.KeyServiceName: "unified-ot-connector", secevent.KeyServiceVersion: "2.3.0",
			secevent.KeyHostName: "edge-01", secevent.KeySiteName: "plant-a", secevent.KeyDeploymentEnvironment: "production"}
		if len(res[i]) != len(wantRes) {
			t.Errorf("resource %v, want exactly %v", res[i], wantRes)
		}
		for k, v := range wantRes {
			if res[i][k] != v {
				t.Errorf("resource %s = %q, want %q", k, res[i][k], v)
			}
		}
	}
}

func emitAll(ctx context.Context, l *Logger) []string {
	var ids []string
	for _, c := range seedEvents() {
		ids = append(ids, c.call(ctx, l))
	}
	return ids
}

func TestSetupShutdownFlushes(t *testing.T) {
	for _, p := range []Protocol{ProtocolGRPC, ProtocolHTTP} {
		t.Run(string(p), func(t *testing.T) {
			var rcv *otlpReceiver
			var addr string
			if p == ProtocolGRPC {
				rcv, addr = startGRPCReceiver(t, nil, nil)
			} else {
				rcv, addr = startHTTPReceiver(t)
			}
			ctx := context.Background()
			l, shutdown, err := Setup(ctx, baseOptions(addr, p))
			if err != nil {
				t.Fatal(err)
			}
			ids := emitAll(ctx, l)
			if lrs, _ := rcv.records(); len(lrs) != 0 {
				t.Fatalf("%d records exported before shutdown; the test relies on the batch timeout", len(lrs))
			}
			sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if err := shutdown(sctx); err != nil {
				t.Fatalf("shutdown: %v", err)
			}
			checkDelivered(t, rcv, ids)
			if st := l.Stats(); st != (Stats{Emitted: uint64(len(ids)), Exported: uint64(len(ids))}) {
				t.Errorf("stats %+v", st)
			}
			rcv.mu.Lock()
			if len(rcv.headers) == 0 || rcv.headers[0] != "plant-a" {
				t.Errorf("header x-tenant not sent: %v", rcv.headers)
			}
			rcv.mu.Unlock()
			if err := shutdown(sctx); err != nil {
				t.Errorf("second shutdown: %v", err)
			}
		})
	}
}

func TestSetupMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca := writePKI(t, dir)
	serverCert, err := tls.LoadX509KeyPair(filepath.Join(dir, "server.pem"), filepath.Join(dir, "server-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	creds := credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{serverCert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
	})
	rcv, addr := startGRPCReceiver(t, creds, nil)

	opts := baseOptions(addr, ProtocolGRPC)
	opts.Insecure = false
	opts.CAFile = filepath.Join(dir, "ca.pem")
	opts.CertFile, opts.KeyFile = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	ctx := context.Background()
	l, shutdown, err := Setup(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{l.LoginFailed(ctx, "alice", "10.0.0.1", ReasonInvalidCredentials), l.CredentialDecryptionFailed(ctx, "opcua/plc1/password")}
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := shutdown(sctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	checkDelivered(t, rcv, ids)

	// Without the client certificate the server refuses the handshake: shutdown must say so.
	opts.CertFile, opts.KeyFile = "", ""
	l2, shutdown2, err := Setup(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	l2.LoginFailed(ctx, "alice", "10.0.0.1", ReasonInvalidCredentials)
	if err := shutdown2(sctx); err == nil {
		t.Fatal("shutdown without a client certificate succeeded")
	}
	if st := l2.Stats(); st.Failed != 1 || st.Exported != 0 {
		t.Errorf("stats %+v, want 1 failed", st)
	}
}

func TestShutdownReportsExportFailure(t *testing.T) {
	// A port nothing listens on: bind, note it, close.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	for _, p := range []Protocol{ProtocolGRPC, ProtocolHTTP} {
		t.Run(string(p), func(t *testing.T) {
			opts := baseOptions(addr, p)
			opts.ExportTimeout = 3 * time.Second
			ctx := context.Background()
			l, shutdown, err := Setup(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			ids := emitAll(ctx, l)
			sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			err = shutdown(sctx)
			if err == nil {
				t.Fatal("shutdown reported success with no collector listening")
			}
			if st := l.Stats(); st.Emitted != uint64(len(ids)) || st.Failed != uint64(len(ids)) || st.Exported != 0 {
				t.Errorf("stats %+v, want %d emitted and failed", st, len(ids))
			}
		})
	}
}

func TestShutdownReportsQueueDrops(t *testing.T) {
	gate := make(chan struct{})
	rcv, addr := startGRPCReceiver(t, nil, gate)
	opts := baseOptions(addr, ProtocolGRPC)
	opts.MaxQueueSize, opts.ExportMaxBatchSize = 2, 1
	ctx := context.Background()
	l, shutdown, err := Setup(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	// The first record triggers an export that blocks in the receiver; the queue (2) then fills.
	for i := 0; i < 50; i++ {
		l.LoginFailed(ctx, "alice", "10.0.0.1", ReasonInvalidCredentials)
	}
	close(gate)
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	err = shutdown(sctx)
	st := l.Stats()
	lrs, _ := rcv.records()
	if err == nil || !strings.Contains(err.Error(), "dropped") {
		t.Fatalf("shutdown error %v, want a report of dropped records (stats %+v)", err, st)
	}
	if st.Emitted != 50 || st.Dropped == 0 || st.Exported+st.Dropped+st.Failed != 50 || st.Exported != uint64(len(lrs)) {
		t.Errorf("stats %+v do not add up (receiver has %d)", st, len(lrs))
	}
}

func TestOptionsValidate(t *testing.T) {
	ok := Options{ServiceName: "svc"}
	ok.applyDefaults()
	if err := ok.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if ok.Endpoint != "localhost:4317" || ok.Protocol != ProtocolGRPC {
		t.Errorf("defaults: %+v", ok)
	}
	h := Options{ServiceName: "svc", Protocol: ProtocolHTTP}
	h.applyDefaults()
	if h.Endpoint != "localhost:4318" {
		t.Errorf("http default endpoint %q", h.Endpoint)
	}
	cases := map[string]func(o *Options){
		"protocol":       func(o *Options) { o.Protocol = "udp" },
		"endpoint":       func(o *Options) { o.Endpoint = "http://collector:4317" },
		"port":           func(o *Options) { o.Endpoint = "collector:0" },
		"url_path":       func(o *Options) { o.URLPath = "/v1/logs" },
		"insecure":       func(o *Options) { o.Insecure = true; o.CAFile = "ca.pem" },
		"key_file":       func(o *Options) { o.CertFile = "c.pem" },
		"service_name":   func(o *Options) { o.ServiceName = "" },
		"max_queue_size": func(o *Options) { o.ExportMaxBatchSize = 4096 },
		"must not be negative": func(o *Options) {
			o.BatchTimeout = -time.Second
		},
	}
	for want, mutate := range cases {
		o := ok
		mutate(&o)
		err := o.Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v", want, err)
		}
	}
	if _, _, err := Setup(context.Background(), Options{}); err == nil || !strings.Contains(err.Error(), "service_name") {
		t.Errorf("Setup without service name: %v", err)
	}
	if _, _, err := Setup(context.Background(), Options{ServiceName: "s", CAFile: "/nonexistent/ca.pem"}); err == nil || !strings.Contains(err.Error(), "ca_file") {
		t.Errorf("Setup with a missing CA file: %v", err)
	}
}

// writePKI writes ca.pem, server.pem/server-key.pem (for 127.0.0.1) and client.pem/client-key.pem
// into dir and returns the CA certificate.
func writePKI(t *testing.T, dir string) *x509.Certificate {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "seclog test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", caDER)
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, _ := x509.MarshalECPrivateKey(key)
		writePEM(t, filepath.Join(dir, name+".pem"), "CERTIFICATE", der)
		writePEM(t, filepath.Join(dir, name+"-key.pem"), "EC PRIVATE KEY", keyDER)
	}
	leaf("server", 2, x509.ExtKeyUsageServerAuth)
	leaf("client", 3, x509.ExtKeyUsageClientAuth)
	return ca
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
