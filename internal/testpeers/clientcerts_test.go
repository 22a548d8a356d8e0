package testpeers

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestExpiredClientCert(t *testing.T) {
	c := NewCerts(t)
	certFile, keyFile := c.ExpiredClientCert(t)
	cert := readCert(t, certFile)
	assert.True(t, cert.NotAfter.Before(time.Now()), "expired")
	opts := x509.VerifyOptions{Roots: c.Pool(t, c.CAFile), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	_, err := cert.Verify(opts)
	var invalid x509.CertificateInvalidError
	require.ErrorAs(t, err, &invalid)
	assert.Equal(t, x509.Expired, invalid.Reason)
	// Signed by the main CA: expiry is its only fault.
	require.NoError(t, cert.CheckSignatureFrom(readCert(t, c.CAFile)))
	assert.FileExists(t, keyFile)
}
