package secret_test

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
)

// leased is a changeable driver with its own version ids and leases that
// records every Release, standing in for Vault's dynamic credentials.
type leased struct {
	mu       sync.Mutex
	data     string
	version  string
	expires  time.Time
	ttl      time.Duration // > 0: every fetch renews the lease for ttl
	err      error
	fetches  []time.Time
	released map[string]int
}

func newLeased(data, version string) *leased {
	return &leased{data: data, version: version, released: map[string]int{}}
}

func (l *leased) set(data, version string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.data, l.version = data, version
}

func (l *leased) Fetch(context.Context) (driver.Snapshot, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fetches = append(l.fetches, time.Now())
	if l.ttl > 0 {
		l.expires = time.Now().Add(l.ttl)
	}
	if l.err != nil {
		return driver.Snapshot{}, l.err
	}
	return driver.Snapshot{Data: []byte(l.data), Version: l.version, ExpiresAt: l.expires}, nil
}

func (l *leased) Close() error { return nil }

func (l *leased) Release(version string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.released[version]++
}

// releases returns how often each version was released.
func (l *leased) releases() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.released)
}

// openOne opens a store over d with one secret K, never polled by itself.
func openOne(t *testing.T, d driver.Driver, rules secret.Rules) *secret.Store {
	t.Helper()
	m := secret.NewMux()
	m.Register("mem", secret.OpenerFunc(func(context.Context, secret.Ref) (driver.Driver, error) { return d, nil }))
	s, err := secret.Open(context.Background(), []secret.Decl{{Name: "K", From: "mem://k", Rules: rules}},
		secret.Options{Mux: m, PollInterval: 24 * time.Hour})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// rotate makes the driver serve data as version and has the store read it.
func rotate(t *testing.T, s *secret.Store, l *leased, data, version string) error {
	t.Helper()
	l.set(data, version)
	return s.Refresh(context.Background(), "K")
}

// knows reports whether Known holds exactly v, without printing anything.
func knows(s *secret.Store, v string) bool {
	return slices.ContainsFunc(s.Known(), func(b []byte) bool { return string(b) == v })
}

func canaryN(i int) string { return fmt.Sprintf("canary-key-91be-%02d-NOT-REAL-0123456789", i) }

func TestPinKeepsOneVersionOfEverySecret(t *testing.T) {
	doc := func(i int) string {
		return fmt.Sprintf(`{"username":"app%02d","password":%q}`, i, canaryN(i))
	}
	l := newLeased(doc(1), "v1")
	s := openOne(t, l, secret.Rules{Format: "json", Fields: []string{"username", "password"}})
	pin, err := s.Pin("K", "K")
	if err != nil {
		t.Fatal(err)
	}
	defer pin.Release()
	if err := rotate(t, s, l, doc(2), "v2"); err != nil {
		t.Fatal(err)
	}
	v, ok := pin.Value("K")
	if !ok || v.Meta().Version != "v1" {
		t.Fatalf("pinned version = %q (ok %v), want v1", v.Meta().Version, ok)
	}
	user, err1 := v.Field("username")
	pw, err2 := v.Field("password")
	if err1 != nil || err2 != nil || user.RevealString() != "app01" || pw.RevealString() != canaryN(1) {
		t.Errorf("fields of the pinned value do not come from version v1 (errors %v, %v)", err1, err2)
	}
	if cur, _ := s.Get("K"); cur.Meta().Version != "v2" {
		t.Errorf("current version = %q, want v2", cur.Meta().Version)
	}
	if _, err := s.Pin("K", "NOPE"); err == nil {
		t.Error("pin of an undeclared secret succeeded")
	}
}

// A source that keeps using its old credential while every new one is
// rejected (by its rules here, by the database in production) must find
// that credential known to the redactor however many rotations pass.
func TestPinnedValueStaysKnownThroughRotations(t *testing.T) {
	l := newLeased(canaryN(1), "v1")
	s := openOne(t, l, secret.Rules{MinLength: 20})
	pin, err := s.Pin("K")
	if err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 9; i++ {
		data := canaryN(i)
		if i%2 == 1 {
			data = data[:12] // fails min_length: rejected, never current
		}
		_ = rotate(t, s, l, data, fmt.Sprintf("v%d", i))
		if !knows(s, canaryN(1)) {
			t.Fatalf("pinned value left Known after rotation %d", i-1)
		}
	}
	for _, i := range []int{3, 5, 7, 9} {
		if knows(s, canaryN(i)[:12]) {
			t.Errorf("rejected value %d is in Known", i)
		}
	}
	pin.Release()
	if knows(s, canaryN(1)) {
		t.Error("released value still in Known after four newer versions")
	}
	for _, i := range []int{4, 6, 8} {
		if !knows(s, canaryN(i)) {
			t.Errorf("value %d, current or in the history, is not in Known", i)
		}
	}
}

// Rejected values and values that come back must not push distinct values
// that were current out of the history.
func TestHistoryHoldsDistinctValuesThatWereCurrent(t *testing.T) {
	l := newLeased(canaryN(1), "")
	s := openOne(t, l, secret.Rules{MinLength: 20})
	seq := []int{2, 3, 2, 3, 2}
	for _, i := range seq {
		if err := rotate(t, s, l, canaryN(i), ""); err != nil {
			t.Fatal(err)
		}
		for range 4 {
			_ = rotate(t, s, l, canaryN(9)[:10], "") // rejected
		}
	}
	if err := rotate(t, s, l, canaryN(4), ""); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{1, 2, 3, 4} {
		if !knows(s, canaryN(i)) {
			t.Errorf("value %d fell out of a history of 3 distinct values", i)
		}
	}
	if got := len(s.Known()); got != 4 {
		t.Errorf("Known holds %d values, want the current one and 3 previous", got)
	}
}

func TestReleaseOnceAfterLastPin(t *testing.T) {
	l := newLeased(canaryN(1), "v1")
	s := openOne(t, l, secret.Rules{})
	a, _ := s.Pin("K")
	b, _ := s.Pin("K")
	mustRotate(t, s, l, 2)
	if got := l.releases(); len(got) != 0 {
		t.Fatalf("released %v while v1 is pinned and v2 current", got)
	}
	mustRotate(t, s, l, 3)
	wantReleases(t, l, map[string]int{"v2": 1})
	a.Release()
	wantReleases(t, l, map[string]int{"v2": 1})
	b.Release()
	b.Release()
	a.Release()
	wantReleases(t, l, map[string]int{"v1": 1, "v2": 1})
	c, _ := s.Pin("K")
	c.Release()
	wantReleases(t, l, map[string]int{"v1": 1, "v2": 1}) // v3 is current
	if err := rotate(t, s, l, canaryN(3), "v3"); err != nil {
		t.Fatal(err)
	}
	wantReleases(t, l, map[string]int{"v1": 1, "v2": 1}) // the same version again
}

func mustRotate(t *testing.T, s *secret.Store, l *leased, i int) {
	t.Helper()
	if err := rotate(t, s, l, canaryN(i), fmt.Sprintf("v%d", i)); err != nil {
		t.Fatal(err)
	}
}

func wantReleases(t *testing.T, l *leased, want map[string]int) {
	t.Helper()
	got := l.releases()
	if len(got) != len(want) {
		t.Fatalf("releases = %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Fatalf("releases = %v, want %v", got, want)
		}
	}
}

// Many holders pin and release while the secret rotates: every version
// that stopped being current is released exactly once, the current one
// never, and each release comes after the last holder let go.
func TestReleaseOnceUnderConcurrentPins(t *testing.T) {
	l := newLeased(canaryN(0), "v0")
	var holding sync.Map // version -> holders, checked at release
	s := openOne(t, &checkingReleaser{leased: l, holding: &holding, t: t}, secret.Rules{})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 8 {
		wg.Go(func() { pinLoop(s, &holding, stop) })
	}
	for i := 1; i <= 40; i++ {
		mustRotate(t, s, l, i)
	}
	close(stop)
	wg.Wait()
	got := l.releases()
	for i := 0; i < 40; i++ {
		if v := fmt.Sprintf("v%d", i); got[v] != 1 {
			t.Errorf("version %s released %d times, want once", v, got[v])
		}
	}
	if got["v40"] != 0 {
		t.Error("the current version was released")
	}
}

// pinLoop pins and releases K until stop closes, counting holders per
// version so that a release under a holder is caught.
func pinLoop(s *secret.Store, holding *sync.Map, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		p, err := s.Pin("K")
		if err != nil {
			return
		}
		v, _ := p.Value("K")
		n, _ := holding.LoadOrStore(v.Meta().Version, new(counter))
		n.(*counter).add(1)
		runtime.Gosched()
		n.(*counter).add(-1)
		p.Release()
	}
}

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) add(d int) {
	c.mu.Lock()
	c.n += d
	c.mu.Unlock()
}

