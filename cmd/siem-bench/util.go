package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/unified-ot/otelcol-siem/internal/secformat"
)

// selfSignedTLS makes a throw-away certificate for 127.0.0.1/localhost; the certificate is its own
// CA, written to dir for the collectors' ca_file.
func selfSignedTLS(dir string) (*tls.Config, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "siem-bench sink"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, "", err
	}
	caFile := filepath.Join(dir, "sink-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, "", err
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, caFile, nil
}

// preformat renders every record as otelcol-siem frames it for the wire: RFC 5424 + CEF,
// octet-counted.
func preformat(reqs []plogotlp.ExportRequest) ([][]byte, error) {
	cef, err := secformat.NewCEF(secformat.DefaultCEFConfig())
	if err != nil {
		return nil, err
	}
	sys, err := secformat.NewSyslog(secformat.DefaultSyslogConfig())
	if err != nil {
		return nil, err
	}
	var frames [][]byte
	var msg, line []byte
	for _, r := range reqs {
		rls := r.Logs().ResourceLogs()
		for i := 0; i < rls.Len(); i++ {
			res := rls.At(i).Resource()
			sls := rls.At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					msg = cef.Append(msg[:0], res, lrs.At(k))
					line = sys.Append(line[:0], res, lrs.At(k), msg)
					frames = append(frames, appendOctetCounted(nil, line))
				}
			}
		}
	}
	return frames, nil
}

// eventBytes is the size of one benchmark event as otelcol-siem frames it, for the table's header.
func eventBytes() int {
	frames, err := preformat(buildRequests(1, 1, "size"))
	if err != nil || len(frames) == 0 {
		return 0
	}
	return len(frames[0])
}

// dirBytes is the sum of the sizes of the regular files under dir. A file removed while it walks
// (a running collector's) counts as gone.
func dirBytes(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && path != dir {
			return nil
		}
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		total += info.Size()
		return nil
	})
	return total, err
}

// groupDigits writes n with a space between groups of three digits, as the tables do: 1 000 000.
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + " " + s[i:]
	}
	return s
}
