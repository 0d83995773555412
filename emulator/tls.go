package emulator

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"time"
)

// loopbackTLS is the emulator's own certificate authority and the server
// certificate it signed. Both are made at New and live only in memory: the
// CA's private key is never written anywhere, so the CA can vouch for
// nothing but this server.
type loopbackTLS struct {
	caPEM  []byte
	pool   *x509.CertPool
	config *tls.Config
}

// loopbackNames are the names the server certificate is valid for.
var loopbackNames = []string{"localhost"}

var loopbackIPs = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}

// newLoopbackTLS makes a CA and a server certificate for localhost,
// 127.0.0.1 and ::1, plus extraHosts (names or IPs), valid from an hour ago
// for a year.
func newLoopbackTLS(now time.Time, extraHosts ...string) (*loopbackTLS, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("making the TLS CA key: %w", err)
	}
	notBefore, notAfter := now.Add(-time.Hour), now.Add(365*24*time.Hour)
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{Organization: []string{"pskit emulator"}, CommonName: "pskit emulator local CA"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("making the TLS CA: %w", err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("making the TLS CA: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("making the TLS server key: %w", err)
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{Organization: []string{"pskit emulator"}, CommonName: "localhost"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     append([]string(nil), loopbackNames...),
		IPAddresses:  append([]net.IP(nil), loopbackIPs...),
	}
	for _, h := range extraHosts {
		if ip := net.ParseIP(h); ip != nil {
			leafTmpl.IPAddresses = append(leafTmpl.IPAddresses, ip)
		} else if h != "" {
			leafTmpl.DNSNames = append(leafTmpl.DNSNames, h)
		}
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("making the TLS server certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &loopbackTLS{
		caPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pool:  pool,
		config: &tls.Config{
			MinVersion:   tls.VersionTLS12,
			Certificates: []tls.Certificate{{Certificate: [][]byte{leafDER, caDER}, PrivateKey: key}},
		},
	}, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		// crypto/rand does not fail on supported platforms.
		panic(fmt.Sprintf("emulator: reading random serial: %v", err))
	}
	return n
}

// CACertPEM is the PEM certificate of the CA that signed the server's TLS
// certificate (Options.TLS), for clients to trust; nil without TLS. It is
// public: write it with mode 0644.
func (s *Server) CACertPEM() []byte {
	if s.tls == nil {
		return nil
	}
	return append([]byte(nil), s.tls.caPEM...)
}

// CertPool holds the CA of CACertPEM, for a tls.Config's RootCAs; nil
// without TLS.
func (s *Server) CertPool() *x509.CertPool {
	if s.tls == nil {
		return nil
	}
	return s.tls.pool.Clone()
}

// Client is an *http.Client for this server: it trusts the server's CA when
// Options.TLS is set, and gives up on a request after 30 seconds.
func (s *Server) Client() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if s.tls != nil {
		t.TLSClientConfig = &tls.Config{RootCAs: s.CertPool(), MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}
