package mcpserver

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/redact"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/env"
	"github.com/hushmcp/hush/secret/file"
)

const (
	jwtIssuer   = "https://id.example/realms/acme"
	jwtResource = "http://hush.test/mcp"
	jwtMetaURL  = "http://hush.test/.well-known/oauth-protected-resource/mcp"
	// jwtCanary is in every test token's claims: neither it nor any part of
	// a token may reach a response body or a log.
	jwtCanary = "canary-jwt-claim-4c1d-NOT-REAL"
)

// jwtHarness is a harness whose server verifies JWTs against the PEM key
// in the file secret JWT_PUBLIC_KEY, requires scope "mcp", and gives
// find_note scope notes:read and add_note notes:write.
type jwtHarness struct {
	*harness
	keyPath  string
	key      *rsa.PrivateKey
	resource string
	now      atomic.Int64 // the server's JWT clock, unix nanos
	tokens   []string     // every token issued, for the leak check
}

func newJWTHarness(t *testing.T) *jwtHarness { t.Helper(); return newJWTHarnessFor(t, jwtResource) }

// newJWTHarnessFor is newJWTHarness for a server whose resource URL (and
// so the tokens' audience) is resource.
func newJWTHarnessFor(t *testing.T, resource string) *jwtHarness {
	t.Helper()
	j := &jwtHarness{key: newRSAKey(t), keyPath: filepath.Join(t.TempDir(), "jwt.pem"), resource: resource}
	j.now.Store(time.Now().UnixNano())
	j.writeKey(&j.key.PublicKey)
	j.harness = newHarness(t, func(cfg *config.Config, d *Deps) {
		cfg.Server.AuthToken = ""
		cfg.Server.JWT = &config.JWT{PublicKey: "${secret:JWT_PUBLIC_KEY}", Issuer: jwtIssuer, Resource: resource,
			Scopes: []string{"mcp"}, KeyOverlap: 10 * time.Minute}
		cfg.Secrets = append(cfg.Secrets, secret.Decl{Name: "JWT_PUBLIC_KEY", From: "file://" + j.keyPath})
		for i := range cfg.Tools {
			switch cfg.Tools[i].Name {
			case "find_note":
				cfg.Tools[i].Scopes = []string{"notes:read"}
			case "add_note":
				cfg.Tools[i].Scopes = []string{"notes:write"}
			}
		}
		d.Store = openJWTStore(t, cfg)
		d.Redactor.Update(d.Store.Known())
	})
	j.srv.jwt.now = func() time.Time { return time.Unix(0, j.now.Load()) }
	t.Cleanup(j.assertNoTokenLeaks)
	return j
}

func openJWTStore(t *testing.T, cfg *config.Config) *secret.Store {
	t.Helper()
	mux := secret.NewMux()
	vars := map[string]string{"DB_PW": canaryDB}
	mux.Register("env", &env.Opener{Lookup: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
	mux.Register("file", &file.Opener{})
	st, err := secret.Open(context.Background(), cfg.Secrets, secret.Options{Mux: mux})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func newRSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (j *jwtHarness) writeKey(pub *rsa.PublicKey) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	tmp := j.keyPath + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		panic(err)
	}
	if err := os.Rename(tmp, j.keyPath); err != nil {
		panic(err)
	}
}

// rotateKey installs a new signing key's public half, as an operator would.
func (j *jwtHarness) rotateKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k := newRSAKey(t)
	j.writeKey(&k.PublicKey)
	if err := j.deps.Store.Refresh(context.Background(), "JWT_PUBLIC_KEY"); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	return k
}

// claims are good claims for the server, valid for an hour from now.
func (j *jwtHarness) claims(scope string) map[string]any {
	now := time.Unix(0, j.now.Load())
	return map[string]any{"iss": jwtIssuer, "aud": j.resource, "sub": "alice", "scope": scope,
		"exp": now.Add(time.Hour).Unix(), "nbf": now.Add(-time.Minute).Unix(), "jti": jwtCanary}
}

// token signs claims with key (RS256 unless alg says otherwise).
func (j *jwtHarness) token(key *rsa.PrivateKey, claims map[string]any) string {
	j.t.Helper()
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		j.t.Fatal(err)
	}
	tok, err := jwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		j.t.Fatal(err)
	}
	j.tokens = append(j.tokens, tok)
	return tok
}

// raw builds an unsigned-by-library token: alg none, or HS256 keyed with
// the public key's PEM bytes (algorithm confusion).
func (j *jwtHarness) raw(alg string, claims map[string]any) string {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": alg, "typ": "JWT"})
	p, _ := json.Marshal(claims)
	in := enc.EncodeToString(h) + "." + enc.EncodeToString(p)
	tok := in + "."
	if alg == "HS256" {
		pub, err := os.ReadFile(j.keyPath)
		if err != nil {
			j.t.Fatal(err)
		}
		m := hmac.New(sha256.New, pub)
		m.Write([]byte(in))
		tok += enc.EncodeToString(m.Sum(nil))
	}
	j.tokens = append(j.tokens, tok)
	return tok
}

