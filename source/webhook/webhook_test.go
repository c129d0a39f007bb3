package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/sourcetest"
	"github.com/hushmcp/hush/source/webhook"
	"github.com/hushmcp/hush/source/webhook/webhooktest"
)

const (
	keyOne = "canary-signing-key-one-NOT-REAL"
	keyTwo = "canary-signing-key-two-NOT-REAL"
	keyBad = "canary-signing-key-refused-NOT-REAL"
)

var ref = "${secret:" + sourcetest.CredSecret + "}"

func spec(r *webhooktest.Receiver) webhook.Spec {
	return webhook.Spec{Name: "notify", URL: r.URL + "/hooks/hush", Origin: "http://" + r.Listener.Addr().String(), Secret: ref, Timeout: 5 * time.Second}
}

// The receiver verifies signatures under two keys and refuses a third;
// Hold is a delivery the receiver keeps until released.
func TestLifecycle(t *testing.T) {
	sourcetest.RunLifecycle(t, sourcetest.Lifecycle{
		Kind: webhook.Kind,
		Backend: func(t *testing.T) sourcetest.Backend {
			r := webhooktest.New(t, keyOne, keyTwo)
			return sourcetest.Backend{
				Spec: spec(r), Good: []string{keyOne, keyTwo}, Bad: keyBad,
				Call: func(ctx context.Context, src source.Source) error { return deliver(ctx, src, "test") },
				Hold: func(t *testing.T, src source.Source) (func(), <-chan error) {
					done := make(chan error, 1)
					go func() { done <- deliver(context.Background(), src, "hold") }()
					waitFor(t, func() bool { return r.Holding() > 0 })
					return r.Release, done
				},
			}
		},
	})
}

