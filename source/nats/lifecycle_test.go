package nats

import (
	"context"
	"fmt"
	"sync"
	"testing"

	natsio "github.com/nats-io/nats.go"

	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/sourcetest"
)

// The credential is a JSON document naming a NATS user and its password:
// the suite rotates between two users and refuses a wrong password.
func TestLifecycle(t *testing.T) {
	sourcetest.RunLifecycle(t, sourcetest.Lifecycle{
		Kind: Kind,
		Backend: func(t *testing.T) sourcetest.Backend {
			a, b := newUser(t), newUser(t)
			bad := canary(a.name + "-wrong")
			return sourcetest.Backend{
				Spec:   Spec{URL: docURL()},
				Good:   []string{credDoc(a.name, a.password), credDoc(b.name, b.password)},
				Bad:    credDoc(a.name, bad),
				Hidden: []string{a.password, b.password, bad},
				Call: func(ctx context.Context, src source.Source) error {
					_, err := src.(Publisher).Publish(ctx, Message{Subject: "lifecycle.probe", Data: []byte("{}")})
					return err
				},
				Hold: holdCall,
			}
		},
	})
}

// holdCall starts a JetStream publish to a subject on which a test
// subscriber stands in for the stream: it holds the acknowledgement until
// release, so the publish stays in flight on the server's round trip.
func holdCall(t *testing.T, src source.Source) (func(), <-chan error) {
	nc := admin(t)
	subject := fmt.Sprintf("lifecycle.hold.%d", seq.Add(1))
	got := make(chan *natsio.Msg, 1)
	sub, err := nc.ChanSubscribe(subject, got)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := src.(Publisher).Publish(context.Background(), Message{Subject: subject, Data: []byte("{}"), JetStream: true})
		done <- err
	}()
	m := <-got // the publish reached the server and waits for its ack
	var once sync.Once
	release := func() {
		once.Do(func() {
			if err := m.Respond([]byte(`{"stream":"HOLD","seq":1}`)); err != nil {
				t.Errorf("release: %v", err)
			}
		})
	}
	t.Cleanup(release)
	return release, done
}
