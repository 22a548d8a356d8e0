package configdigestextension // import "github.com/unified-ot/otelcol-siem/extension/configdigestextension"

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensioncapabilities"
	"go.uber.org/zap"
)

// Masked replaces every secret value before hashing.
const Masked = "[masked]"

// secretKeys are key names (lower case) whose values are secrets wherever they appear.
var secretKeys = map[string]bool{
	"token": true, "password": true, "passwd": true, "secret": true, "authorization": true,
	"key": true, "key_pem": true, "api_key": true, "apikey": true, "client_secret": true,
	"bearer_token": true, "private_key": true, "credentials": true, "cookie": true,
}

// secretSuffixes mark keys such as hec_token, sasl_password, shared_secret, x_api_key.
var secretSuffixes = []string{"_token", "_password", "_secret", "_api_key", "_apikey"}

// subtreeKeys are keys under which every value is masked (header values carry credentials;
// their names are kept).
var subtreeKeys = map[string]bool{"headers": true}

// digester keeps the digest of the effective configuration it was given.
type digester struct {
	logger *zap.Logger
	extra  map[string]bool

	mu     sync.Mutex
	digest string
}

var _ extensioncapabilities.ConfigSnapshotWatcher = (*digester)(nil)

func newDigester(set extension.Settings, cfg *Config) *digester {
	d := &digester{logger: set.Logger, extra: map[string]bool{}}
	for _, k := range cfg.MaskKeys {
		d.extra[strings.ToLower(strings.TrimSpace(k))] = true
	}
	return d
}

func (*digester) Start(context.Context, component.Host) error { return nil }
func (*digester) Shutdown(context.Context) error              { return nil }

// NotifyConfigSnapshot is called by the collector with the effective configuration after the
// extensions started and before the pipelines start.
func (d *digester) NotifyConfigSnapshot(_ context.Context, snap extensioncapabilities.ConfigSnapshot) error {
	conf := snap.Effective()
	if conf == nil {
		return errors.New("config_digest: the collector gave no effective configuration")
	}
	digest, err := Digest(conf.ToStringMap(), d.extra)
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.digest = digest
	d.mu.Unlock()
	d.logger.Info("Digest of the effective configuration (secrets masked)", zap.String("digest", digest))
	return nil
}

// ConfigDigest is "sha256:<hex>" of the effective configuration with its secrets masked; empty
// before the collector gave it one.
func (d *digester) ConfigDigest() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.digest
}

// Digest is "sha256:<hex>" of cfg with its secrets masked (extra: more key names, lower case), over
// its JSON encoding (map keys sorted), so that one configuration always gives one digest.
func Digest(cfg map[string]any, extra map[string]bool) (string, error) {
	b, err := json.Marshal(mask(cfg, false, extra))
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// mask returns v with every secret replaced by Masked: the values of secret keys, every value
// under a subtree key, the password of a URL with credentials, and an Authorization-style value
// ("Bearer ...", "Basic ...") anywhere. Empty values stay empty, so that the digest still tells a
// configured secret from none.
func mask(v any, secret bool, extra map[string]bool) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			lk := strings.ToLower(k)
			out[k] = mask(e, secret || isSecretKey(lk) || extra[lk], extra)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = mask(e, secret, extra)
		}
		return out
	case nil:
		return nil
	case string:
		if t == "" {
			return t
		}
		if secret {
			return Masked
		}
		return maskString(t)
	default:
		if secret {
			return Masked
		}
		return t
	}
}

func isSecretKey(k string) bool {
	if secretKeys[k] || subtreeKeys[k] {
		return true
	}
	for _, s := range secretSuffixes {
		if strings.HasSuffix(k, s) {
			return true
		}
	}
	return false
}

// maskString masks the credentials a plain value can carry.
func maskString(s string) string {
	ls := strings.ToLower(s)
	if strings.HasPrefix(ls, "bearer ") || strings.HasPrefix(ls, "basic ") || strings.HasPrefix(ls, "splunk ") {
		return Masked
	}
	if strings.Contains(s, "@") && strings.Contains(s, "://") {
		if u, err := url.Parse(s); err == nil && u.User != nil {
			u.User = url.User(Masked)
			return u.String()
		}
	}
	return s
}