func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// checkingReleaser fails the test when a version is released while a
// holder still counts itself in.
type checkingReleaser struct {
	*leased
	holding *sync.Map
	t       *testing.T
}

func (c *checkingReleaser) Release(version string) {
	if n, ok := c.holding.Load(version); ok && n.(*counter).get() > 0 {
		c.t.Errorf("version %s released while pinned", version)
	}
	c.leased.Release(version)
}

func TestKnownHoldsFieldsOfJSONSecrets(t *testing.T) {
	doc := func(i int) string { return fmt.Sprintf(`{"user":"app","password":%q,"port":5432}`, canaryN(i)) }
	l := newLeased(doc(1), "v1")
	s := openOne(t, l, secret.Rules{Format: "json"})
	pin, _ := s.Pin("K")
	defer pin.Release()
	for i := 2; i <= 5; i++ {
		mustRotateData(t, s, l, doc(i), i)
	}
	for i := 1; i <= 5; i++ {
		if !knows(s, canaryN(i)) {
			t.Errorf("password field of version %d (current, previous or pinned) is not in Known", i)
		}
	}
}

func mustRotateData(t *testing.T, s *secret.Store, l *leased, data string, i int) {
	t.Helper()
	if err := rotate(t, s, l, data, fmt.Sprintf("v%d", i)); err != nil {
		t.Fatal(err)
	}
}

