package vault_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hushmcp/hush/internal/testutil/vaulttest"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/secret/env"
	"github.com/hushmcp/hush/secret/file"
	"github.com/hushmcp/hush/secret/vault"
)

// marker is in every value, token and password the tests and the test
// server use; no error or log line may contain it.
const marker = vaulttest.Marker

// testEnv is one Vault test server and an opener configured for it, with a
// mux that also resolves env:// (from vars) and file:// references.
type testEnv struct {
	srv    *vaulttest.Server
	opener *vault.Opener
	mux    *secret.Mux
	logs   *syncBuffer

	mu   sync.Mutex
	vars map[string]string
}

// newEnv builds a testEnv whose opener authenticates with the root token
// from VAULT_TOKEN unless tweak says otherwise. Call it inside a synctest
// bubble when the test uses fake time: the opener's goroutines start here.
func newEnv(t testing.TB, tweak func(*vault.Config)) *testEnv {
	t.Helper()
	e := &testEnv{srv: vaulttest.New(), logs: &syncBuffer{}, vars: map[string]string{}}
	e.vars["VAULT_TOKEN"] = e.srv.RootToken()
	e.mux = secret.NewMux()
	e.opener = &vault.Opener{
		Mux: e.mux, HTTPClient: e.srv.Client(), Getenv: e.getenv,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	e.mux.Register("vault", e.opener)
	e.mux.Register("env", &env.Opener{Lookup: e.lookup})
	e.mux.Register("file", &file.Opener{})
	cfg := vault.DefaultConfig()
	cfg.Address = vaulttest.Addr
	if tweak != nil {
		tweak(&cfg)
	}
	if err := e.opener.Configure(context.Background(), &cfg); err != nil {
		t.Fatalf("configure: %v", err)
	}
	t.Cleanup(func() {
		if err := e.opener.Close(); err != nil {
			t.Errorf("close opener: %v", err)
		}
		if strings.Contains(e.logs.String(), marker) {
			t.Error("the log holds a token or a secret value (withheld)")
		}
	})
	return e
}

func (e *testEnv) setVar(k, v string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.vars[k] = v
}

func (e *testEnv) lookup(k string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.vars[k]
	return v, ok
}

func (e *testEnv) getenv(k string) string {
	v, _ := e.lookup(k)
	return v
}

// open opens ref through the opener and closes the driver when the test
// ends.
func (e *testEnv) open(t testing.TB, ref string) *vault.Driver {
	t.Helper()
	d, err := e.openErr(ref)
	if err != nil {
		t.Fatalf("open %s: %s", ref, safe(err))
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func (e *testEnv) openErr(ref string) (*vault.Driver, error) {
	r, err := secret.ParseRef(ref)
	if err != nil {
		return nil, err
	}
	d, err := e.opener.OpenSecret(context.Background(), r)
	if err != nil {
		return nil, err
	}
	return d.(*vault.Driver), nil
}

// store opens a secret store over e's mux with the given declarations.
func (e *testEnv) store(t testing.TB, decls ...secret.Decl) *secret.Store {
	t.Helper()
	s, err := secret.Open(context.Background(), decls, secret.Options{Mux: e.mux})
	if err != nil {
		t.Fatalf("open store: %s", safe(err))
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func fetch(d driver.Driver) (driver.Snapshot, error) {
	return d.Fetch(context.Background())
}

func mustFetch(t testing.TB, d driver.Driver) driver.Snapshot {
	t.Helper()
	snap, err := fetch(d)
	if err != nil {
		t.Fatalf("fetch: %s", safe(err))
	}
	return snap
}

// field returns one field of a fetched JSON document.
func field(t testing.TB, snap driver.Snapshot, name string) string {
	t.Helper()
	b, err := secret.SelectField(snap.Data, name)
	if err != nil {
		t.Fatalf("field %s: %v", name, err)
	}
	return string(b)
}

// safe renders err for a message, withholding it if it leaks.
func safe(err error) string {
	if err != nil && strings.Contains(err.Error(), marker) {
		return "[error text withheld: it contains a secret]"
	}
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// checkErr checks that err wraps want and holds none of the secrets.
func checkErr(t testing.TB, what string, err, want error, secrets ...string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got %s, want an error wrapping %q", what, safe(err), want)
	}
	if err == nil {
		return
	}
	for _, s := range append(secrets, marker) {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("%s: error text holds a secret (%d chars, withheld)", what, len(err.Error()))
		}
	}
}

// writeFile writes a file atomically, as Vault Agent and kubelet do.
func writeFile(t testing.TB, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fieldDriver selects one field of the driver's JSON document, as the store
// does for a reference with #field: the conformance suite compares whole
// values, and a Vault secret is always a document of fields.
type fieldDriver struct {
	*vault.Driver
	field string
}

func (f fieldDriver) Fetch(ctx context.Context) (driver.Snapshot, error) {
	snap, err := f.Driver.Fetch(ctx)
	if err != nil {
		return snap, err
	}
	snap.Data, err = secret.SelectField(snap.Data, f.field)
	return snap, err
}