func deliver(ctx context.Context, src source.Source, event string) error {
	_, code, err := src.(*webhook.Source).Deliver(ctx, event, map[string]any{"text": "hello"})
	if err == nil && (code < 200 || code > 299) {
		err = fmt.Errorf("status %d", code)
	}
	return err
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func open(t *testing.T, s webhook.Spec, key string) (*webhook.Source, *sourcetest.Secrets, error) {
	t.Helper()
	secrets := sourcetest.NewSecrets(t, map[string]string{sourcetest.CredSecret: key})
	src, err := webhook.Open(t.Context(), s, source.Env{Name: "notify", Secrets: secrets})
	if src != nil {
		t.Cleanup(func() { _ = src.Close() })
	}
	return src, secrets, err
}

// A delivery carries the documented headers and body, and its signature is
// hex(HMAC-SHA256(key, timestamp + "." + body)).
func TestDeliveryFormat(t *testing.T) {
	r := webhooktest.New(t, keyOne)
	src, _, err := open(t, spec(r), keyOne)
	if err != nil {
		t.Fatal(err)
	}
	id, code, err := src.Deliver(t.Context(), "deploy.finished", map[string]any{"text": "done", "id": "forged"})
	if err != nil || code != http.StatusNoContent {
		t.Fatalf("deliver: %d %v", code, err)
	}
	got := r.Accepted()
	if len(got) != 2 || got[0].Event != webhook.PingEvent { // the verification ping, then the delivery
		t.Fatalf("accepted %d deliveries", len(got))
	}
	d := got[1]
	if d.ID != id || d.Body["id"] != id || d.Body["event"] != "deploy.finished" || d.Body["text"] != "done" || d.Body["sent_at"] == nil {
		t.Errorf("delivery %v", d.Body)
	}
	want := webhook.Sign([]byte(keyOne), d.Header.Get(webhook.HeaderTimestamp), d.Raw)
	if d.Header.Get(webhook.HeaderSignature) != want || !strings.HasPrefix(want, "v1=") || len(want) != 3+64 {
		t.Errorf("signature header does not match the documented scheme")
	}
}

// A captured delivery sent again is refused: by id within the window, by
// timestamp after it. A receiver with the wrong key refuses it too.
func TestVerifyRefusesReplaysAndForgeries(t *testing.T) {
	r := webhooktest.New(t, keyOne)
	src, _, err := open(t, spec(r), keyOne)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := src.Deliver(t.Context(), "e", nil); err != nil {
		t.Fatal(err)
	}
	d := r.Accepted()[1]
	resend := func() int {
		req, _ := http.NewRequest(http.MethodPost, r.URL, bytes.NewReader(d.Raw))
		req.Header = d.Header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := resend(); code != http.StatusConflict {
		t.Errorf("replay within the window: %d, want 409", code)
	}
	r.Skew(webhook.DefaultTolerance + time.Minute)
	if code := resend(); code != http.StatusBadRequest {
		t.Errorf("replay after the window: %d, want 400", code)
	}
	now := time.Now()
	for name, err := range map[string]error{
		"stale":       webhook.Verify(d.Header, d.Raw, [][]byte{[]byte(keyOne)}, now.Add(6*time.Minute), 0),
		"future":      webhook.Verify(d.Header, d.Raw, [][]byte{[]byte(keyOne)}, now.Add(-6*time.Minute), 0),
		"wrong key":   webhook.Verify(d.Header, d.Raw, [][]byte{[]byte(keyTwo)}, now, 0),
		"edited body": webhook.Verify(d.Header, append(d.Raw, ' '), [][]byte{[]byte(keyOne)}, now, 0),
	} {
		if err == nil {
			t.Errorf("%s: verified", name)
		}
	}
	if err := webhook.Verify(d.Header, d.Raw, [][]byte{[]byte(keyTwo), []byte(keyOne)}, now, 0); err != nil {
		t.Errorf("either of two keys: %v", err)
	}
}

func TestRefusedKeyAtOpen(t *testing.T) {
	r := webhooktest.New(t, keyOne)
	_, _, err := open(t, spec(r), keyBad)
	if !errors.Is(err, driver.ErrPermission) || strings.Contains(err.Error(), "canary") {
		t.Fatalf("open with a refused key: %v", err)
	}
}

// After a rotation the next delivery is signed with the new key; with an
// overlap, with the old one too until the overlap ends.
func TestRotationOverlap(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	defer webhook.SetClock(func() time.Time { return time.Unix(0, now.Load()) })()
	r := webhooktest.New(t, keyOne)
	s := spec(r)
	s.Overlap = 10 * time.Minute
	src, secrets, err := open(t, s, keyOne)
	if err != nil {
		t.Fatal(err)
	}
	secrets.Set(sourcetest.CredSecret, keyTwo) // the receiver knows only the old key yet
	waitFor(t, func() bool { return !src.State().LastSwap.IsZero() })
	if _, code, err := src.Deliver(t.Context(), "e", nil); err != nil || code != http.StatusNoContent {
		t.Fatalf("delivery during the overlap: %d %v", code, err)
	}
	last := func() webhooktest.Delivery { a := r.Accepted(); return a[len(a)-1] }
	if last().Signatures != 2 {
		t.Errorf("during the overlap: %d signatures, want 2", last().Signatures)
	}
	r.SetKeys(keyTwo)
	now.Add(int64(11 * time.Minute))
	r.Skew(11 * time.Minute)
	if _, code, err := src.Deliver(t.Context(), "e", nil); err != nil || code != http.StatusNoContent || last().Signatures != 1 {
		t.Fatalf("after the overlap: %d %v, %d signatures", code, err, last().Signatures)
	}
	if err := webhook.Verify(last().Header, last().Raw, [][]byte{[]byte(keyOne)}, time.Unix(0, now.Load()), 0); err == nil {
		t.Error("after the overlap the old key still signs")
	}
}

// With ping off nothing is sent until a notification.
func TestPingOff(t *testing.T) {
	r := webhooktest.New(t, keyOne)
	s := spec(r)
	s.NoPing = true
	src, _, err := open(t, s, keyBad)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(r.Accepted())+r.Refused() != 0 {
		t.Error("a request was sent")
	}
	if _, code, err := src.Deliver(t.Context(), "e", nil); err != nil || code != http.StatusUnauthorized {
		t.Errorf("delivery with a refused key: %d %v", code, err)
	}
}

// The example in docs/webhook.md verifies, so receivers can test against it.
func TestDocumentedExample(t *testing.T) {
	body := []byte(`{"data":{"service":"billing","severity":2},"event":"oncall.page","id":"dlv_6f1c0e0b9a2d44c1e3f07a55",` +
		`"sent_at":"2025-11-29T13:00:00Z","text":"billing needs attention: queue depth over 10k"}`)
	h := http.Header{}
	h.Set(webhook.HeaderTimestamp, "1764421200")
	h.Set(webhook.HeaderSignature, "v1=30881062bb60645cf0c91b3f9f471fad0f2f0f7a22aefa40ee92cb9f82746be1")
	if err := webhook.Verify(h, body, [][]byte{[]byte("example-signing-key")}, time.Unix(1764421200, 0), 0); err != nil {
		t.Fatalf("the documented example does not verify: %v", err)
	}
}

// quiet is a secret provider that never signals a change: the store sees
// a new value only when it polls (once a minute) or is asked to refresh.
type quiet struct {
	mu  sync.Mutex
	val string
}

func (q *quiet) OpenSecret(context.Context, secret.Ref) (driver.Driver, error) { return q, nil }
func (q *quiet) Close() error                                                  { return nil }
func (q *quiet) set(v string)                                                  { q.mu.Lock(); q.val = v; q.mu.Unlock() }
func (q *quiet) Fetch(context.Context) (driver.Snapshot, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return driver.Snapshot{Data: []byte(q.val)}, nil
}

// A receiver that switched to the new key before the store polled refuses
// one delivery; that makes the source re-read the key, and the next
// delivery is signed with the new one.
func TestRefusedDeliveryReadsTheKeyAgain(t *testing.T) {
	prov := &quiet{val: keyOne}
	m := secret.NewMux()
	m.Register("quiet", prov)
	store, err := secret.Open(t.Context(), []secret.Decl{{Name: "SIG", From: "quiet://SIG"}}, secret.Options{Mux: m})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	r := webhooktest.New(t, keyOne)
	s := spec(r)
	s.Secret = "${secret:SIG}"
	src, err := webhook.Open(t.Context(), s, source.Env{Name: "notify", Secrets: store})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	prov.set(keyTwo)
	r.SetKeys(keyTwo)
	if _, code, err := src.Deliver(t.Context(), "e", nil); err != nil || code != http.StatusUnauthorized {
		t.Fatalf("first delivery: %d %v, want 401", code, err)
	}
	waitFor(t, func() bool { return !src.State().LastSwap.IsZero() })
	if _, code, err := src.Deliver(t.Context(), "e", nil); err != nil || code != http.StatusNoContent {
		t.Fatalf("next delivery: %d %v", code, err)
	}
}
