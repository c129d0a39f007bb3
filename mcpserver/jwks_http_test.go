package mcpserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/hushmcp/hush/config"
)

// jwksServer publishes key under kid; status, when set, is answered instead.
type jwksServer struct {
	*httptest.Server
	status  atomic.Int32
	fetches atomic.Int32
}

func newJWKSServer(t *testing.T, kid string, key *ecdsa.PrivateKey) *jwksServer {
	t.Helper()
	doc, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: kid, Use: "sig", Algorithm: "ES256"}}})
	if err != nil {
		t.Fatal(err)
	}
	s := &jwksServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.fetches.Add(1)
		if code := s.status.Load(); code != 0 {
			w.WriteHeader(int(code))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}))
	t.Cleanup(s.Close)
	return s
}

func ecToken(t *testing.T, key *ecdsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func newJWKSHarness(t *testing.T, url string) *jwtHarness {
	t.Helper()
	j := &jwtHarness{resource: jwtResource}
	j.now.Store(time.Now().UnixNano())
	j.harness = newHarness(t, func(cfg *config.Config, _ *Deps) {
		cfg.Server.AuthToken = ""
		cfg.Server.JWT = &config.JWT{JWKSURL: url, Issuer: jwtIssuer, Resource: jwtResource}
	})
	j.srv.jwt.now = func() time.Time { return time.Unix(0, j.now.Load()) }
	t.Cleanup(j.assertNoTokenLeaks)
	return j
}

// TestJWKSOverHTTP: keys from a JWKS URL; a kid it lacks is refused after
// one rate-limited early refresh, and a JWKS that cannot be fetched refuses everyone.
func TestJWKSOverHTTP(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ks := newJWKSServer(t, "k1", key)
	j := newJWKSHarness(t, ks.URL)
	hs := j.httpServer()
	good := ecToken(t, key, "k1", j.claims(""))
	unknown := ecToken(t, key, "k2", j.claims(""))
	j.tokens = append(j.tokens, good, unknown)
	if code, _, _ := j.send(t, hs.URL+"/mcp", "Bearer "+good); code != http.StatusOK {
		t.Fatalf("kid in the JWKS: status %d", code)
	}
	for range 5 {
		if code, _, _ := j.send(t, hs.URL+"/mcp", "Bearer "+unknown); code != http.StatusUnauthorized {
			t.Fatalf("kid not in the JWKS: status %d", code)
		}
	}
	if got := j.srv.AuthFailures()["unknown_key"]; got != 5 {
		t.Errorf("unknown_key failures = %d", got)
	}
	if got := ks.fetches.Load(); got != 1 {
		t.Errorf("JWKS fetched %d times, want 1: unknown kids refresh at most every 30s", got)
	}
	j.now.Add(int64(31 * time.Second))
	for range 3 {
		_, _, _ = j.send(t, hs.URL+"/mcp", "Bearer "+unknown)
	}
	if got := ks.fetches.Load(); got != 2 {
		t.Errorf("JWKS fetched %d times, want 2: one early refresh for the unknown kid", got)
	}

	down := newJWKSServer(t, "k1", key)
	down.status.Store(http.StatusInternalServerError)
	j2 := newJWKSHarness(t, down.URL)
	hs2 := j2.httpServer()
	if code, _, _ := j2.send(t, hs2.URL+"/mcp", "Bearer "+good); code != http.StatusUnauthorized {
		t.Fatalf("JWKS fetch failure: status %d", code)
	}
	if got := j2.srv.AuthFailures()["keys_unavailable"]; got != 1 {
		t.Errorf("keys_unavailable failures = %d", got)
	}
}
