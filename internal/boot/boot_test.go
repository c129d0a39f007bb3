package boot_test

import (
	"context"
	"errors"
	"github.com/hushmcp/hush/internal/testutil/wait"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/boot"
	"github.com/hushmcp/hush/internal/testutil/leak"
	"github.com/hushmcp/hush/redact"
	"github.com/hushmcp/hush/secret/file/kubetest"
)

const (
	tokenV1 = "canary-boot-token-v1-NOT-REAL"
	tokenV2 = "canary-boot-token-v2-NOT-REAL"
)

func load(t *testing.T, dir, yaml string) *config.Config {
	t.Helper()
	path := filepath.Join(dir, "hush.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, boot.Kinds(nil))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// The redactor follows rotations: after a mounted secret changes, both the
// new and the previous value are scrubbed from output.
func TestRedactorFollowsRotation(t *testing.T) {
	dir := t.TempDir()
	m := kubetest.NewMount(t, filepath.Join(dir, "secrets"), map[string]string{"token": tokenV1})
	os.WriteFile(filepath.Join(dir, "seed.sql"), []byte("CREATE TABLE t (x INTEGER);"), 0o600)
	cfg := load(t, dir, `server: { transport: http, auth_token: "${secret:TOKEN}" }
secrets:
  TOKEN: { from: "file:secrets/token" }
sources:
  db: { kind: sqlite, dsn: db.sqlite, seed: seed.sql }
`)
	logs := &leak.Buffer{}
	red := redact.New(redact.Options{})
	rt, err := boot.Start(context.Background(), cfg, boot.Options{Logger: slog.New(slog.NewJSONHandler(redact.NewWriter(logs, red), nil)), Redactor: red})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Close()
	if got := red.RedactString("a " + tokenV1); got != "a [REDACTED]" {
		t.Fatalf("the first value is not redacted: %q", leakFree(got))
	}
	m.Update(map[string]string{"token": tokenV2})
	wait.Until(t, "the rotated value to reach the redactor", 10*time.Second, func() bool {
		return red.RedactString(tokenV2) != tokenV2
	})
	if got := red.RedactString(tokenV1 + " " + tokenV2); got != "[REDACTED] [REDACTED]" {
		t.Errorf("after rotation: %q", leakFree(got))
	}
	if err := rt.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := rt.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	leak.Check(t, "logs", logs.String(), tokenV1, tokenV2)
}

func TestStartReportsTheFailingStage(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]struct {
		yaml  string
		stage boot.Stage
	}{
		"secrets": {`secrets:
  A: { from: "env://HUSH_BOOT_TEST_ABSENT" }
server: { transport: http, auth_token: "${secret:A}" }
`, boot.StageSecrets},
		"sources": {`sources:
  db: { kind: sqlite, dsn: /nonexistent/dir/db.sqlite }
`, boot.StageSources},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			red := redact.New(redact.Options{})
			rt, err := boot.Start(context.Background(), load(t, dir, c.yaml), boot.Options{Logger: slog.New(slog.DiscardHandler), Redactor: red})
			defer rt.Close()
			var be *boot.Error
			if !errors.As(err, &be) || be.Stage != c.stage {
				t.Errorf("err = %v, want stage %d", err, c.stage)
			}
		})
	}
}

func leakFree(s string) string {
	if leak.Find(s, tokenV1) != "" || leak.Find(s, tokenV2) != "" {
		return "(holds a canary)"
	}
	return s
}
