package mcpserver

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/testutil/wait"
	"github.com/hushmcp/hush/metrics"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/file"
	"github.com/hushmcp/hush/source/sqlite"
	"github.com/hushmcp/hush/tool"
	"github.com/hushmcp/hush/tool/sqltool"
)

// healthRot is a server whose secret store holds one required secret,
// ROT_DSN (a file, at least 8 characters), the whole DSN of a sqlite
// source "rot" beside the harness's "main", with a tool over each. The
// server has no bearer auth and metrics beside the MCP endpoint.
type healthRot struct {
	*harness
	dir, secretPath string
	store           *secret.Store
	rot             *sqlite.Source
	metrics         *metrics.Metrics
}

func newHealthRot(t *testing.T, adjust func(*config.Config)) *healthRot {
	t.Helper()
	r := &healthRot{dir: t.TempDir(), secretPath: filepath.Join(t.TempDir(), "rot_dsn")}
	for _, db := range []string{"a.db", "b.db"} { // empty files are empty databases
		if err := os.WriteFile(filepath.Join(r.dir, db), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r.write(t, filepath.Join(r.dir, "a.db"))
	decl := secret.Decl{Name: "ROT_DSN", From: "file://" + r.secretPath, Rules: secret.Rules{MinLength: 8}}
	r.harness = newHarness(t, func(c *config.Config, d *Deps) {
		mux := secret.NewMux()
		mux.Register("file", &file.Opener{})
		store, err := secret.Open(context.Background(), []secret.Decl{decl}, secret.Options{Mux: mux})
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		t.Cleanup(func() { _ = store.Close() })
		src, err := sqlite.Open(context.Background(), sqlite.Spec{Name: "rot", DSN: "${secret:ROT_DSN}"}, store, d.Logger)
		if err != nil {
			t.Fatalf("open sqlite: %v", err)
		}
		t.Cleanup(func() { _ = src.Close() })
		r.store, r.rot = store, src
		c.Server.AuthToken = ""
		c.Secrets = []secret.Decl{decl}
		c.Tools = append(c.Tools, tool.Spec{Name: "rot_echo", Kind: "sql", Source: "rot", Description: "Echo a value.",
			Params: []tool.Param{{Name: "v", Type: "string", Description: "v", Required: true}},
			Config: sqltool.Config{Statement: "SELECT ? AS v", ReadOnly: true}})
		d.Store = store
		d.Sources["rot"] = src
		r.metrics = metrics.New(metrics.Options{Store: store, Sources: d.Sources, Version: "test"})
		t.Cleanup(r.metrics.Close)
		d.Metrics = r.metrics
		if adjust != nil {
			adjust(c)
		}
	})
	return r
}

func (r *healthRot) write(t *testing.T, dsn string) {
	t.Helper()
	tmp := r.secretPath + ".tmp"
	if err := os.WriteFile(tmp, []byte(dsn), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, r.secretPath); err != nil {
		t.Fatal(err)
	}
}

// rotate writes dsn to ROT_DSN's file and has the store read it at once;
// it returns the store's error, if the value was refused.
func (r *healthRot) rotate(t *testing.T, dsn string) error {
	t.Helper()
	r.write(t, dsn)
	return r.store.Refresh(context.Background(), "ROT_DSN")
}

// readyz GETs /readyz and returns its status, sources and secrets.
func readyz(t *testing.T, h *harness, base string) (int, map[string]any, map[string]any) {
	t.Helper()
	code, body := get(t, h, base+"/readyz")
	sources, _ := body["sources"].(map[string]any)
	secrets, _ := body["secrets"].(map[string]any)
	return code, sources, secrets
}

// healthOf calls health_check and returns its headline, its text, and
// the rot source's report.
func healthOf(t *testing.T, r *healthRot) (string, string, tool.SourceReport) {
	t.Helper()
	cs := r.inMemory()
	res := callTool(t, cs, tool.HealthCheckName, map[string]any{})
	text := resultText(res)
	headline, _, _ := strings.Cut(text, "\n")
	var rep tool.Report
	if err := json.Unmarshal([]byte(structured(t, res)), &rep); err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Sources {
		if s.Name == "rot" {
			return headline, text, s
		}
	}
	t.Fatalf("health_check does not report rot: %s", text)
	return "", "", tool.SourceReport{}
}

func wantRotEcho(t *testing.T, r *healthRot, when string) {
	t.Helper()
	if res := callTool(t, r.inMemory(), "rot_echo", map[string]any{"v": "x"}); res.IsError {
		t.Errorf("%s: a call on rot failed: %s", when, resultText(res))
	}
}

// A credential the backend refuses is rotated in: the source keeps serving
// on its last good client, so the replica stays ready, while health_check
// and the metrics show it degraded. A good value swaps in and is logged.
func TestHealthWrongCredentialRotatedIn(t *testing.T) {
	r := newHealthRot(t, nil)
	hs := r.httpServer()
	if err := r.rotate(t, filepath.Join(r.dir, "missing", "c.db")); err != nil {
		t.Fatalf("the store refused a value that passes its rules: %v", err)
	}
	wait.Until(t, "the failed swap", 10*time.Second, func() bool { _, failed := r.rot.Swaps(); return failed > 0 })

	code, sources, secrets := readyz(t, r.harness, hs.URL)
	if code != http.StatusOK || sources["rot"] != "ok" || secrets["ROT_DSN"] != "ok" {
		t.Errorf("/readyz with a refused credential: %d sources %v secrets %v, want 200 and rot ok", code, sources, secrets)
	}
	wantRotEcho(t, r, "refused credential")
	// The per-source status says degraded. health_check's headline (and
	// isError) do not yet weigh a source's status, only pings and secrets;
	// that belongs to tool.Report, not to this test.
	if _, text, rot := healthOf(t, r); rot.Status != "degraded" || rot.Ping != "ok" || rot.LastError == "" {
		t.Errorf("health_check with a refused credential, want rot degraded with its ping ok:\n%s", text)
	}
	_, body := scrape(t, r.harness, hs.URL, "")
	wantSample(t, body, `hush_source_state{source="rot",state="degraded"}`, 1)
	wantSample(t, body, `hush_source_state{source="rot",state="ok"}`, 0)

	if err := r.rotate(t, filepath.Join(r.dir, "b.db")); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	wait.Until(t, "the swap", 10*time.Second, func() bool { ok, _ := r.rot.Swaps(); return ok > 0 })
	wait.Until(t, "the recovery logged", 10*time.Second, func() bool {
		for line := range strings.Lines(r.logs.String()) {
			if strings.Contains(line, `"msg":"source credentials swapped"`) && strings.Contains(line, `"source":"rot"`) {
				return true
			}
		}
		return false
	})
	if headline, text, rot := healthOf(t, r); rot.Status != "ok" || headline != "health: ok" {
		t.Errorf("health_check after recovery: %s", text)
	}
	if code, _, _ := readyz(t, r.harness, hs.URL); code != http.StatusOK {
		t.Errorf("/readyz after recovery: %d", code)
	}
	_, body = scrape(t, r.harness, hs.URL, "")
	wantSample(t, body, `hush_source_state{source="rot",state="ok"}`, 1)
	wantRotEcho(t, r, "recovered")
}

// A secret whose new value fails its rules keeps serving its last good
// value: the replica is ready, the secret degraded.
func TestHealthSecretFailingRulesAfterStart(t *testing.T) {
	r := newHealthRot(t, nil)
	hs := r.httpServer()
	if err := r.rotate(t, "x.db"); err == nil { // shorter than min_length
		t.Fatal("the store accepted a value that fails its rules")
	}
	code, sources, secrets := readyz(t, r.harness, hs.URL)
	if code != http.StatusOK || sources["rot"] != "ok" || secrets["ROT_DSN"] != "degraded" {
		t.Errorf("/readyz with a value failing its rules: %d sources %v secrets %v, want 200, rot ok, ROT_DSN degraded",
			code, sources, secrets)
	}
	wantRotEcho(t, r, "value failing its rules")
	headline, text, rot := healthOf(t, r)
	if headline == "health: ok" || len(rot.Secrets) != 1 || rot.Secrets[0].Status != "degraded" || rot.Secrets[0].LastError != "invalid" {
		t.Errorf("health_check with a value failing its rules:\n%s", text)
	}
	_, body := scrape(t, r.harness, hs.URL, "")
	wantSample(t, body, `hush_secret_state{secret="ROT_DSN",state="degraded"}`, 1)

	if err := r.rotate(t, filepath.Join(r.dir, "a.db")); err != nil { // the good value again
		t.Fatalf("refresh: %v", err)
	}
	if code, _, secrets := readyz(t, r.harness, hs.URL); code != http.StatusOK || secrets["ROT_DSN"] != "ok" {
		t.Errorf("/readyz after a good value: %d secrets %v", code, secrets)
	}
}

// A source that does not answer its ping makes the replica unready only
// when it is one of server.ready_sources (all, by default); the others are
// still reported.
func TestReadyzSourceDown(t *testing.T) {
	t.Run("every source decides by default", func(t *testing.T) {
		r := newHealthRot(t, nil)
		hs := r.httpServer()
		if code, _, _ := readyz(t, r.harness, hs.URL); code != http.StatusOK {
			t.Fatalf("/readyz before: %d", code)
		}
		_ = r.rot.Close()
		if code, sources, _ := readyz(t, r.harness, hs.URL); code != http.StatusServiceUnavailable ||
			sources["rot"] == "ok" || sources["main"] != "ok" {
			t.Errorf("/readyz with rot down: %d %v, want 503", code, sources)
		}
	})
	t.Run("ready_sources leaves one out", func(t *testing.T) {
		r := newHealthRot(t, func(c *config.Config) { c.Server.ReadySources = []string{"main"} })
		hs := r.httpServer()
		_ = r.rot.Close()
		code, sources, secrets := readyz(t, r.harness, hs.URL)
		if code != http.StatusOK || sources["rot"] == "ok" || sources["main"] != "ok" || secrets["ROT_DSN"] == nil {
			t.Errorf("/readyz with rot down, not listed: %d sources %v secrets %v, want 200 with rot reported",
				code, sources, secrets)
		}
		_ = r.db.Close()
		if code, sources, _ := readyz(t, r.harness, hs.URL); code != http.StatusServiceUnavailable || sources["main"] == "ok" {
			t.Errorf("/readyz with main down too: %d %v, want 503", code, sources)
		}
	})
}
