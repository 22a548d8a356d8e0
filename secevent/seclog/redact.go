package seclog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Redacted replaces the value of a secret-looking key in otsec.config.changes.
const Redacted = "[REDACTED]"

// secretKeyParts mark a JSON object key as naming a secret. Keys are compared lower-cased with
// '_', '-', '.' and ' ' removed, so "client_secret", "clientSecret" and "Client-Secret" all match.
// Over-redaction is the safe error here: a SIEM must never receive a credential.
var secretKeyParts = []string{
	"password", "passwd", "passphrase", "secret", "token", "credential", "apikey", "privatekey",
	"accesskey", "signingkey", "encryptionkey", "authorization", "cookie", "certificatekey",
}

// secretKeyExact are secret-looking keys too short to match as substrings.
var secretKeyExact = map[string]bool{"pwd": true, "pass": true, "pin": true, "sas": true, "psk": true}

// IsSecretKey reports whether a configuration key names a secret, by the rules RedactChanges uses.
func IsSecretKey(k string) bool {
	n := strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.', ' ':
			return -1
		}
		return r
	}, strings.ToLower(k))
	if secretKeyExact[n] {
		return true
	}
	for _, p := range secretKeyParts {
		if strings.Contains(n, p) {
			return true
		}
	}
	return false
}

// RedactChanges encodes changes as one JSON document with every value under a secret-looking
// object key (IsSecretKey), at any depth, replaced by "[REDACTED]". changes may be anything
// encoding/json accepts; a string, []byte or json.RawMessage holding JSON is parsed first (so an
// already-encoded document is redacted too), and one that is not JSON is kept as a JSON string.
// Something encoding/json cannot encode yields {"error":"..."} naming only its Go type.
func RedactChanges(changes any) string {
	var raw []byte
	switch v := changes.(type) {
	case string:
		raw = []byte(v)
	case []byte:
		raw = v
	case json.RawMessage:
		raw = v
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprintf(`{"error":"changes of type %T are not JSON-encodable"}`, v)
		}
		raw = b
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // keep numbers exactly as given
	var doc any
	if err := dec.Decode(&doc); err != nil || dec.More() {
		doc = string(raw) // not JSON: a plain string value; nothing keyed to redact
	}
	out, err := json.Marshal(redact(doc))
	if err != nil { // cannot happen: doc holds only decoded JSON values
		return `{"error":"changes could not be re-encoded"}`
	}
	return string(out)
}

func redact(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if IsSecretKey(k) {
				t[k] = Redacted
			} else {
				t[k] = redact(e)
			}
		}
	case []any:
		for i, e := range t {
			t[i] = redact(e)
		}
	}
	return v
}
