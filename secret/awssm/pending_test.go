package awssm

import (
	"context"
	"testing"
	"time"
)

// TestPending checks that the AWSPENDING value is offered between
// createSecret and finishSecret, only after a refresh saw the label, and
// never once the rotation finished.
func TestPending(t *testing.T) {
	setEnv(t)
	e := newEnv(t, true, func(c *Config) { c.ForcedRefreshInterval = time.Nanosecond })
	e.srv.Put("db", canary("old"))
	d := e.open(t, "awssm://db")
	fetch(t, d)
	wantNoPending(t, d, "before the rotation")
	r := e.srv.StartRotation("db")
	if err := r.CreateSecret(canary("new")); err != nil {
		t.Fatal(err)
	}
	wantNoPending(t, d, "before a refresh saw AWSPENDING")
	checkValue(t, "forced fetch during the rotation", fetch(t, d).Data, canary("old"))
	snap, ok, err := d.Pending(context.Background())
	if err != nil || !ok {
		t.Fatalf("pending during the rotation: %v, %s", ok, safe(err))
	}
	checkValue(t, "pending value", snap.Data, canary("new"))
	if snap.Version != r.Token() {
		t.Errorf("pending version %q, want %q", snap.Version, r.Token())
	}
	if err := r.FinishSecret(); err != nil {
		t.Fatal(err)
	}
	checkValue(t, "forced fetch after the rotation", fetch(t, d).Data, canary("new"))
	wantNoPending(t, d, "after finishSecret")
	other := e.open(t, "awssm://db?stage=AWSPREVIOUS")
	fetch(t, other)
	wantNoPending(t, other, "a reference to another label")
}

func wantNoPending(t *testing.T, d *Driver, when string) {
	t.Helper()
	if _, ok, err := d.Pending(context.Background()); ok || err != nil {
		t.Errorf("%s: pending offered (%v) or failed: %s", when, ok, safe(err))
	}
}
