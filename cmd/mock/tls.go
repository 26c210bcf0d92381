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
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
	"time"
)

// selfSignedLifetime is how long a certificate made at start is valid.
const selfSignedLifetime = 30 * 24 * time.Hour

// selfSigned makes a certificate for loopback, localhost and hosts (the
// --allowed-hosts entries: names, IP addresses, ".domain" for a domain and
// its subdomains; "*" adds nothing), with a fresh P-256 key. It is its own
// issuer and marked as a CA, so clients can trust it as they trust a root
// (SSL_CERT_FILE, REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS, curl --cacert).
// It returns the certificate and its PEM.
func selfSigned(hosts []string, now time.Time) (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "tenantkit mock (self-signed at start)", Organization: []string{"tenantkit"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(selfSignedLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost", "*.localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range hosts {
		switch {
		case h == "*":
		case net.ParseIP(h) != nil:
			tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(h))
		case strings.HasPrefix(h, "."):
			tmpl.DNSNames = append(tmpl.DNSNames, h[1:], "*"+h)
		default:
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// tlsSetup is the listener's TLS: the certificate, and where its PEM was
// written for clients to trust (a certificate made at start only).
type tlsSetup struct {
	config  *tls.Config
	pemFile string
	temp    bool // pemFile is a temporary file of this run
}

// cleanup removes a temporary certificate file.
func (s *tlsSetup) cleanup() {
	if s != nil && s.temp {
		_ = os.Remove(s.pemFile)
	}
}

// setupTLS loads --tls-cert and --tls-key, or makes a certificate and
// writes its PEM to --tls-cert-out (default: a temporary file, removed at
// exit). nil when the mock serves plain HTTP.
func setupTLS(cfg config, now time.Time) (*tlsSetup, error) {
	if !cfg.tls {
		return nil, nil
	}
	s := &tlsSetup{config: &tls.Config{MinVersion: tls.VersionTLS12}}
	if cfg.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.tlsCert, cfg.tlsKey)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert %q, --tls-key %q: %w", cfg.tlsCert, cfg.tlsKey, err)
		}
		s.config.Certificates = []tls.Certificate{cert}
		return s, nil
	}
	cert, pemBytes, err := selfSigned(cfg.allowedHosts, now)
	if err != nil {
		return nil, fmt.Errorf("making the TLS certificate: %w", err)
	}
	s.config.Certificates = []tls.Certificate{cert}
	if cfg.tlsCertOut != "" {
		if err := os.WriteFile(cfg.tlsCertOut, pemBytes, 0o644); err != nil {
			return nil, fmt.Errorf("--tls-cert-out: %w", err)
		}
		s.pemFile = cfg.tlsCertOut
		return s, nil
	}
	f, err := os.CreateTemp("", "tenantkit-mock-*.pem")
	if err != nil {
		return nil, fmt.Errorf("writing the TLS certificate: %w", err)
	}
	_, werr := f.Write(pemBytes)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(f.Name())
		return nil, fmt.Errorf("writing the TLS certificate: %w", werr)
	}
	s.pemFile, s.temp = f.Name(), true
	return s, nil
}

// errTLSKeyPair is a certificate given without its key, or the reverse.
var errTLSKeyPair = errors.New("--tls-cert and --tls-key go together")
