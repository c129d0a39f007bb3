package kubetest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hushmcp/hush/secret/file/kubetest"
)

func TestLayoutMatchesKubelet(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	m := kubetest.NewMount(t, dir, map[string]string{"password": "canary-a-NOT-REAL", "user": "app"})
	first := checkLayout(t, m, map[string]string{"password": "canary-a-NOT-REAL", "user": "app"})

	m.Update(map[string]string{"password": "canary-b-NOT-REAL", "token": "canary-t-NOT-REAL"})
	second := checkLayout(t, m, map[string]string{"password": "canary-b-NOT-REAL", "token": "canary-t-NOT-REAL"})
	if first == second {
		t.Error("update reused the version directory; want a new ..<timestamp> directory")
	}
	if _, err := os.Lstat(m.Path("user")); !os.IsNotExist(err) {
		t.Errorf("stale visible link user: got %v, want it removed", err)
	}
}

// checkLayout asserts the kubelet layout for want and returns the live
// version directory's name.
func checkLayout(t *testing.T, m *kubetest.Mount, want map[string]string) string {
	t.Helper()
	ts, err := os.Readlink(filepath.Join(m.Dir(), "..data"))
	if err != nil || !strings.HasPrefix(ts, "..") || strings.ContainsRune(ts, '/') {
		t.Fatalf("..data: target %q, err %v; want a relative ..<timestamp> link", ts, err)
	}
	entries, err := os.ReadDir(m.Dir())
	if err != nil {
		t.Fatal(err)
	}
	var versions int
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "..") && e.IsDir() {
			versions++
		}
		if e.Name() == "..data_tmp" {
			t.Error("..data_tmp left behind")
		}
	}
	if versions != 1 {
		t.Errorf("found %d version directories; want exactly the live one", versions)
	}
	for name, content := range want {
		if target, err := os.Readlink(m.Path(name)); err != nil || target != filepath.Join("..data", name) {
			t.Errorf("visible %s: target %q, err %v; want ..data/%s", name, target, err, name)
		}
		if got, err := os.ReadFile(m.Path(name)); err != nil || string(got) != content {
			t.Errorf("read %s through visible path: err %v, content matches %t", name, err, string(got) == content)
		}
	}
	return ts
}
