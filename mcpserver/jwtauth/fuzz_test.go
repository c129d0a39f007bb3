package jwtauth

import (
	"context"
	"errors"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// FuzzVerify: any input is refused or accepted without a panic, a refusal
// is always one of the reason classes, and no error repeats the input.
func FuzzVerify(f *testing.F) {
	priv := rsaKey(f)
	var sec memSecret
	pubPEM := pemOf(f, &priv.PublicKey)
	sec.set(pubPEM)
	c := newClock()
	v := newVerifier(f, NewPEMKeys(sec.get, 0, c.Now, nil), c)
	f.Add(sign(f, priv, jose.RS256, "kid-1", goodClaims(), map[string]any{"scope": "a b", "scp": []any{"c", 1}}))
	f.Add(algNone(goodClaims()))
	f.Add(hs256(f, pubPEM, goodClaims()))
	f.Add("eyJhbGciOiJSUzI1NiJ9.e30.")
	f.Add("a.b.c.d.e")
	f.Fuzz(func(t *testing.T, token string) {
		cl, err := v.Verify(context.Background(), token)
		if err == nil {
			if cl == nil {
				t.Fatal("nil claims without an error")
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %T is not an *Error", err)
		}
		if len(token) >= 8 && strings.Contains(err.Error(), token) {
			t.Fatal("the error repeats the token")
		}
	})
}
