package testpeers

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Certs is a throw-away PKI for loopback TLS tests, written as PEM files into a temp dir.
// Keys are ECDSA P-256 (accepted by GnuTLS, OpenSSL and Go; much faster to generate than RSA).
//
// The main CA signs ServerCert (SAN localhost, 127.0.0.1, ::1; serverAuth) and ClientCert
// (clientAuth). For negative tests: OtherCAFile is an unrelated CA (a client trusting only it must
// reject every server here) which signs OtherClientCert (an mTLS peer must refuse it);
// ExpiredServerCert is signed by the main CA but expired a day ago; WrongHostServerCert is signed by
// the main CA for wrong-host.invalid only.
type Certs struct {
	Dir string

	CAFile     string
	ServerCert string
	ServerKey  string
	ClientCert string
	ClientKey  string

	OtherCAFile     string
	OtherClientCert string
	OtherClientKey  string

	ExpiredServerCert   string
	ExpiredServerKey    string
	WrongHostServerCert string
	WrongHostServerKey  string

	// The main CA, kept to sign further leaves on demand (clientcerts.go).
	ca    *x509.Certificate
	caKey crypto.Signer
}

// WrongHostName is the only name in WrongHostServerCert.
const WrongHostName = "wrong-host.invalid"

// NewCerts generates the PKI into a new t.TempDir(). Needs no external tool.
func NewCerts(t testing.TB) *Certs {
	t.Helper()
	dir := t.TempDir()
	c := &Certs{Dir: dir}
	now := time.Now()
	loopback := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}

	ca, caKey := makeCA(t, "otelcol-siem test CA", now)
	c.CAFile = writePEM(t, dir, "ca.crt", "CERTIFICATE", ca.Raw)
	c.ca, c.caKey = ca, caKey
	other, otherKey := makeCA(t, "otelcol-siem unrelated CA", now)
	c.OtherCAFile = writePEM(t, dir, "other-ca.crt", "CERTIFICATE", other.Raw)

	c.ServerCert, c.ServerKey = makeLeaf(t, dir, "server", ca, caKey, leafSpec{
		cn: "localhost", dns: []string{"localhost"}, ips: loopback, server: true,
		notBefore: now.Add(-time.Hour), notAfter: now.Add(48 * time.Hour)})
	c.ClientCert, c.ClientKey = makeLeaf(t, dir, "client", ca, caKey, leafSpec{
		cn: "otelcol-siem test client", notBefore: now.Add(-time.Hour), notAfter: now.Add(48 * time.Hour)})
	c.OtherClientCert, c.OtherClientKey = makeLeaf(t, dir, "other-client", other, otherKey, leafSpec{
		cn: "unrelated client", notBefore: now.Add(-time.Hour), notAfter: now.Add(48 * time.Hour)})
	c.ExpiredServerCert, c.ExpiredServerKey = makeLeaf(t, dir, "expired-server", ca, caKey, leafSpec{
		cn: "localhost", dns: []string{"localhost"}, ips: loopback, server: true,
		notBefore: now.Add(-72 * time.Hour), notAfter: now.Add(-24 * time.Hour)})
	c.WrongHostServerCert, c.WrongHostServerKey = makeLeaf(t, dir, "wrong-host-server", ca, caKey, leafSpec{
		cn: WrongHostName, dns: []string{WrongHostName}, server: true,
		notBefore: now.Add(-time.Hour), notAfter: now.Add(48 * time.Hour)})
	return c
}

// WithServerCert returns a copy of c whose ServerCert/ServerKey (what the peers present) are the
// given files, e.g. c.WithServerCert(c.ExpiredServerCert, c.ExpiredServerKey) for a peer that
// presents an expired certificate.
func (c *Certs) WithServerCert(certFile, keyFile string) *Certs {
	cp := *c
	cp.ServerCert, cp.ServerKey = certFile, keyFile
	return &cp
}

// ClientTLSConfig returns a client config that trusts CAFile and, if withClientCert, presents
// ClientCert (for the mTLS inputs).
func (c *Certs) ClientTLSConfig(t testing.TB, withClientCert bool) *tls.Config {
	t.Helper()
	cfg := &tls.Config{RootCAs: c.Pool(t, c.CAFile), MinVersion: tls.VersionTLS12}
	if withClientCert {
		kp, err := tls.LoadX509KeyPair(c.ClientCert, c.ClientKey)
		if err != nil {
			t.Fatalf("testpeers: load client cert: %v", err)
		}
		cfg.Certificates = []tls.Certificate{kp}
	}
	return cfg
}

// Pool returns a cert pool holding the PEM certificates in caFile.
func (c *Certs) Pool(t testing.TB, caFile string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatalf("testpeers: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("testpeers: no certificate in %s", caFile)
	}
	return pool
}

type leafSpec struct {
	cn                  string
	dns                 []string
	ips                 []net.IP
	server              bool
	notBefore, notAfter time.Time
}

func makeCA(t testing.TB, cn string, now time.Time) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"otelcol-siem tests"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatalf("testpeers: create CA: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("testpeers: parse CA: %v", err)
	}
	return cert, key
}

func makeLeaf(t testing.TB, dir, name string, ca *x509.Certificate, caKey crypto.Signer, s leafSpec) (certFile, keyFile string) {
	t.Helper()
	key := newKey(t)
	eku := x509.ExtKeyUsageClientAuth
	if s.server {
		eku = x509.ExtKeyUsageServerAuth
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: s.cn, Organization: []string{"otelcol-siem tests"}},
		NotBefore:             s.notBefore,
		NotAfter:              s.notAfter,
		DNSNames:              s.dns,
		IPAddresses:           s.ips,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{eku},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatalf("testpeers: create %s cert: %v", name, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("testpeers: marshal %s key: %v", name, err)
	}
	return writePEM(t, dir, name+".crt", "CERTIFICATE", der), writePEM(t, dir, name+".key", "PRIVATE KEY", keyDER)
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("testpeers: generate key: %v", err)
	}
	return k
}

func serial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		t.Fatalf("testpeers: serial: %v", err)
	}
	return n.Add(n, big.NewInt(1)) // serials must be positive
}

func writePEM(t testing.TB, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	mode := os.FileMode(0o644)
	if typ == "PRIVATE KEY" {
		mode = 0o600
	}
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode); err != nil {
		t.Fatalf("testpeers: write %s: %v", p, err)
	}
	return p
}
