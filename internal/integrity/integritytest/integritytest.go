// Package integritytest helps the exporters' tests run with integrity on: a host with a real
// queue_storage extension (the persistent queue and the stream state), a key file, and the
// verifier over what a test receiver got.
package integritytest // import "github.com/unified-ot/otelcol-siem/internal/integrity/integritytest"

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/unified-ot/otelcol-siem/extension/queuestorageextension"
	"github.com/unified-ot/otelcol-siem/internal/integrity"
)

// StorageID names the storage extension of Host.
var StorageID = component.MustNewID("queue_storage")

type host struct {
	exts map[component.ID]component.Component
}

func (h host) GetExtensions() map[component.ID]component.Component { return h.exts }

// Host returns a host with a started queue_storage extension keeping its files in dir; it is shut
// down when the test ends. The same dir across two hosts is a restart.
func Host(t testing.TB, dir string) component.Host {
	f := queuestorageextension.NewFactory()
	cfg := f.CreateDefaultConfig()
	require.NoError(t, setDirectory(cfg, dir))
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	h := host{exts: map[component.ID]component.Component{StorageID: ext}}
	require.NoError(t, ext.Start(context.Background(), h))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	return h
}

func setDirectory(cfg component.Config, dir string) error {
	c, ok := cfg.(*queuestorageextension.Config)
	if !ok {
		return os.ErrInvalid
	}
	c.Directory = dir
	return nil
}

// Key is the test key.
const Key = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// KeyFile writes Key into a file of dir and returns its path.
func KeyFile(t testing.TB, dir string) string {
	p := filepath.Join(dir, "integrity.key")
	require.NoError(t, os.WriteFile(p, []byte(Key+"\n"), 0o600))
	return p
}

// Verify runs the verifier over records (as the SIEM stored them), logs its report and returns it.
func Verify(t testing.TB, records [][]byte) *integrity.Report {
	t.Helper()
	v := &integrity.Verifier{Keys: map[string][]byte{integrity.KeyID([]byte(Key)): []byte(Key)}, Until: time.Now(), Slack: time.Minute}
	for _, r := range records {
		v.Add(r)
	}
	rep := v.Report()
	var b strings.Builder
	_, _ = rep.WriteTo(&b)
	t.Log(b.String())
	return rep
}
