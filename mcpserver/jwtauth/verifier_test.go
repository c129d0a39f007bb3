package jwtauth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/hushmcp/hush/secret"
)

const (
	testIss = "https://issuer.example"
	testAud = "https://hush.example/mcp"
)

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func pemOf(t testing.TB, pub crypto.PublicKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sign issues a token with claims c over the standard ones.
func sign(t testing.TB, key any, alg jose.SignatureAlgorithm, kid string, std jwt.Claims, extra map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	b := jwt.Signed(s).Claims(std)
	if extra != nil {
		b = b.Claims(extra)
	}
	tok, err := b.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func goodClaims() jwt.Claims {
	return jwt.Claims{Issuer: testIss, Audience: jwt.Audience{testAud}, Subject: "alice",
		Expiry: jwt.NewNumericDate(t0.Add(time.Hour)), NotBefore: jwt.NewNumericDate(t0.Add(-time.Minute)),
		IssuedAt: jwt.NewNumericDate(t0.Add(-time.Minute))}
}

// clock is an injected clock tests move by hand.
type clock struct{ now atomic.Int64 }

func newClock() *clock               { c := &clock{}; c.now.Store(t0.UnixNano()); return c }
func (c *clock) Now() time.Time      { return time.Unix(0, c.now.Load()).UTC() }
func (c *clock) add(d time.Duration) { c.now.Add(int64(d)) }

// memSecret is a secret whose value a test replaces.
type memSecret struct {
	v       atomic.Value
	version atomic.Int64
}

func (m *memSecret) set(b []byte) {
	n := m.version.Add(1)
	m.v.Store(secret.NewValue(b, secret.Meta{Version: string(rune('a' + n))}))
}

func (m *memSecret) get() (secret.Value, bool) {
	v, _ := m.v.Load().(secret.Value)
	return v, !v.IsZero()
}

func newVerifier(t testing.TB, keys KeySource, c *clock) *Verifier {
	t.Helper()
	v, err := New(Options{Keys: keys, Issuer: testIss, Audience: []string{testAud}, ClockSkew: 30 * time.Second, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// hs256 signs a token by hand with HMAC over the given key bytes: the
// algorithm-confusion attack, which no library here will produce for us.
func hs256(t testing.TB, key []byte, claims jwt.Claims) string {
	t.Helper()
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT"})
	p, _ := json.Marshal(claims)
	in := enc.EncodeToString(h) + "." + enc.EncodeToString(p)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(in))
	return in + "." + enc.EncodeToString(m.Sum(nil))
}

func algNone(claims jwt.Claims) string {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT"})
	p, _ := json.Marshal(claims)
	return enc.EncodeToString(h) + "." + enc.EncodeToString(p) + "."
}

func TestVerifyRejections(t *testing.T) {
	priv := rsaKey(t)
	other := rsaKey(t)
	pubPEM := pemOf(t, &priv.PublicKey)
	var sec memSecret
	sec.set(pubPEM)
	c := newClock()
	v := newVerifier(t, NewPEMKeys(sec.get, 0, c.Now, nil), c)
	with := func(f func(*jwt.Claims)) jwt.Claims { cl := goodClaims(); f(&cl); return cl }
	good := sign(t, priv, jose.RS256, "", goodClaims(), map[string]any{"scope": "tools:read tools:write"})

	cl, err := v.Verify(context.Background(), good)
	if err != nil {
		t.Fatalf("good token: %v", err)
	}
	if cl.Subject != "alice" || strings.Join(cl.Scopes, " ") != "tools:read tools:write" {
		t.Fatalf("claims = %+v", cl)
	}
	cases := []struct {
		name  string
		token string
		want  error
	}{
		{"malformed", "not.a.jwt", ErrMalformed},
		{"truncated signature", good[:len(good)-10], ErrSignature},
		{"oversized", strings.Repeat("a", MaxTokenBytes+1), ErrOversized},
		{"other key", sign(t, other, jose.RS256, "", goodClaims(), nil), ErrSignature},
		{"expired", sign(t, priv, jose.RS256, "", with(func(c *jwt.Claims) { c.Expiry = jwt.NewNumericDate(t0.Add(-time.Minute)) }), nil), ErrExpired},
		{"no exp", sign(t, priv, jose.RS256, "", with(func(c *jwt.Claims) { c.Expiry = nil }), nil), ErrMissingExpiry},
		{"not yet valid", sign(t, priv, jose.RS256, "", with(func(c *jwt.Claims) { c.NotBefore = jwt.NewNumericDate(t0.Add(time.Minute)) }), nil), ErrNotYetValid},
		{"wrong issuer", sign(t, priv, jose.RS256, "", with(func(c *jwt.Claims) { c.Issuer = "https://evil.example" }), nil), ErrIssuer},
		{"wrong audience", sign(t, priv, jose.RS256, "", with(func(c *jwt.Claims) { c.Audience = jwt.Audience{"https://other.example/mcp"} }), nil), ErrAudience},
		{"alg none", algNone(goodClaims()), ErrAlgorithm},
		{"hmac with the public key", hs256(t, pubPEM, goodClaims()), ErrAlgorithm},
		{"alg of another key type", sign(t, mustEC(t), jose.ES256, "", goodClaims(), nil), ErrAlgorithm},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tc.token)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func mustEC(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestClockSkewIsBounded(t *testing.T) {
	priv := rsaKey(t)
	var sec memSecret
	sec.set(pemOf(t, &priv.PublicKey))
	c := newClock()
	tok := sign(t, priv, jose.RS256, "", goodClaims(), nil)
	v := newVerifier(t, NewPEMKeys(sec.get, 0, c.Now, nil), c)
	c.add(time.Hour + 20*time.Second) // expired 20s ago, within the 30s skew
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Fatalf("within skew: %v", err)
	}
	c.add(time.Minute)
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrExpired) {
		t.Fatalf("beyond skew: %v", err)
	}
	huge, err := New(Options{Keys: NewPEMKeys(sec.get, 0, c.Now, nil), Issuer: testIss, Audience: []string{testAud}, ClockSkew: 24 * time.Hour, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	c.add(MaxClockSkew)
	if _, err := huge.Verify(context.Background(), tok); !errors.Is(err, ErrExpired) {
		t.Fatalf("skew above the cap: %v", err)
	}
}

func TestKeyTypes(t *testing.T) {
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	ec := mustEC(t)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rs := rsaKey(t)
	bundle := append(append(append(pemOf(t, edPub), pemOf(t, &ec.PublicKey)...), pemOf(t, &ec384.PublicKey)...), pemOf(t, &rs.PublicKey)...)
	var sec memSecret
	sec.set(bundle)
	c := newClock()
	v := newVerifier(t, NewPEMKeys(sec.get, 0, c.Now, nil), c)
	for name, tok := range map[string]string{
		"EdDSA": sign(t, edPriv, jose.EdDSA, "", goodClaims(), nil),
		"ES256": sign(t, ec, jose.ES256, "", goodClaims(), nil),
		"ES384": sign(t, ec384, jose.ES384, "", goodClaims(), nil),
		"PS256": sign(t, rs, jose.PS256, "", goodClaims(), nil),
	} {
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParsePEMRefusesPrivateAndWeakKeys(t *testing.T) {
	rs := rsaKey(t)
	priv := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rs)})
	if _, err := ParsePEM(priv); err == nil {
		t.Fatal("a private key was accepted")
	} else if strings.Contains(err.Error(), "MII") {
		t.Fatalf("error quotes the key: %v", err)
	}
	weak, _ := rsa.GenerateKey(rand.Reader, 1024)
	if _, err := ParsePEM(pemOf(t, &weak.PublicKey)); err == nil {
		t.Fatal("a 1024-bit key was accepted")
	}
	if _, err := ParsePEM([]byte("canary-pem-NOT-REAL")); err == nil || strings.Contains(err.Error(), "canary") {
		t.Fatalf("err = %v", err)
	}
}

// TestRotationOverlap: a new key verifies at once; the previous one only
// for the overlap; a value that is no key leaves only the overlap.
func TestRotationOverlap(t *testing.T) {
	oldKey, newKey := rsaKey(t), rsaKey(t)
	var sec memSecret
	sec.set(pemOf(t, &oldKey.PublicKey))
	c := newClock()
	v := newVerifier(t, NewPEMKeys(sec.get, 5*time.Minute, c.Now, nil), c)
	claims := goodClaims()
	claims.Expiry = jwt.NewNumericDate(t0.Add(24 * time.Hour))
	oldTok := sign(t, oldKey, jose.RS256, "", claims, nil)
	newTok := sign(t, newKey, jose.RS256, "", claims, nil)
	verify := func(tok string) error { _, err := v.Verify(context.Background(), tok); return err }

	if err := verify(oldTok); err != nil {
		t.Fatalf("old key before rotation: %v", err)
	}
	if err := verify(newTok); !errors.Is(err, ErrSignature) {
		t.Fatalf("new key before rotation: %v", err)
	}
	sec.set(pemOf(t, &newKey.PublicKey))
	if err := verify(newTok); err != nil {
		t.Fatalf("new key right after rotation: %v", err)
	}
	c.add(4 * time.Minute)
	if err := verify(oldTok); err != nil {
		t.Fatalf("old key within overlap: %v", err)
	}
	c.add(time.Minute)
	if err := verify(oldTok); !errors.Is(err, ErrSignature) {
		t.Fatalf("old key after overlap: %v", err)
	}
	if err := verify(newTok); err != nil {
		t.Fatalf("new key after overlap: %v", err)
	}

	var heard error
	keys := NewPEMKeys(sec.get, time.Minute, c.Now, func(err error) { heard = err })
	v = newVerifier(t, keys, c)
	_ = verify(newTok)
	sec.set([]byte("canary-garbage-NOT-REAL"))
	if err := verify(newTok); err != nil {
		t.Fatalf("previous key within overlap after a bad value: %v", err)
	}
	if heard == nil || strings.Contains(heard.Error(), "canary") {
		t.Fatalf("onError heard %v", heard)
	}
	c.add(time.Minute)
	if err := verify(newTok); !errors.Is(err, ErrKeysUnavailable) {
		t.Fatalf("after overlap with a bad value: %v", err)
	}
}

func jwksOf(t testing.TB, keys ...jose.JSONWebKey) []byte {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestJWKS(t *testing.T) {
	k1, k2 := rsaKey(t), mustEC(t)
	var doc atomic.Value
	doc.Store(jwksOf(t, jose.JSONWebKey{Key: &k1.PublicKey, KeyID: "k1", Use: "sig", Algorithm: "RS256"}))
	var fetches atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fetches.Add(1)
		_, _ = w.Write(doc.Load().([]byte))
	}))
	defer ts.Close()
	c := newClock()
	v := newVerifier(t, NewJWKS(ts.URL, JWKSOptions{Client: ts.Client(), Now: c.Now, MinRefresh: time.Minute}), c)
	verify := func(tok string) error { _, err := v.Verify(context.Background(), tok); return err }

	if err := verify(sign(t, k1, jose.RS256, "k1", goodClaims(), nil)); err != nil {
		t.Fatalf("k1: %v", err)
	}
	if err := verify(sign(t, k1, jose.PS256, "k1", goodClaims(), nil)); !errors.Is(err, ErrAlgorithm) {
		t.Fatalf("alg outside the jwk's alg: %v", err)
	}
	k2tok := sign(t, k2, jose.ES256, "k2", goodClaims(), nil)
	if err := verify(k2tok); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("unknown kid: %v", err)
	}
	n := fetches.Load()
	for range 20 {
		_ = verify(sign(t, k2, jose.ES256, "made-up", goodClaims(), nil))
	}
	if fetches.Load() != n {
		t.Fatalf("unknown kids caused %d fetches within the refresh interval", fetches.Load()-n)
	}
	doc.Store(jwksOf(t, jose.JSONWebKey{Key: &k1.PublicKey, KeyID: "k1"}, jose.JSONWebKey{Key: &k2.PublicKey, KeyID: "k2"}))
	c.add(time.Minute)
	if err := verify(k2tok); err != nil {
		t.Fatalf("new kid after refresh interval: %v", err)
	}
}

func TestJWKSTooLargeAndFailing(t *testing.T) {
	k1 := rsaKey(t)
	big := append(jwksOf(t, jose.JSONWebKey{Key: &k1.PublicKey, KeyID: "k1"}), []byte(strings.Repeat(" ", 2048))...)
	status := atomic.Int32{}
	status.Store(200)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(int(status.Load()))
		_, _ = w.Write(big)
	}))
	defer ts.Close()
	c := newClock()
	var heard []error
	src := NewJWKS(ts.URL, JWKSOptions{Client: ts.Client(), Now: c.Now, MaxBytes: 1024, OnError: func(err error) { heard = append(heard, err) }})
	v := newVerifier(t, src, c)
	tok := sign(t, k1, jose.RS256, "k1", goodClaims(), nil)
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrKeysUnavailable) {
		t.Fatalf("oversized jwks: %v", err)
	}
	if len(heard) != 1 || !errors.Is(heard[0], ErrJWKSTooLarge) {
		t.Fatalf("heard %v", heard)
	}
	status.Store(500)
	c.add(time.Hour)
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrKeysUnavailable) {
		t.Fatalf("failing jwks: %v", err)
	}
}

