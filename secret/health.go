package secret

import (
	"fmt"
	"time"
)

// Status is a declared secret's state.
type Status string

// Secret states, as reported by Store.Health and the health_check tool.
const (
	StatusOK       Status = "ok"       // current value fetched and valid
	StatusDegraded Status = "degraded" // serving the last good value; the provider is failing
	StatusMissing  Status = "missing"  // no value (an optional secret that is absent, or never fetched)
	StatusInvalid  Status = "invalid"  // a value was fetched but fails its rules
	StatusExpired  Status = "expired"  // the lease or expiry time has passed
)

// Health is one secret's printable state. It holds no part of the value.
type Health struct {
	Name        string
	Source      string // scheme of the reference that served the value: "env", "file", ...
	Served      string // a from: list's reference that served the value (Ref.String: no userinfo); empty for a single reference or no value
	Status      Status
	Length      int
	Version     string
	FetchedAt   time.Time // when the current value was read; zero if none
	LastRefresh time.Time // last fetch attempt, successful or not
	ExpiresAt   time.Time // zero when not leased
	LastError   string    // error class of the last failure (driver.Class); empty if none
	// LeaseState and RenewalFailing come from a driver.LeaseReporter: a
	// lease whose renewals fail makes the secret degraded while its value
	// is still valid, so health shows the trouble before the expiry does.
	LeaseState     string
	RenewalFailing bool
	// LastOK is the last successful fetch, whether or not the value
	// changed; zero if none. Failures counts failed fetches since Open by
	// error class ("invalid" for a value refused by its rules).
	LastOK   time.Time
	Failures map[string]uint64
}

// Age is how long ago the current value was fetched, as of now.
func (h Health) Age(now time.Time) time.Duration {
	if h.FetchedAt.IsZero() {
		return 0
	}
	return now.Sub(h.FetchedAt)
}

// Event tells subscribers that a secret changed. Events are signals: read the
// current value with Store.Get. Its printable forms hold no value.
type Event struct {
	Name string
	Old  Meta // zero when the secret had no value before
	New  Meta
}

func (e Event) String() string {
	return fmt.Sprintf("secret %s changed: version %s -> %s (%d chars)", e.Name, e.Old.Version, e.New.Version, e.New.Length)
}
