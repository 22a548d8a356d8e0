package testpeers

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	blk, _ := pem.Decode(b)
	require.NotNil(t, blk, path)
	c, err := x509.ParseCertificate(blk.Bytes)
	require.NoError(t, err)
	return c
}

func TestNewCerts(t *testing.T) {
	c := NewCerts(t)
	roots := c.Pool(t, c.CAFile)
	otherRoots := c.Pool(t, c.OtherCAFile)
	now := time.Now()
	server := x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	client := x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}

	srv := readCert(t, c.ServerCert)
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		o := server
		o.DNSName = name
		_, err := srv.Verify(o)
		assert.NoError(t, err, "server cert for %s", name)
	}
	_, err := readCert(t, c.ClientCert).Verify(client)
	assert.NoError(t, err, "client cert")
	_, err = readCert(t, c.ServerCert).Verify(client)
	assert.Error(t, err, "the server cert must not pass as a client cert")

	o := server
	o.DNSName = "127.0.0.1"
	_, err = readCert(t, c.ExpiredServerCert).Verify(o)
	var inv x509.CertificateInvalidError
	require.ErrorAs(t, err, &inv)
	assert.Equal(t, x509.Expired, inv.Reason)

	_, err = readCert(t, c.WrongHostServerCert).Verify(o)
	var hn x509.HostnameError
	assert.ErrorAs(t, err, &hn)
	o.DNSName = WrongHostName
	_, err = readCert(t, c.WrongHostServerCert).Verify(o)
	assert.NoError(t, err, "the wrong-host cert is valid for its own name")

	o = server
	o.Roots = otherRoots
	_, err = srv.Verify(o)
	var ua x509.UnknownAuthorityError
	assert.ErrorAs(t, err, &ua, "the unrelated CA must not verify the server cert")
	oc := client
	_, err = readCert(t, c.OtherClientCert).Verify(oc)
	assert.ErrorAs(t, err, &ua, "the unrelated CA's client cert must not verify against the main CA")
	oc.Roots = otherRoots
	_, err = readCert(t, c.OtherClientCert).Verify(oc)
	assert.NoError(t, err)

	for _, kp := range [][2]string{{c.ServerCert, c.ServerKey}, {c.ClientCert, c.ClientKey}, {c.OtherClientCert, c.OtherClientKey},
		{c.ExpiredServerCert, c.ExpiredServerKey}, {c.WrongHostServerCert, c.WrongHostServerKey}} {
		_, err := tls.LoadX509KeyPair(kp[0], kp[1])
		assert.NoError(t, err, "key pair %s", kp[0])
		st, err := os.Stat(kp[1])
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "private key readable by others: %s", kp[1])
	}
}

func TestWithServerCertCopies(t *testing.T) {
	c := NewCerts(t)
	e := c.WithServerCert(c.ExpiredServerCert, c.ExpiredServerKey)
	assert.Equal(t, c.ExpiredServerCert, e.ServerCert)
	assert.Equal(t, c.ExpiredServerKey, e.ServerKey)
	assert.NotEqual(t, c.ServerCert, e.ServerCert, "the original must be unchanged")
	assert.Equal(t, c.CAFile, e.CAFile)
}

// ClientTLSConfig must complete a handshake with a Go server using ServerCert that requires
// ClientCert (the same check the peers make), and fail without the client certificate.
func TestClientTLSConfigHandshake(t *testing.T) {
	c := NewCerts(t)
	kp, err := tls.LoadX509KeyPair(c.ServerCert, c.ServerKey)
	require.NoError(t, err)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{kp}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: c.Pool(t, c.CAFile),
	})
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			_ = conn.(*tls.Conn).Handshake()
			_, _ = conn.Write([]byte("x"))
			_ = conn.Close()
		}
	}()
	dial := func(mutual bool) error {
		conn, err := tls.Dial("tcp", ln.Addr().String(), c.ClientTLSConfig(t, mutual))
		if err != nil {
			return err
		}
		defer conn.Close()
		_, err = conn.Read(make([]byte, 1))
		return err
	}
	assert.NoError(t, dial(true))
	err = dial(false)
	require.Error(t, err)
	assert.False(t, errors.Is(err, os.ErrDeadlineExceeded))
}