// TestJWKSSkipsWhatCannotVerify: symmetric, private, encryption and
// alg-mismatched keys in a JWKS are never used to verify.
func TestJWKSSkipsWhatCannotVerify(t *testing.T) {
	rs, ec := rsaKey(t), mustEC(t)
	doc := jwksOf(t,
		jose.JSONWebKey{Key: []byte("canary-hmac-secret-NOT-REAL"), KeyID: "oct", Algorithm: "HS256"},
		jose.JSONWebKey{Key: rs, KeyID: "private"},
		jose.JSONWebKey{Key: &rs.PublicKey, KeyID: "enc", Use: "enc"},
		jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "mismatch", Algorithm: "RS256"},
	)
	if keys, err := parseJWKS(doc); err == nil {
		t.Fatalf("parsed %d keys from a set with no usable signing key", len(keys))
	}
	keys, err := parseJWKS(jwksOf(t, jose.JSONWebKey{Key: &rs.PublicKey}))
	if err != nil || len(keys) != 1 || keys[0].ID == "" {
		t.Fatalf("a key without kid: %v %+v", err, keys)
	}
}

// TestOverlapCountsFromTheStoreRead: a rotation noticed late (no request
// for a while) does not stretch the previous key's overlap.
func TestOverlapCountsFromTheStoreRead(t *testing.T) {
	oldKey, newKey := rsaKey(t), rsaKey(t)
	c := newClock()
	var cur atomic.Value
	cur.Store(secret.NewValue(pemOf(t, &oldKey.PublicKey), secret.Meta{Version: "v1", FetchedAt: c.Now()}))
	get := func() (secret.Value, bool) { v := cur.Load().(secret.Value); return v, true }
	v := newVerifier(t, NewPEMKeys(get, 5*time.Minute, c.Now, nil), c)
	claims := goodClaims()
	claims.Expiry = jwt.NewNumericDate(t0.Add(24 * time.Hour))
	oldTok := sign(t, oldKey, jose.RS256, "", claims, nil)
	if _, err := v.Verify(context.Background(), oldTok); err != nil {
		t.Fatal(err)
	}
	cur.Store(secret.NewValue(pemOf(t, &newKey.PublicKey), secret.Meta{Version: "v2", FetchedAt: c.Now()}))
	c.add(time.Hour) // nobody called for an hour after the store read the new key
	if _, err := v.Verify(context.Background(), oldTok); !errors.Is(err, ErrSignature) {
		t.Fatalf("old key an hour after the rotation: %v", err)
	}
}
