package redistest

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
	"os"
	"path/filepath"
	"time"
)

// StartTLS is Start for a server that accepts only TLS connections, with a
// certificate for 127.0.0.1 and localhost issued by a CA made for it
// (CAFile). Clients need no certificate of their own.
func StartTLS() (*Server, error) {
	return start(true)
}

// CAFile is the PEM file of the CA that issued a TLS server's certificate;
// empty for a plain server.
func (s *Server) CAFile() string {
	if !s.tls {
		return ""
	}
	return filepath.Join(s.dir, "ca.pem")
}

// tlsConfig lines make the server listen with TLS only.
func (s *Server) tlsConfig() []string {
	return []string{
		"port 0",
		fmt.Sprintf("tls-port %d", s.port),
		"tls-cert-file " + filepath.Join(s.dir, "server.pem"),
		"tls-key-file " + filepath.Join(s.dir, "server-key.pem"),
		"tls-ca-cert-file " + s.CAFile(),
		"tls-auth-clients no",
	}
}

// clientTLS trusts the server's CA.
func (s *Server) clientTLS() (*tls.Config, error) {
	pemData, err := os.ReadFile(s.CAFile())
	if err != nil {
		return nil, fmt.Errorf("redistest: %w", err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pemData)
	return &tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}, nil
}

// writeCerts makes a CA and a server certificate signed by it.
func (s *Server) writeCerts() error {
	caKey, caCert, err := newCert(nil, nil, &x509.Certificate{
		Subject: pkix.Name{CommonName: "redistest CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign,
	})
	if err != nil {
		return err
	}
	key, cert, err := newCert(caKey, caCert, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	})
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return fmt.Errorf("redistest: %w", err)
	}
	files := map[string]*pem.Block{
		"ca.pem":         {Type: "CERTIFICATE", Bytes: caCert.Raw},
		"server.pem":     {Type: "CERTIFICATE", Bytes: cert.Raw},
		"server-key.pem": {Type: "EC PRIVATE KEY", Bytes: keyDER},
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(s.dir, name), pem.EncodeToMemory(b), 0o600); err != nil {
			return fmt.Errorf("redistest: %w", err)
		}
	}
	return nil
}

// newCert issues tmpl, signed by parent (self-signed when parent is nil).
func newCert(parentKey *ecdsa.PrivateKey, parent, tmpl *x509.Certificate) (*ecdsa.PrivateKey, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("redistest: %w", err)
	}
	tmpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, fmt.Errorf("redistest: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("redistest: %w", err)
	}
	return key, cert, nil
}
