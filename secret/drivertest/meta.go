package drivertest

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
)

// testVersion checks that a provider's own version id, when it reports one,
// names the value: the same across fetches of one value, different after
// the value changed. A provider that leaves it empty always does (the store
// then fingerprints the value).
func testVersion(t *testing.T, h Harness) {
	h.Set(t, "DT_VERSION", canary("version-v1"))
	d := open(t, h, "DT_VERSION")
	first := mustFetch(t, d)
	if again := mustFetch(t, d); again.Version != first.Version {
		t.Errorf("version changed between two fetches of the same value (%q, %q)", first.Version, again.Version)
	}
	if !mutable(t, h) {
		return
	}
	h.Set(t, "DT_VERSION", canary("version-v2"))
	awaitValue(t, d, canary("version-v2"))
	next := mustFetch(t, d)
	switch {
	case (first.Version == "") != (next.Version == ""):
		t.Errorf("version reported for one value and not the other (%q, %q)", first.Version, next.Version)
	case first.Version != "" && first.Version == next.Version:
		t.Errorf("version %q kept after the value changed", first.Version)
	}
}

// testExpiresAt checks leases: a provider that leases reports an expiry in
// the future, no further away than its lease, that does not move back for
// one version; any other provider never reports one.
func testExpiresAt(t *testing.T, h Harness) {
	h.Set(t, "DT_LEASE", canary("lease"))
	d := open(t, h, "DT_LEASE")
	before := time.Now()
	first := mustFetch(t, d)
	lh, leases := h.(LeaseHarness)
	if !leases {
		if !first.ExpiresAt.IsZero() {
			t.Error("driver reports an expiry, but its harness does not implement LeaseHarness")
		}
		return
	}
	switch exp := first.ExpiresAt; {
	case exp.IsZero():
		t.Fatal("leasing driver reports no expiry")
	case !exp.After(before):
		t.Errorf("lease already over when fetched (%v ago)", before.Sub(exp))
	case exp.After(time.Now().Add(lh.LeaseTTL())):
		t.Errorf("lease ends %v from now, longer than the %v granted", time.Until(exp), lh.LeaseTTL())
	}
	again := mustFetch(t, d)
	if again.Version == first.Version && again.ExpiresAt.Before(first.ExpiresAt) {
		t.Errorf("lease of version %q moved back by %v", first.Version, first.ExpiresAt.Sub(again.ExpiresAt))
	}
}

// refMarker stands where a credential was misplaced in a reference.
const refMarker = "canary-ref-" + canaryMarker

// testReferenceValidation checks that the opener refuses bad references
// with driver.ErrInvalid, without echoing them, and opens a good one.
func testReferenceValidation(t *testing.T, h Harness) {
	rh, ok := h.(RefHarness)
	if !ok {
		t.Log("harness cannot open arbitrary references: nothing to check")
		return
	}
	h.Set(t, "DT_REF", canary("ref"))
	good := rh.Ref("DT_REF")
	d := openRef(t, rh, good)
	if d == nil {
		return
	}
	checkData(t, "fetch through Ref", mustFetch(t, d).Data, canary("ref"))
	bad := append(rh.BadRefs(refMarker), withParam(t, good, refMarker, "1"), withParam(t, good, "dt_unknown", refMarker))
	for _, ref := range bad {
		checkRefused(t, rh, ref)
	}
}

// openRef parses and opens ref, failing the test when either fails; it
// returns nil then.
func openRef(t *testing.T, rh RefHarness, ref string) driver.Driver {
	t.Helper()
	r, err := secret.ParseRef(ref)
	if err == nil {
		var d driver.Driver
		if d, err = rh.OpenRef(context.Background(), t, r); err == nil {
			closeAtEnd(t, d)
			return d
		}
	}
	checkNoLeak(t, err)
	t.Errorf("good reference refused: %s", safe(err))
	return nil
}

// checkRefused checks that ref is refused without an echo. A reference
// that does not even parse is the store's to report, not the opener's.
func checkRefused(t *testing.T, rh RefHarness, ref string) {
	t.Helper()
	r, err := secret.ParseRef(ref)
	if err != nil {
		checkNoLeak(t, err)
		return
	}
	d, err := rh.OpenRef(context.Background(), t, r)
	if err == nil {
		_ = d.Close()
		t.Errorf("bad reference accepted (%d chars, withheld)", len(ref))
		return
	}
	checkNoLeak(t, err)
	if !errors.Is(err, driver.ErrInvalid) {
		t.Errorf("bad reference refused with %s, want an error wrapping %q", safe(err), driver.ErrInvalid)
	}
}

// withParam returns ref with the query parameter key=value added.
func withParam(t *testing.T, ref, key, value string) string {
	t.Helper()
	u, err := url.Parse(ref)
	if err != nil {
		t.Fatalf("harness Ref is not a URL: %s", safe(err))
	}
	q := u.Query()
	q.Add(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}
