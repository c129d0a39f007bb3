package secret_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hushmcp/hush/config/section"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
)

// blockOpener is a provider with a block of its own that records what
// Configure and Close saw.
type blockOpener struct {
	configured []any
	err        error
	closed     int
}

func (o *blockOpener) OpenSecret(context.Context, secret.Ref) (driver.Driver, error) {
	return nil, driver.ErrUnavailable
}
func (o *blockOpener) BlockKeys() []string              { return []string{"address"} }
func (o *blockOpener) DecodeBlock(r section.Reader) any { return nil }
func (o *blockOpener) Configure(_ context.Context, block any) error {
	o.configured = append(o.configured, block)
	return o.err
}
func (o *blockOpener) Close() error {
	o.closed++
	return o.err
}

func TestMuxConfigureAndClose(t *testing.T) {
	good, bad := &blockOpener{}, &blockOpener{err: driver.ErrPermission}
	m := secret.NewMux()
	m.Register("good", good)
	m.Register("bad", bad)
	m.Register("env", secret.OpenerFunc(func(context.Context, secret.Ref) (driver.Driver, error) { return nil, nil }))
	if c, ok := m.Configurer("good"); !ok || c != good {
		t.Error("Configurer does not find a provider with a block")
	}
	if _, ok := m.Configurer("env"); ok {
		t.Error("Configurer finds a provider without a block")
	}
	err := m.Configure(context.Background(), map[string]any{"good": "block"})
	if len(good.configured) != 1 || good.configured[0] != "block" {
		t.Errorf("good configured with %v, want its block", good.configured)
	}
	if len(bad.configured) != 1 || bad.configured[0] != nil {
		t.Errorf("bad configured with %v, want nil: the file has no block for it", bad.configured)
	}
	if !errors.Is(err, driver.ErrPermission) || !strings.Contains(err.Error(), "configure bad: ") ||
		strings.Contains(err.Error(), "configure good") {
		t.Errorf("Configure error = %v, want one naming bad", err)
	}
	err = m.Close()
	if good.closed != 1 || bad.closed != 1 {
		t.Errorf("closed good %d and bad %d times, want once each", good.closed, bad.closed)
	}
	if !errors.Is(err, driver.ErrPermission) || !strings.Contains(err.Error(), "close bad: ") {
		t.Errorf("Close error = %v, want one naming bad", err)
	}
}

func TestUses(t *testing.T) {
	tpl := "postgres://${secret:DB#username}:${secret:DB#password}@h/${secret:NAME}?x=${secret:bad-name}"
	uses := secret.Uses(tpl)
	want := []secret.Use{{Name: "DB", Field: "username"}, {Name: "DB", Field: "password"}, {Name: "NAME"}}
	if len(uses) != len(want) {
		t.Fatalf("Uses found %d placeholders, want %d", len(uses), len(want))
	}
	for i, u := range uses {
		if u.Name != want[i].Name || u.Field != want[i].Field || !strings.HasPrefix(tpl[u.Start:u.End], "${secret:") {
			t.Errorf("use %d = %+v, want %s#%s at its placeholder", i, u, want[i].Name, want[i].Field)
		}
	}
	if refs := secret.Refs(tpl); strings.Join(refs, ",") != "DB,NAME" {
		t.Errorf("Refs = %v, want DB, NAME once each", refs)
	}
}

func TestValueField(t *testing.T) {
	v := secret.NewValue([]byte(`{"password":"`+canaryKey+`","port":5432,"opts":{"a": 1},"none":null}`), secret.Meta{Version: "v7"})
	pw, err := v.Field("password")
	if err != nil || pw.RevealString() != canaryKey || pw.Meta().Version != "v7" {
		t.Errorf("password field: err %v, version %q; want the value with the document's version", err, pw.Meta().Version)
	}
	if port, _ := v.Field("port"); port.RevealString() != "5432" {
		t.Error("a number field is not its literal")
	}
	if opts, _ := v.Field("opts"); opts.RevealString() != `{"a":1}` {
		t.Error("an object field is not compact JSON")
	}
	for _, f := range []string{"none", "missing"} {
		_, err := v.Field(f)
		if !errors.Is(err, driver.ErrNotFound) || !strings.Contains(err.Error(), f) {
			t.Fatalf("field %s: want not found naming the field", f)
		}
		assertNoCanary(t, "error", err.Error())
	}
	notJSON := secret.NewValue([]byte(canaryKey), secret.Meta{})
	_, err = notJSON.Field("password")
	if !errors.Is(err, driver.ErrInvalid) {
		t.Fatal("field of a non-JSON value: want invalid")
	}
	assertNoCanary(t, "error", err.Error())
}