func (j *jwtHarness) assertNoTokenLeaks() {
	for name, data := range map[string]string{"client": j.seen.String(), "log": j.logs.String()} {
		if strings.Contains(data, jwtCanary) {
			j.t.Errorf("a token's claim reached the %s output", name)
		}
		for _, tok := range j.tokens {
			for _, part := range strings.Split(tok, ".") {
				if len(part) >= 16 && strings.Contains(data, part) {
					j.t.Errorf("part of a token reached the %s output", name)
				}
			}
		}
	}
}

// send POSTs initialize with the Authorization header authz (empty: none)
// and returns the status, the WWW-Authenticate header and the body.
func (j *jwtHarness) send(t *testing.T, url, authz string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(initBody))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	resp, err := j.httpClient("").Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(b)
}

// TestJWTAttackMatrix: every bad credential is answered 401 (or 403 for a
// missing scope) with a challenge that points at the metadata, a fixed
// body, and a log line with the reason class only.
func TestJWTAttackMatrix(t *testing.T) {
	j := newJWTHarness(t)
	hs := j.httpServer()
	url := hs.URL + "/mcp"
	with := func(k string, v any) map[string]any { c := j.claims("mcp"); c[k] = v; return c }
	now := time.Unix(0, j.now.Load())
	good := j.token(j.key, j.claims("mcp"))
	meta := `resource_metadata="` + jwtMetaURL + `"`
	cases := []struct {
		name, authz, reason string
		code                int
		challenge           string
	}{
		{"missing header", "", "missing", 401, `Bearer realm="hush", scope="mcp", ` + meta},
		{"wrong scheme", "Basic " + base64.StdEncoding.EncodeToString([]byte("u:"+jwtCanary)), "missing", 401, `Bearer realm="hush", scope="mcp", ` + meta},
		{"malformed", "Bearer not-a-jwt-" + jwtCanary, "malformed", 401, `error="invalid_token"`},
		{"truncated signature", "Bearer " + good[:len(good)-12], "signature", 401, `error="invalid_token"`},
		{"expired", "Bearer " + j.token(j.key, with("exp", now.Add(-time.Hour).Unix())), "expired", 401, meta},
		{"not yet valid", "Bearer " + j.token(j.key, with("nbf", now.Add(time.Hour).Unix())), "not_yet_valid", 401, meta},
		{"wrong issuer", "Bearer " + j.token(j.key, with("iss", "https://evil.example")), "issuer", 401, meta},
		{"wrong audience", "Bearer " + j.token(j.key, with("aud", "http://other.test/mcp")), "audience", 401, meta},
		{"alg none", "Bearer " + j.raw("none", j.claims("mcp")), "algorithm", 401, meta},
		{"hmac with the public key", "Bearer " + j.raw("HS256", j.claims("mcp")), "algorithm", 401, meta},
		{"another key", "Bearer " + j.token(newRSAKey(t), j.claims("mcp")), "signature", 401, meta},
		{"oversized", "Bearer " + strings.Repeat("A", 20<<10), "oversized", 401, meta},
		{"no server scope", "Bearer " + j.token(j.key, j.claims("notes:read")), "insufficient_scope", 403,
			`Bearer realm="hush", error="insufficient_scope", scope="mcp", ` + meta},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := j.srv.AuthFailures()[tc.reason]
			code, challenge, body := j.send(t, url, tc.authz)
			if code != tc.code {
				t.Fatalf("status = %d, want %d", code, tc.code)
			}
			if !strings.Contains(challenge, tc.challenge) || !strings.Contains(challenge, meta) {
				t.Errorf("WWW-Authenticate = %s, want it to contain %s", challenge, tc.challenge)
			}
			if b := strings.TrimSpace(body); b != "no bearer token" && b != "invalid token" && b != "insufficient scope" {
				t.Errorf("body = %q, want the SDK's fixed text", b)
			}
			if got := j.srv.AuthFailures()[tc.reason]; got != before+1 {
				t.Errorf("failures[%s] = %d, want %d", tc.reason, got, before+1)
			}
		})
	}
	if code, _, _ := j.send(t, url, "Bearer "+good); code != http.StatusOK {
		t.Fatalf("good token: status %d", code)
	}
	if !strings.Contains(j.logs.String(), `"reason":"algorithm"`) {
		t.Error("no reason class in the log")
	}
}

// TestJWTMetadataDocument: the RFC 9728 document is public and names the
// resource, the issuer and every scope.
func TestJWTMetadataDocument(t *testing.T) {
	j := newJWTHarness(t)
	hs := j.httpServer()
	for _, p := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"} {
		code, body := get(t, j.harness, hs.URL+p)
		if code != http.StatusOK {
			t.Fatalf("%s: status %d", p, code)
		}
		b, _ := json.Marshal(body)
		want := `{"authorization_servers":["` + jwtIssuer + `"],"bearer_methods_supported":["header"],"resource":"` + jwtResource +
			`","scopes_supported":["mcp","notes:read","notes:write"]}`
		if string(b) != want {
			t.Errorf("%s:\n got %s\nwant %s", p, b, want)
		}
	}
	if code, _ := get(t, j.harness, hs.URL+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz needs a token: %d", code)
	}
}

