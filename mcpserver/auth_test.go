package mcpserver

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestChallenge(t *testing.T) {
	for auth, want := range map[string]string{
		"":                   `Bearer realm="hush"`,
		"Basic dXNlcjpwdw==": `Bearer realm="hush"`,
		"Bearer":             `Bearer realm="hush", error="invalid_request"`,
		"Bearer a b":         `Bearer realm="hush", error="invalid_request"`,
		"bearer wrong":       `Bearer realm="hush", error="invalid_token"`,
	} {
		r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if got := challengeFor(r); got != want {
			t.Errorf("Authorization %q: got %s, want %s", auth, got, want)
		}
	}
}
