package nats

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/nats-io/nkeys"

	"github.com/hushmcp/hush/internal/testutil/leak"
	"github.com/hushmcp/hush/internal/testutil/natstest"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source/sourcetest"
)

// A refused password is a permission error that names the source and
// neither the password nor the URL's userinfo, in the error or the log.
func TestRefusedPasswordNeverShown(t *testing.T) {
	u := newUser(t)
	bad := canary("refused-" + u.name)
	logs := &leak.Buffer{}
	secrets := sourcetest.NewSecrets(t, map[string]string{sourcetest.CredSecret: credDoc(u.name, bad)})
	_, err := Open(t.Context(), Spec{Name: "bus", URL: docURL()}, secrets, slog.New(slog.NewJSONHandler(logs, nil)))
	if !errors.Is(err, driver.ErrPermission) {
		t.Fatalf("open with a wrong password: %v, want a permission error", clean(err, bad))
	}
	if !strings.Contains(err.Error(), `nats source "bus": credential rejected`) {
		t.Errorf("error %q", clean(err, bad))
	}
	leak.Check(t, "open error", err.Error(), bad, u.name+":")
	leak.Check(t, "log", logs.String(), bad)
}

// An unreachable server is reported as unavailable, without the
// password in any encoding.
func TestUnreachableServer(t *testing.T) {
	pw := canary("unreachable")
	secrets := sourcetest.NewSecrets(t, map[string]string{sourcetest.CredSecret: pw})
	_, err := Open(t.Context(), Spec{Name: "bus", URL: "nats://app:${secret:CRED}@127.0.0.1:1"}, secrets, nil)
	if !errors.Is(err, driver.ErrUnavailable) {
		t.Fatalf("open: %v, want unavailable", clean(err, pw))
	}
	leak.Check(t, "open error", err.Error(), pw)
}

func TestTokenLogin(t *testing.T) {
	tok := canary("nats-token")
	ts, err := natstest.Start(natstest.Config{Auth: natstest.Auth{Token: tok}})
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Stop()
	for _, spec := range []Spec{
		{Name: "bus", URL: ts.URL(), Token: "${secret:CRED}"},
		{Name: "bus", URL: "nats://${secret:CRED}@" + ts.Addr()},
	} {
		secrets := sourcetest.NewSecrets(t, map[string]string{sourcetest.CredSecret: tok})
		src, err := Open(t.Context(), spec, secrets, nil)
		if err != nil {
			t.Fatalf("open with a token: %v", clean(err, tok))
		}
		if _, err := src.Publish(callCtx(t), Message{Subject: "token.probe", Data: []byte("1")}); err != nil {
			t.Errorf("publish: %v", err)
		}
		_ = src.Close()
	}
}

// An NKey user logs in by signing the server's nonce with its seed.
func TestNKeyLogin(t *testing.T) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	addNKey(t, pub)
	secrets := sourcetest.NewSecrets(t, map[string]string{sourcetest.CredSecret: string(seed)})
	src, err := Open(t.Context(), Spec{Name: "bus", URL: srv.URL(), NKeySeed: "${secret:CRED}"}, secrets, nil)
	if err != nil {
		t.Fatalf("open with an NKey seed: %v", clean(err, string(seed)))
	}
	defer src.Close()
	if err := src.Ping(callCtx(t)); err != nil {
		t.Errorf("ping: %v", err)
	}
	secrets.Set(sourcetest.CredSecret, "not-a-seed-canary-NOT-REAL")
	eventually(t, "degraded", func() bool { return src.State().Status == "degraded" })
	if st := src.State(); st.LastError != "invalid" {
		t.Errorf("a value that is no seed: state %+v, want the class invalid", st)
	}
}

func addNKey(t *testing.T, pub string) {
	authMu.Lock()
	defer authMu.Unlock()
	a := srv.Auth()
	a.NKeys = append(append([]string(nil), a.NKeys...), pub)
	if err := srv.SetAuth(a); err != nil {
		t.Fatal(err)
	}
}

// The reconnect buffer is off: a publish on a connection that is down is
// never queued to go out later.
func TestPublishNeverQueuedWhileDown(t *testing.T) {
	u := newUser(t)
	secrets := sourcetest.NewSecrets(t, map[string]string{sourcetest.CredSecret: credDoc(u.name, u.password)})
	src, err := Open(t.Context(), Spec{Name: "bus", URL: docURL()}, secrets, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	setPassword(t, u.name, canary("kicked-"+u.name)) // disconnects the source; no new secret follows
	eventually(t, "the client to see the disconnection", func() bool {
		l, err := src.live.Acquire()
		if err != nil {
			return false
		}
		defer l.Release()
		return l.Value().current().ctx.Err() != nil
	})
	_, err = src.Publish(callCtx(t), Message{Subject: "down.probe", Data: []byte("1")})
	if !errors.Is(err, driver.ErrUnavailable) || !strings.Contains(err.Error(), "nothing was sent") {
		t.Errorf("publish while down: %v, want unavailable and nothing sent", err)
	}
}

func clean(err error, secrets ...string) string {
	if err == nil {
		return "<nil>"
	}
	s := err.Error()
	for _, v := range secrets {
		s = strings.ReplaceAll(s, v, "[CANARY]")
	}
	return s
}
