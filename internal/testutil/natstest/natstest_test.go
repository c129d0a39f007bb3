package natstest

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
)

const (
	pwOne = "canary-natstest-one-NOT-REAL"
	pwTwo = "canary-natstest-two-NOT-REAL"
)

func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// A password change through reload refuses the old password for new
// logins, disconnects the connection that used it, and admits the new one.
func TestSetAuthReloads(t *testing.T) {
	s := start(t, Config{Auth: Auth{Users: map[string]string{"app": pwOne}}})
	closed := make(chan struct{})
	nc, err := nats.Connect(s.URL(), nats.UserInfo("app", pwOne), nats.NoReconnect(),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer nc.Close()
	if n, err := s.Clients("app"); err != nil || n != 1 {
		t.Fatalf("clients of app: %d, %v", n, err)
	}
	if err := s.SetAuth(Auth{Users: map[string]string{"app": pwTwo}}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the connection with the old password stayed open")
	}
	if _, err := nats.Connect(s.URL(), nats.UserInfo("app", pwOne)); !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("old password: %v, want an authorization error", err)
	}
	nc2, err := nats.Connect(s.URL(), nats.UserInfo("app", pwTwo))
	if err != nil {
		t.Fatalf("new password: %v", err)
	}
	nc2.Close()
	admin, err := s.Connect()
	if err != nil {
		t.Fatal(err)
	}
	admin.Close()
}

func TestTokenAndJetStream(t *testing.T) {
	s := start(t, Config{Auth: Auth{Token: pwOne}, JetStream: true})
	nc, err := nats.Connect(s.URL(), nats.Token(pwOne))
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	defer nc.Close()
	js, err := nc.JetStream()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.AddStream(&nats.StreamConfig{Name: "T", Subjects: []string{"t.>"}}); err != nil {
		t.Fatalf("add stream: %v", err)
	}
	if _, err := js.Publish("t.x", []byte("1")); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if _, err := nats.Connect(s.URL(), nats.Token(pwTwo)); !errors.Is(err, nats.ErrAuthorization) {
		t.Errorf("wrong token: %v", err)
	}
}

func TestOperatorCreds(t *testing.T) {
	o, err := StartOperator()
	if err != nil {
		t.Fatal(err)
	}
	defer o.Stop()
	creds, _, err := o.Creds("app")
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(o.URL(), nats.UserJWTAndSeed(jwtAndSeed(t, creds)))
	if err != nil {
		t.Fatalf("creds login: %v", err)
	}
	nc.Close()
}

func jwtAndSeed(t *testing.T, creds []byte) (string, string) {
	t.Helper()
	j, err := nkeys.ParseDecoratedJWT(creds)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := nkeys.ParseDecoratedNKey(creds)
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := kp.Seed()
	return j, string(seed)
}
