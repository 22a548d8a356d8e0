package secformat

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output (review the diff before committing)")

// goldenFormats renders every seed event in one format; each event is one line of the golden file.
var goldenFormats = []struct {
	file   string
	render func(t *testing.T) func(i int, e seedEvent) []byte
}{
	{"seed.cef.golden", func(t *testing.T) func(int, seedEvent) []byte {
		f := mustCEF(t, DefaultCEFConfig())
		return func(i int, e seedEvent) []byte { res, lr := e.build(i); return f.Append(nil, res, lr) }
	}},
	{"seed.json.golden", func(t *testing.T) func(int, seedEvent) []byte {
		f := NewJSON()
		return func(i int, e seedEvent) []byte { res, lr := e.build(i); return f.Append(nil, res, lr) }
	}},
	{"seed.rfc5424-cef.golden", func(t *testing.T) func(int, seedEvent) []byte {
		f := mustCEF(t, DefaultCEFConfig())
		cfg := DefaultSyslogConfig()
		cfg.StructuredData = true
		s := mustSyslog(t, cfg)
		return func(i int, e seedEvent) []byte {
			res, lr := e.build(i)
			return s.Append(nil, res, lr, f.Append(nil, res, lr))
		}
	}},
	{"seed.rfc3164-cef.golden", func(t *testing.T) func(int, seedEvent) []byte {
		f := mustCEF(t, DefaultCEFConfig())
		cfg := DefaultSyslogConfig()
		cfg.Protocol = ProtocolRFC3164
		cfg.Facility = "auth"
		s := mustSyslog(t, cfg)
		return func(i int, e seedEvent) []byte {
			res, lr := e.build(i)
			return s.Append(nil, res, lr, f.Append(nil, res, lr))
		}
	}},
	{"seed.rfc5424-json.golden", func(t *testing.T) func(int, seedEvent) []byte {
		f := NewJSON()
		cfg := DefaultSyslogConfig()
		cfg.Hostname = "collector-1"
		s := mustSyslog(t, cfg)
		return func(i int, e seedEvent) []byte {
			res, lr := e.build(i)
			return s.Append(nil, res, lr, f.Append(nil, res, lr))
		}
	}},
}

func mustCEF(t testing.TB, cfg CEFConfig) *CEF {
	t.Helper()
	f, err := NewCEF(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustSyslog(t testing.TB, cfg SyslogConfig) *Syslog {
	t.Helper()
	s, err := NewSyslog(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGoldenSeedEvents(t *testing.T) {
	for _, gf := range goldenFormats {
		t.Run(gf.file, func(t *testing.T) {
			render := gf.render(t)
			var got bytes.Buffer
			for i, e := range seedEvents() {
				line := render(i, e)
				if bytes.ContainsAny(line, "\r\n") {
					t.Fatalf("%s: output contains CR or LF: %q", e.name, line)
				}
				got.Write(line)
				got.WriteByte('\n')
			}
			path := filepath.Join("testdata", gf.file)
			if *update {
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGoldenSeedEvents -update once, then review the file)", err)
			}
			gotLines := bytes.Split(got.Bytes(), []byte("\n"))
			wantLines := bytes.Split(want, []byte("\n"))
			if len(gotLines) != len(wantLines) {
				t.Fatalf("got %d lines, golden has %d", len(gotLines), len(wantLines))
			}
			for i := range gotLines {
				if !bytes.Equal(gotLines[i], wantLines[i]) {
					t.Errorf("line %d differs\n got: %s\nwant: %s", i+1, gotLines[i], wantLines[i])
				}
			}
		})
	}
}