func TestPinUnavailableSecret(t *testing.T) {
	l := newLeased("", "")
	l.err = driver.ErrNotFound
	m := secret.NewMux()
	m.Register("mem", secret.OpenerFunc(func(context.Context, secret.Ref) (driver.Driver, error) { return l, nil }))
	s, _ := secret.Open(context.Background(), []secret.Decl{{Name: "K", From: "mem://k", Rules: secret.Rules{Optional: true}}},
		secret.Options{Mux: m, PollInterval: 24 * time.Hour})
	defer s.Close()
	if _, err := s.Pin("K"); err == nil {
		t.Error("pin of a secret without a value succeeded")
	}
}

// Two secrets holding the same value must not tell a log reader so: the
// fingerprint is keyed by the secret's name.
func TestFingerprintIsKeyedPerSecret(t *testing.T) {
	mux := envMux(map[string]string{"A": canaryKey, "B": canaryKey, "C": canaryKey + "-other"})
	s, logs, err := openStore(t, mux,
		secret.Decl{Name: "A", From: "env://A"}, secret.Decl{Name: "B", From: "env://B"}, secret.Decl{Name: "C", From: "env://C"})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := s.Get("A")
	b, _ := s.Get("B")
	c, _ := s.Get("C")
	if a.Meta().Version == b.Meta().Version {
		t.Error("two secrets with the same value share a version fingerprint")
	}
	if a.Meta().Version == c.Meta().Version || len(a.Meta().Version) != 12 {
		t.Errorf("versions %q and %q: want 12 hex digits, different values apart", a.Meta().Version, c.Meta().Version)
	}
	if err := s.Refresh(context.Background(), "A"); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Get("A"); again.Meta().Version != a.Meta().Version {
		t.Error("the fingerprint of an unchanged value changed")
	}
	assertNoCanary(t, "logs", logs.String())
}

// A version that becomes current again (a rollback) is in use anew and is
// released again when it stops.
func TestReleaseAfterRollback(t *testing.T) {
	l := newLeased(canaryN(1), "v1")
	s := openOne(t, l, secret.Rules{})
	mustRotate(t, s, l, 2)
	mustRotate(t, s, l, 1) // back to v1
	wantReleases(t, l, map[string]int{"v1": 1, "v2": 1})
	mustRotate(t, s, l, 3)
	wantReleases(t, l, map[string]int{"v1": 2, "v2": 1})
}
