package sourcetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
)

// Secrets is a real secret store over an in-memory provider (mem://NAME):
// tests set values with Set and the store notices at once, as it would a
// watched file. It records the versions the store releases.
type Secrets struct {
	*secret.Store
	mem *memProvider
}

// NewSecrets opens a store holding vals, closed at cleanup.
func NewSecrets(t testing.TB, vals map[string]string) *Secrets {
	t.Helper()
	mem := &memProvider{vals: map[string]string{}, changes: map[string]chan struct{}{}}
	var decls []secret.Decl
	for name, v := range vals {
		mem.vals[name] = v
		decls = append(decls, secret.Decl{Name: name, From: "mem://" + name})
	}
	m := secret.NewMux()
	m.Register("mem", mem)
	st, err := secret.Open(context.Background(), decls, secret.Options{Mux: m})
	if err != nil {
		t.Fatalf("sourcetest: open secrets: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return &Secrets{Store: st, mem: mem}
}

// Set changes a secret's value; the store re-reads it.
func (s *Secrets) Set(name, v string) { s.mem.set(name, v) }

// Released lists the values whose versions the store released, in order.
func (s *Secrets) Released() []string {
	s.mem.mu.Lock()
	defer s.mem.mu.Unlock()
	return append([]string(nil), s.mem.released...)
}

type memProvider struct {
	mu       sync.Mutex
	vals     map[string]string
	changes  map[string]chan struct{}
	versions map[string]string // version id -> value; ids never show a value
	released []string
}

// version names v with an id that does not show it. Callers hold p.mu.
func (p *memProvider) version(v string) string {
	for id, val := range p.versions {
		if val == v {
			return id
		}
	}
	if p.versions == nil {
		p.versions = map[string]string{}
	}
	id := fmt.Sprintf("mem-%d", len(p.versions)+1)
	p.versions[id] = v
	return id
}

func (p *memProvider) OpenSecret(_ context.Context, ref secret.Ref) (driver.Driver, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ch := make(chan struct{}, 1)
	p.changes[ref.Host] = ch
	return &memDriver{p: p, name: ref.Host, ch: ch}, nil
}

func (p *memProvider) set(name, v string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.vals[name] = v
	select {
	case p.changes[name] <- struct{}{}:
	default:
	}
}

type memDriver struct {
	p    *memProvider
	name string
	ch   chan struct{}
}

func (d *memDriver) Fetch(context.Context) (driver.Snapshot, error) {
	d.p.mu.Lock()
	defer d.p.mu.Unlock()
	v, ok := d.p.vals[d.name]
	if !ok {
		return driver.Snapshot{}, driver.ErrNotFound
	}
	return driver.Snapshot{Data: []byte(v), Version: d.p.version(v)}, nil
}

func (d *memDriver) Changes() <-chan struct{} { return d.ch }
func (d *memDriver) Close() error             { return nil }

func (d *memDriver) Release(version string) {
	d.p.mu.Lock()
	defer d.p.mu.Unlock()
	d.p.released = append(d.p.released, d.p.versions[version])
}
