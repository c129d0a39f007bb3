package jwtauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	jose "github.com/go-jose/go-jose/v4"
)

// minRSABits refuses RSA keys too short to trust.
const minRSABits = 2048

// Key is one public key a token may be signed with, and the algorithms it
// may be used with. The algorithms follow from the key's type, never from
// the token: an RSA key verifies RS*/PS*, an ECDSA key the one ES* of its
// curve, an Ed25519 key EdDSA. "none" and HMAC are never allowed, so the
// public key's bytes cannot become an HMAC secret.
type Key struct {
	ID     string // the JWK kid, or the key's RFC 7638 thumbprint for PEM keys
	Public crypto.PublicKey
	Algs   []jose.SignatureAlgorithm
}

// algsFor returns the algorithms a public key may verify.
func algsFor(k crypto.PublicKey) ([]jose.SignatureAlgorithm, error) {
	switch k := k.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("rsa key of %d bits: want at least %d", k.N.BitLen(), minRSABits)
		}
		return []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512}, nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return []jose.SignatureAlgorithm{jose.ES256}, nil
		case elliptic.P384():
			return []jose.SignatureAlgorithm{jose.ES384}, nil
		case elliptic.P521():
			return []jose.SignatureAlgorithm{jose.ES512}, nil
		}
		return nil, errors.New("ecdsa key on an unsupported curve")
	case ed25519.PublicKey:
		return []jose.SignatureAlgorithm{jose.EdDSA}, nil
	}
	return nil, fmt.Errorf("unsupported key type %T", k)
}

// newKey checks k and derives its algorithms; kid empty means the
// thumbprint.
func newKey(kid string, k crypto.PublicKey) (Key, error) {
	algs, err := algsFor(k)
	if err != nil {
		return Key{}, err
	}
	if kid == "" {
		tp, err := (&jose.JSONWebKey{Key: k}).Thumbprint(crypto.SHA256)
		if err != nil {
			return Key{}, fmt.Errorf("thumbprint: %w", err)
		}
		kid = fmt.Sprintf("%x", tp)
	}
	return Key{ID: kid, Public: k, Algs: algs}, nil
}

// ParsePEM parses one or several concatenated PEM blocks of public keys
// ("PUBLIC KEY", PKIX; "RSA PUBLIC KEY", PKCS #1; or "CERTIFICATE", whose
// public key is used). Private keys and anything else are refused. Errors
// name the block's position and type, never its contents.
func ParsePEM(data []byte) ([]Key, error) {
	var keys []Key
	for i := 1; ; i++ {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		k, err := parseBlock(b)
		if err != nil {
			return nil, fmt.Errorf("pem block %d (%s): %w", i, b.Type, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("no PEM public key found")
	}
	return keys, nil
}

func parseBlock(b *pem.Block) (Key, error) {
	var pub crypto.PublicKey
	var err error
	switch b.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(b.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(b.Bytes)
	case "CERTIFICATE":
		var c *x509.Certificate
		if c, err = x509.ParseCertificate(b.Bytes); err == nil {
			pub = c.PublicKey
		}
	default:
		return Key{}, errors.New("not a public key or certificate")
	}
	if err != nil {
		return Key{}, errors.New("malformed key")
	}
	return newKey("", pub)
}

// allAlgs is the union of the keys' algorithms, the allowlist a token's
// header is parsed against.
func allAlgs(sets ...[]Key) []jose.SignatureAlgorithm {
	var out []jose.SignatureAlgorithm
	seen := map[jose.SignatureAlgorithm]bool{}
	for _, keys := range sets {
		for _, k := range keys {
			for _, a := range k.Algs {
				if !seen[a] {
					seen[a] = true
					out = append(out, a)
				}
			}
		}
	}
	return out
}
