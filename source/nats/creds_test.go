package nats

import (
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"

	"github.com/hushmcp/hush/internal/testutil/natstest"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source/sourcetest"
)

// A creds file's content yields a JWT login; content that is no creds
// file is refused as invalid without being quoted.
func TestCredentialsContent(t *testing.T) {
	s := &Source{spec: Spec{Name: "bus"}}
	acct, _ := nkeys.CreateAccount()
	user, _ := nkeys.CreateUser()
	pub, _ := user.PublicKey()
	claims := jwt.NewUserClaims(pub)
	token, err := claims.Encode(acct)
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := user.Seed()
	creds, err := jwt.FormatUserConfig(token, seed)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := s.auth(credentials{creds: string(creds)}, nil)
	if err != nil || len(opts) != 1 {
		t.Fatalf("creds content: %v (%d options)", err, len(opts))
	}
	bad := "canary-not-a-creds-file-NOT-REAL"
	for i, c := range []credentials{{creds: bad}, {seed: bad}} {
		_, err := s.auth(c, nil)
		if !errors.Is(err, driver.ErrInvalid) || strings.Contains(err.Error(), bad) {
			t.Errorf("case %d (credentials, then nkey_seed): %v", i, err)
		}
	}
}

// A source logs in with a creds file's content against a server in
// operator mode, and swaps to a newly issued user's creds.
func TestCredentialsLogin(t *testing.T) {
	o, err := natstest.StartOperator()
	if err != nil {
		t.Fatal(err)
	}
	defer o.Stop()
	first, _, err := o.Creds("hush-a")
	if err != nil {
		t.Fatal(err)
	}
	secrets := sourcetest.NewSecrets(t, map[string]string{sourcetest.CredSecret: string(first)})
	src, err := Open(t.Context(), Spec{Name: "bus", URL: o.URL(), Credentials: "${secret:CRED}"}, secrets, nil)
	if err != nil {
		t.Fatalf("open with creds: %v", err)
	}
	defer src.Close()
	if _, err := src.Publish(callCtx(t), Message{Subject: "creds.probe", Data: []byte("1")}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	second, _, err := o.Creds("hush-b")
	if err != nil {
		t.Fatal(err)
	}
	secrets.Set(sourcetest.CredSecret, string(second))
	eventually(t, "the swap", func() bool { return !src.State().LastSwap.IsZero() })
	if _, err := src.Publish(callCtx(t), Message{Subject: "creds.probe", Data: []byte("2")}); err != nil {
		t.Errorf("publish after the swap: %v", err)
	}
}
