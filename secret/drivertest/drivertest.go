// Package drivertest is the conformance suite every secret provider passes.
//
// A provider's test implements Harness over its own storage (a map for env,
// a temporary directory for file, a test server for vault) and calls
// RunConformance. The suite checks the contract written in package
// secret/driver: error codes, whole-value round trips, change signals,
// Close semantics, concurrent use, versions, leases and reference
// validation. Every value it uses is a fake canary, and every error it sees
// is checked for not containing one.
package drivertest

import (
	"context"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
)

// Harness gives the suite access to one provider's storage. Names passed to
// it are short, unique per case and match [A-Z][A-Z0-9_]*, so they are valid
// environment variable names, file names and key paths.
//
// Methods are called from the test goroutine of the case that passes t; they
// report setup failures with t.Fatal.
type Harness interface {
	// Open opens a driver for the secret called name through the
	// provider's own Opener, as the store would. The suite closes it.
	Open(ctx context.Context, t testing.TB, name string) (driver.Driver, error)
	// Set stores value under name, creating the secret if needed.
	Set(t testing.TB, name string, value []byte)
	// Delete removes the secret called name.
	Delete(t testing.TB, name string)
	// Mutable reports whether Set and Delete after Open are visible to an
	// open driver. When false, cases that change a secret after Open pass
	// with a log line.
	Mutable() bool
}

// ErrorForcer is implemented by harnesses that can make a provider fail for
// a reason other than absence (an unreadable file, a server error), so that
// the suite can check error reporting and recovery. Harnesses without it
// pass the recovery case with a log line.
type ErrorForcer interface {
	// ForceError makes fetching name fail until Recover is called.
	ForceError(t testing.TB, name string)
	// Recover undoes ForceError; the previous value is readable again.
	Recover(t testing.TB, name string)
}

// LeaseHarness is implemented by harnesses whose provider hands out leased
// values (Snapshot.ExpiresAt set). A harness without it promises that the
// provider never reports an expiry.
type LeaseHarness interface {
	// LeaseTTL is the longest lease the provider grants a fresh value.
	LeaseTTL() time.Duration
}

// RefHarness is implemented by harnesses that can open any reference
// through the provider's Opener, so that the suite can check that bad
// references are refused with driver.ErrInvalid by messages that never
// echo them. Harnesses without it pass that case with a log line.
type RefHarness interface {
	// Ref returns a valid reference to the secret called name.
	Ref(name string) string
	// OpenRef opens ref through the provider's Opener, as the store would.
	OpenRef(ctx context.Context, t testing.TB, ref secret.Ref) (driver.Driver, error)
	// BadRefs returns references the provider must refuse, each with
	// marker (a fake credential) where a credential could be misplaced:
	// the host, the path, a query parameter. The suite adds unknown query
	// parameters to Ref's reference itself.
	BadRefs(marker string) []string
}

// RunConformance runs every conformance case against h as subtests of t.
func RunConformance(t *testing.T, h Harness) {
	cases := []struct {
		name string
		run  func(*testing.T, Harness)
	}{
		{"Missing", testMissing},
		{"RoundTrip", testRoundTrip},
		{"JSONDocument", testJSONDocument},
		{"CanceledContext", testCanceledContext},
		{"Update", testUpdate},
		{"Delete", testDelete},
		{"ErrorThenRecovery", testErrorThenRecovery},
		{"Close", testClose},
		{"ConcurrentFetch", testConcurrentFetch},
		{"FetchDuringClose", testFetchDuringClose},
		{"Version", testVersion},
		{"ExpiresAt", testExpiresAt},
		{"ReferenceValidation", testReferenceValidation},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, h) })
	}
}
