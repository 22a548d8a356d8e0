package configdigestextension

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/extension/extensioncapabilities"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/unified-ot/otelcol-siem/extension/configdigestextension/internal/metadata"
)

func site(token, path string) map[string]any {
	return map[string]any{
		"exporters": map[string]any{
			"splunk_hec_sec": map[string]any{"endpoint": "https://splunk:8088", "token": token,
				"tls": map[string]any{"key_file": path, "ca_file": "/etc/ca.pem"}},
			"security_webhook": map[string]any{"endpoint": "https://user:pw@hook.example/events",
				"headers": map[string]any{"Authorization": "Bearer abc", "X-Site": "plant-1"}},
			"kafka": map[string]any{"auth": map[string]any{"sasl": map[string]any{"username": "u", "password": "p"}}},
		},
		"processors": map[string]any{"security_classify": map[string]any{
			"keywords": []any{map[string]any{"category": "credential_access", "any": []any{"token*", "secret*"}}},
		}},
		"service": map[string]any{"pipelines": map[string]any{"logs": map[string]any{"exporters": []any{"splunk_hec_sec"}}}},
	}
}

func TestMask(t *testing.T) {
	m := mask(site("s3cr3t", "/etc/key.pem"), false, nil).(map[string]any)
	exp := m["exporters"].(map[string]any)
	hec := exp["splunk_hec_sec"].(map[string]any)
	assert.Equal(t, Masked, hec["token"])
	assert.Equal(t, "https://splunk:8088", hec["endpoint"])
	assert.Equal(t, "/etc/key.pem", hec["tls"].(map[string]any)["key_file"], "a path is not a secret")
	wh := exp["security_webhook"].(map[string]any)
	assert.NotContains(t, wh["endpoint"], "pw", "URL credentials are masked")
	assert.Contains(t, wh["endpoint"], "hook.example/events")
	assert.Equal(t, map[string]any{"Authorization": Masked, "X-Site": Masked}, wh["headers"], "every header value")
	assert.Equal(t, Masked, exp["kafka"].(map[string]any)["auth"].(map[string]any)["sasl"].(map[string]any)["password"])
	assert.Equal(t, "u", exp["kafka"].(map[string]any)["auth"].(map[string]any)["sasl"].(map[string]any)["username"])
	kw := m["processors"].(map[string]any)["security_classify"].(map[string]any)["keywords"].([]any)[0].(map[string]any)
	assert.Equal(t, []any{"token*", "secret*"}, kw["any"], "a keyword list is configuration, not a secret")
	assert.Equal(t, Masked, maskString("Bearer xyz"))
	assert.Equal(t, "", mask(map[string]any{"token": ""}, false, nil).(map[string]any)["token"], "an empty secret stays empty")
}

func TestDigest(t *testing.T) {
	d1, err := Digest(site("one", "/k"), nil)
	require.NoError(t, err)
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, d1)
	d2, err := Digest(site("two", "/k"), nil)
	require.NoError(t, err)
	assert.Equal(t, d1, d2, "a secret changes nothing: the digest must not let anyone test guesses of it")
	d3, err := Digest(site("one", "/other"), nil)
	require.NoError(t, err)
	assert.NotEqual(t, d1, d3, "any other change changes the digest")
	again, _ := Digest(site("one", "/k"), nil)
	assert.Equal(t, d1, again, "stable")

	// mask_keys adds names.
	cfg := map[string]any{"x": map[string]any{"community": "public"}}
	a, _ := Digest(cfg, nil)
	b, _ := Digest(map[string]any{"x": map[string]any{"community": "private"}}, nil)
	assert.NotEqual(t, a, b)
	a, _ = Digest(cfg, map[string]bool{"community": true})
	b, _ = Digest(map[string]any{"x": map[string]any{"community": "private"}}, map[string]bool{"community": true})
	assert.Equal(t, a, b)
}

func TestNotifyConfigSnapshot(t *testing.T) {
	f := NewFactory()
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(metadata.Type), &Config{MaskKeys: []string{"Community"}})
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	d := ext.(interface{ ConfigDigest() string })
	assert.Empty(t, d.ConfigDigest(), "none before the collector gives the configuration")
	w := ext.(extensioncapabilities.ConfigSnapshotWatcher)
	require.NoError(t, w.NotifyConfigSnapshot(context.Background(),
		extensioncapabilities.NewConfigSnapshot(confmap.NewFromStringMap(site("x", "/k")), nil)))
	want, _ := Digest(site("x", "/k"), nil)
	assert.Equal(t, want, d.ConfigDigest())
	assert.Error(t, w.NotifyConfigSnapshot(context.Background(), extensioncapabilities.NewConfigSnapshot(nil, nil)))
	require.NoError(t, ext.Shutdown(context.Background()))
}

func TestConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	for name, wantErr := range map[string]string{"": "", "extra": "", "empty_key": "mask_keys[1]: empty key name"} {
		id := component.NewIDWithName(metadata.Type, name)
		if name == "" {
			id = component.NewID(metadata.Type)
		}
		sub, err := cm.Sub(id.String())
		require.NoError(t, err)
		cfg := NewFactory().CreateDefaultConfig().(*Config)
		require.NoError(t, sub.Unmarshal(cfg))
		if wantErr == "" {
			assert.NoError(t, cfg.Validate(), name)
		} else {
			assert.ErrorContains(t, cfg.Validate(), wantErr)
		}
	}
}
