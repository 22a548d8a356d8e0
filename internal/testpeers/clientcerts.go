package testpeers

import (
	"testing"
	"time"
)

// ExpiredClientCert returns a client certificate (clientAuth) signed by the main CA that expired a
// day ago, and its key: a server requiring client certificates from CAFile must refuse it even
// though it chains to the trusted CA.
func (c *Certs) ExpiredClientCert(t testing.TB) (certFile, keyFile string) {
	t.Helper()
	now := time.Now()
	return makeLeaf(t, c.Dir, "expired-client", c.ca, c.caKey, leafSpec{
		cn: "otelcol-siem expired test client", notBefore: now.Add(-72 * time.Hour), notAfter: now.Add(-24 * time.Hour)})
}
