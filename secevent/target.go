package secevent

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// KeyURLFull holds a target that is a whole URL with a scheme.
const KeyURLFull = "url.full"

// TargetPlacement says where a seed `target` value goes in the schema.
type TargetPlacement struct {
	Key   string // the canonical key the value belongs under
	Value string // the value to store (a host without its port, when Port is set)
	Port  int    // a port split off an address, or 0; stored under KeyServerPort
}

// PlaceTarget decides where the seed's catch-all `target` goes, from the event's category and the
// value's shape. The rules, first match wins:
//
//  1. category credential_access: otsec.credential.name (a key name; never a secret value)
//  2. category configuration: otsec.config.key (a config item or data-source name)
//  3. a CIDR network range: otsec.network.range
//  4. a path starting with "/": url.path; a URL with a scheme: url.full
//  5. an IP address, or IP:port / [IPv6]:port: server.address (+ server.port)
//  6. a host name (contains a dot, or host:port), or any target of a network or availability
//     event: server.address (+ server.port)
//  7. anything else: event.target, unchanged
func PlaceTarget(c Category, target string) TargetPlacement {
	switch c {
	case CategoryCredentialAccess:
		return TargetPlacement{Key: KeyCredentialName, Value: target}
	case CategoryConfiguration:
		return TargetPlacement{Key: KeyConfigKey, Value: target}
	}
	if strings.HasPrefix(target, "/") {
		// Checked before ParsePrefix: a path is the common case (RBAC) and ParsePrefix's error
		// for it costs an allocation; no CIDR starts with "/".
		return TargetPlacement{Key: KeyURLPath, Value: target}
	}
	if strings.Contains(target, "/") {
		if p, err := netip.ParsePrefix(target); err == nil {
			return TargetPlacement{Key: KeyNetworkRange, Value: p.String()}
		}
		if u, err := url.Parse(target); err == nil && u.Scheme != "" && u.Host != "" {
			return TargetPlacement{Key: KeyURLFull, Value: target}
		}
	}
	if a, err := netip.ParseAddr(target); err == nil {
		return TargetPlacement{Key: KeyServerAddress, Value: a.String()}
	}
	if host, port, ok := splitHostPort(target); ok {
		return TargetPlacement{Key: KeyServerAddress, Value: host, Port: port}
	}
	if (looksLikeHostName(target) && strings.Contains(target, ".")) ||
		((c == CategoryNetwork || c == CategoryAvailability) && looksLikeHostName(target)) {
		return TargetPlacement{Key: KeyServerAddress, Value: target}
	}
	return TargetPlacement{Key: KeyTarget, Value: target}
}

// splitHostPort accepts host:port and [v6]:port with a numeric port in 1..65535.
func splitHostPort(s string) (string, int, bool) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || i == len(s)-1 {
		return "", 0, false
	}
	port, err := strconv.Atoi(s[i+1:])
	if err != nil || port < 1 || port > 65535 {
		return "", 0, false
	}
	host := s[:i]
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		if err != nil || !a.Is6() {
			return "", 0, false
		}
		return a.String(), port, true
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Is4() {
		return a.String(), port, true
	}
	if !looksLikeHostName(host) {
		return "", 0, false
	}
	return host, port, true
}

// looksLikeHostName reports whether s is a syntactically valid DNS name (RFC 1123 labels).
func looksLikeHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			ch := label[i]
			if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-') {
				return false
			}
		}
	}
	return true
}
