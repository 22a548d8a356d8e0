package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/unified-ot/otelcol-siem/internal/delivery"
	"github.com/unified-ot/otelcol-siem/internal/integrity"
	"github.com/unified-ot/otelcol-siem/internal/integrity/integritytest"
	"github.com/unified-ot/otelcol-siem/internal/secformat"
)

// stampedExport writes a stream of a start checkpoint and n CEF events (bare lines) and returns
// the file and the key file.
func stampedExport(t *testing.T, n int) (file, key string) {
	dir := t.TempDir()
	cfg := integrity.DefaultConfig()
	cfg.KeyFile = integritytest.KeyFile(t, t.TempDir()) // a directory of its own: -key-dir reads every file
	cef, err := secformat.NewCEF(secformat.DefaultCEFConfig())
	require.NoError(t, err)
	st := integrity.New(integrity.Settings{
		Config: cfg, ID: component.MustNewID("cef_syslog"), Kind: integrity.KindCEF, Logger: zap.NewNop(),
		Locate:   func(rec []byte) (int, int, bool) { return 0, len(rec), false },
		Counters: integrity.Counters{Stamped: func(context.Context, int64) {}, Checkpoints: func(context.Context, int64) {}},
	})
	require.NoError(t, st.Start(context.Background(), integritytest.Host(t, t.TempDir()), integritytest.StorageID))
	conv := &delivery.Converter{
		Format: func(dst []byte, res pcommon.Resource, lr plog.LogRecord) ([]byte, bool, bool) {
			return cef.Append(dst, res, lr), false, true
		},
		Logger: zap.NewNop(), Failed: func(context.Context, int) {}, Truncated: func(context.Context, int) {},
		Integrity: st,
	}
	ld := plog.NewLogs()
	lrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for range n {
		lr := lrs.AppendEmpty()
		lr.Body().SetStr("Failed login for alice")
		lr.Attributes().PutStr("event.category", "authentication")
	}
	var b bytes.Buffer
	for _, r := range conv.Convert(context.Background(), ld).Records() {
		b.Write(r)
		b.WriteByte('\n')
	}
	file = filepath.Join(dir, "export.log")
	require.NoError(t, os.WriteFile(file, b.Bytes(), 0o600))
	return file, cfg.KeyFile
}

func runArgs(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestExitStatus(t *testing.T) {
	file, key := stampedExport(t, 5)
	code, out, _ := runArgs("-key", key, file)
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "records checked: 6 (verified 6)")
	assert.Contains(t, out, "result: PASS")
	assert.NotContains(t, out, integritytest.Key, "the key is never printed")

	// The key directory form, and a changed byte.
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	changed := filepath.Join(t.TempDir(), "changed.log")
	require.NoError(t, os.WriteFile(changed, bytes.Replace(data, []byte("alice"), []byte("alicf"), 1), 0o600))
	code, out, _ = runArgs("-key-dir", filepath.Dir(key), changed)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "FAIL altered records")

	// Usage and read errors.
	code, _, errOut := runArgs(file)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "no key given")
	code, _, errOut = runArgs("-key", key, "-until", "yesterday", file)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "-until")
	code, _, _ = runArgs("-key", key, filepath.Join(t.TempDir(), "missing.log"))
	assert.Equal(t, 2, code)
	short := filepath.Join(t.TempDir(), "short.key")
	require.NoError(t, os.WriteFile(short, []byte("abc"), 0o600))
	code, _, errOut = runArgs("-key", short, file)
	assert.Equal(t, 2, code)
	assert.Contains(t, errOut, "at least 32 bytes")
}

// With several files the report names the file of a line and counts lines within it, blank ones
// included.
func TestLinesNamedByFile(t *testing.T) {
	file, key := stampedExport(t, 5)
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	// The first event (line 2 of the export) changed, after a blank line: line 3 of the copy.
	copied := filepath.Join(t.TempDir(), "copy.log")
	require.NoError(t, os.WriteFile(copied, append([]byte("\n"), bytes.Replace(data, []byte("alice"), []byte("alicf"), 1)...), 0o600))
	code, out, _ := runArgs("-key", key, file, copied)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "lines read: 12,")
	assert.Contains(t, out, "FAIL inserted records (MAC mismatch beside a valid record of the same number): 1, lines "+copied+":3\n")

	// One file: line numbers alone.
	code, out, _ = runArgs("-key", key, copied)
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "FAIL altered records (MAC mismatch): 1, lines 3\n")
}
