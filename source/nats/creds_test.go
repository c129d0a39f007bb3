package nats

import (
	"errors"
	"strings"
	"testing"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"

	"github.com/hushmcp/hush/secret/driver"
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
