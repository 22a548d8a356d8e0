package seclog

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeToken(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "intake.token")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// With TokenFile every export carries "Authorization: Bearer <first token>", over gRPC and HTTP,
// beside the other headers.
func TestSetupTokenFile(t *testing.T) {
	for _, p := range []Protocol{ProtocolGRPC, ProtocolHTTP} {
		t.Run(string(p), func(t *testing.T) {
			var rcv *otlpReceiver
			var addr string
			if p == ProtocolGRPC {
				rcv, addr = startGRPCReceiver(t, nil, nil)
			} else {
				rcv, addr = startHTTPReceiver(t)
			}
			opts := baseOptions(addr, p) // loopback, insecure
			// The guard's format: a blank line, then the token and a comment word.
			opts.TokenFile = writeToken(t, "\n  tok-7f3a9c1e  intake\nsecond-line-ignored\n")
			ctx := context.Background()
			l, shutdown, err := Setup(ctx, opts)
			if err != nil {
				t.Fatal(err)
			}
			ids := emitAll(ctx, l)
			sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if err := shutdown(sctx); err != nil {
				t.Fatalf("shutdown: %v", err)
			}
			checkDelivered(t, rcv, ids)
			rcv.mu.Lock()
			defer rcv.mu.Unlock()
			if len(rcv.authorization) == 0 {
				t.Fatal("no request received")
			}
			for _, a := range rcv.authorization {
				if a != "Bearer tok-7f3a9c1e" {
					t.Errorf("Authorization %q, want %q", a, "Bearer tok-7f3a9c1e")
				}
			}
			if rcv.headers[0] != "plant-a" {
				t.Errorf("the other headers were lost: %v", rcv.headers)
			}
		})
	}
}

// The token file is read as the collector's intake_guard (contrib's bearertokenauth) reads its
// token_file: the first white-space-separated word of a non-empty line is a token, the rest of the
// line a comment. The client sends the first token, so any file the guard accepts works.
func TestTokenFileFormat(t *testing.T) {
	for content, want := range map[string]string{
		"tok-1\n":                            "tok-1",
		"tok-1":                              "tok-1",
		"\n\ttok-1 rotated 2026-01\ntok-2\n": "tok-1",
		"  \r\ntok-1\r\n":                    "tok-1",
		"\n\ntok-1\tcomment\n":               "tok-1",
	} {
		h, err := Options{TokenFile: writeToken(t, content), Headers: map[string]string{"X-Plant": "a"}}.headers()
		if err != nil {
			t.Fatalf("%q: %v", content, err)
		}
		if h["Authorization"] != "Bearer "+want || h["X-Plant"] != "a" {
			t.Errorf("%q: headers %v, want Authorization %q", content, h, "Bearer "+want)
		}
	}
}

func TestTokenFileErrors(t *testing.T) {
	cases := map[string]struct {
		file string
		want string
	}{
		"missing":   {filepath.Join(t.TempDir(), "nope"), "token_file: open "},
		"empty":     {writeToken(t, "\n \t\n"), "holds no token"},
		"directory": {t.TempDir(), "token_file: read "},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			opts := baseOptions("127.0.0.1:4317", ProtocolGRPC)
			opts.TokenFile = c.file
			_, _, err := Setup(context.Background(), opts)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.file) {
				t.Fatalf("err %v, want one naming %s and %q", err, c.file, c.want)
			}
		})
	}
}

func TestTokenFileValidate(t *testing.T) {
	base := Options{ServiceName: "svc", TokenFile: "/run/secrets/intake.token"}
	base.applyDefaults()
	if err := base.Validate(); err != nil {
		t.Fatalf("token over TLS: %v", err)
	}
	loop := base
	loop.Insecure, loop.Endpoint = true, "127.0.0.1:4317"
	if err := loop.Validate(); err != nil {
		t.Errorf("token in plain text to loopback: %v", err)
	}
	remote := base
	remote.Insecure, remote.Endpoint = true, "collector.site:4317"
	if err := remote.Validate(); err == nil || !strings.Contains(err.Error(), "plain text to collector.site:4317") {
		t.Errorf("token in plain text to a remote collector: %v", err)
	}
	both := base
	both.Headers = map[string]string{"authorization": "Bearer x"}
	if err := both.Validate(); err == nil || !strings.Contains(err.Error(), "cannot be combined with an Authorization header") {
		t.Errorf("token_file and an Authorization header: %v", err)
	}
}