func toolNames(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tl := range res.Tools {
		names = append(names, tl.Name)
	}
	return names
}

// TestJWTToolScopes: tools/list shows only the tools the token's scopes
// allow, a call to another one is a tool error naming the scope, and the
// call log names the subject and scopes, never the token.
func TestJWTToolScopes(t *testing.T) {
	j := newJWTHarness(t)
	hs := j.httpServer()
	cs, err := j.overHTTP(hs, j.token(j.key, j.claims("mcp notes:read")))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(toolNames(t, cs), ","); got != "echo,find_note,health_check,note_path" {
		t.Errorf("tools = %s", got)
	}
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "add_note", Arguments: map[string]any{"title": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.IsError || !strings.Contains(resultText(res), `needs the scope(s) notes:write`) {
		t.Errorf("add_note without its scope: %+v %s", res.IsError, resultText(res))
	}
	res, err = cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "find_note", Arguments: map[string]any{"title": "hello"}})
	if err != nil || res.IsError {
		t.Fatalf("find_note with its scope: %v %s", err, resultText(res))
	}
	logs := j.logs.String()
	callLine := false
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, `"msg":"tool call"`) && strings.Contains(line, `"tool":"find_note"`) {
			callLine = strings.Contains(line, `"subject":"alice"`) && strings.Contains(line, `"scopes":"mcp notes:read"`)
		}
	}
	if !callLine {
		t.Errorf("the call log line lacks the caller:\n%s", logs)
	}
	if !strings.Contains(logs, `"missing_scopes":"notes:write"`) {
		t.Error("the refusal is not logged")
	}

	all, err := j.overHTTP(hs, j.token(j.key, j.claims("mcp notes:read notes:write")))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(toolNames(t, all), ","); got != "add_note,echo,find_note,health_check,note_path" {
		t.Errorf("tools with every scope = %s", got)
	}
}

// TestJWTKeyRotation: while a client is connected, the public key rotates;
// tokens from the new key work at once, tokens from the old key during the
// overlap, and not after it.
func TestJWTKeyRotation(t *testing.T) {
	j := newJWTHarness(t)
	hs := j.httpServer()
	oldTok := j.token(j.key, j.claims("mcp notes:read"))
	cs, err := j.overHTTP(hs, oldTok)
	if err != nil {
		t.Fatal(err)
	}
	newKey := j.rotateKey(t)
	newTok := j.token(newKey, j.claims("mcp notes:read"))
	fresh, err := j.overHTTP(hs, newTok)
	if err != nil {
		t.Fatalf("new key right after rotation: %v", err)
	}
	call := func(cs *mcp.ClientSession) error {
		_, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"v": "x"}})
		return err
	}
	if err := call(cs); err != nil {
		t.Fatalf("old key within the overlap: %v", err)
	}
	j.now.Store(time.Now().Add(10*time.Minute + time.Second).UnixNano()) // past the overlap, however long the set-up took
	if err := call(cs); err == nil {
		t.Fatal("old key accepted after the overlap")
	}
	if code, _, _ := j.send(t, hs.URL+"/mcp", "Bearer "+oldTok); code != http.StatusUnauthorized {
		t.Errorf("old key after the overlap: status %d", code)
	}
	if err := call(fresh); err != nil {
		t.Fatalf("new key after the overlap: %v", err)
	}
}

// TestJWTBadKeyStopsStart: a public-key secret without a usable key is a
// start-up error that names the secret and the PEM block, never its bytes.
func TestJWTBadKeyStopsStart(t *testing.T) {
	dir := t.TempDir()
	k := newRSAKey(t)
	keyPath := filepath.Join(dir, "jwt.pem")
	priv := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	if err := os.WriteFile(keyPath, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig(dir)
	cfg.Server.AuthToken, cfg.Tools = "", nil
	cfg.Server.JWT = &config.JWT{PublicKey: "${secret:JWT_PUBLIC_KEY}", Issuer: jwtIssuer}
	cfg.Secrets = []secret.Decl{{Name: "JWT_PUBLIC_KEY", From: "file://" + keyPath}}
	st := openJWTStore(t, cfg)
	_, err := New(cfg, Deps{Store: st, Redactor: redact.New(redact.Options{})})
	want := `server.jwt.public_key: secret "JWT_PUBLIC_KEY": pem block 1 (RSA PRIVATE KEY): not a public key or certificate`
	if err == nil || err.Error() != want {
		t.Fatalf("New: %v\nwant %s", err, want)
	}

	cfg.Server.Transport = config.TransportStdio // stdio is not authenticated: nothing to check
	if _, err := New(cfg, Deps{Store: st, Redactor: redact.New(redact.Options{})}); err != nil {
		t.Fatalf("stdio: %v", err)
	}
}
