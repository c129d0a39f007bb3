package vault

import (
	"context"
	"errors"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/hushmcp/hush/secret/driver"
)

// LeaseState is where a held lease is in its life.
type LeaseState string

// Lease states. Expiring and Replacing are planned; Renewing means renewal
// is failing and being retried.
const (
	LeaseValid     LeaseState = "valid"     // renewal scheduled
	LeaseRenewing  LeaseState = "renewing"  // renewal failing, retried with backoff
	LeaseExpiring  LeaseState = "expiring"  // not renewable: replaced at 85-95% of its life
	LeaseReplacing LeaseState = "replacing" // new credentials asked of the store
	LeaseExpired   LeaseState = "expired"   // past its expiry, not yet replaced
)

// lease is one set of leased credentials. Fields after gen are guarded by
// the driver's mu.
type lease struct {
	id        string
	data      []byte
	renewable bool
	ttl       time.Duration // first grant: the increment asked at each renewal
	margin    time.Duration // replace when less than this is left
	gen       uint64        // token generation that obtained it

	expires time.Time
	checked time.Time // when Vault last confirmed it
	state   LeaseState
	replace bool // new credentials wanted: Fetch obtains them
	nextAt  time.Time
	bo      backoff
}

func newLease(sec *api.Secret, data []byte, gen uint64, now time.Time) *lease {
	ttl := time.Duration(sec.LeaseDuration) * time.Second
	l := &lease{
		id: sec.LeaseID, data: data, renewable: sec.Renewable, ttl: ttl, gen: gen,
		margin: fraction(ttl, 0.05, 0.15), expires: now.Add(ttl), checked: now, bo: newBackoff(renewBackoffMin),
	}
	if l.renewable {
		l.state, l.nextAt = LeaseValid, now.Add(renewDelay(ttl))
	} else {
		l.state, l.nextAt = LeaseExpiring, l.expires.Add(-l.margin)
	}
	return l
}

func (l *lease) snapshot() driver.Snapshot {
	return driver.Snapshot{Data: append([]byte(nil), l.data...), Version: l.id, ExpiresAt: l.expires}
}

// held returns the held lease's snapshot while it needs no replacing. A
// lease inside its safety margin is replaced by this fetch even before the
// loop says so: the store refreshes leased values near their expiry.
//
// A lease Vault has not confirmed for verifyAfter is looked up first: a
// source whose login was refused asks the store to re-read, and a lease
// revoked behind our back must then be replaced, not served again. If Vault
// cannot be asked, the held lease is served: it is still the best we have.
func (d *Driver) held(ctx context.Context) (driver.Snapshot, bool) {
	d.mu.Lock()
	l := d.cur
	if l == nil || l.replace || l.expires.Sub(time.Now()) <= l.margin {
		d.mu.Unlock()
		return driver.Snapshot{}, false
	}
	snap, fresh := l.snapshot(), time.Since(l.checked) < verifyAfter
	d.mu.Unlock()
	if fresh {
		return snap, true
	}
	_, err := d.c.lookupLease(ctx, l.id)
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case err == nil:
		l.checked = time.Now()
	case errors.Is(err, driver.ErrInvalid) || errors.Is(err, driver.ErrNotFound):
		d.replaceLocked(l, LeaseReplacing, "lease gone")
		return driver.Snapshot{}, false
	}
	return snap, true
}

// verifyAfter is how long a lease counts as confirmed after Vault last
// granted, renewed or looked it up.
const verifyAfter = 30 * time.Second

// hold makes l the held lease; the one it replaces waits for Release.
func (d *Driver) hold(l *lease) {
	d.mu.Lock()
	if old := d.cur; old != nil {
		d.retired[old.id] = old
	}
	d.cur = l
	d.mu.Unlock()
	d.wake()
	d.c.log.Info("vault lease obtained", "path", d.t.String(), "lease", l.id, "ttl", l.ttl, "renewable", l.renewable)
}

// run is the driver's loop: KV refresh signals, lease renewal and
// replacement, and the reaction to a new login.
func (d *Driver) run() {
	defer close(d.loopDone)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		_, relogged := d.c.auth.changed()
		wait, ok := d.plan(time.Now())
		timer.Stop()
		var fire <-chan time.Time
		if ok {
			timer.Reset(wait)
			fire = timer.C
		}
		select {
		case <-d.ctx.Done():
			return
		case <-d.kick:
		case <-relogged:
			d.onLogin()
		case <-fire:
			d.step()
		}
	}
}

// plan returns how long to wait before the next step, or false for "until
// something happens".
func (d *Driver) plan(now time.Time) (time.Duration, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.cur
	switch {
	case l == nil && d.Static():
		return 0, false
	case l == nil:
		return fraction(d.c.cfg.KVRefresh, 0.9, 1.1), true
	case l.state == LeaseExpired:
		return 0, false
	case l.replace:
		return max(l.expires.Sub(now), 0), true // then mark it expired
	}
	return max(l.nextAt.Sub(now), 0), true
}

func (d *Driver) step() {
	d.mu.Lock()
	l, now := d.cur, time.Now()
	switch {
	case l == nil:
		failed := d.failed
		d.mu.Unlock()
		// KV refresh: the store re-reads. After a failed read the store
		// is already retrying with backoff; a signal would restart it.
		if !failed {
			d.signal()
		}
		return
	case !now.Before(l.expires):
		d.replaceLocked(l, LeaseExpired, "expired")
	case l.replace:
	case !l.renewable || l.expires.Sub(now) <= l.margin:
		d.replaceLocked(l, LeaseReplacing, "end of life")
	default:
		d.mu.Unlock()
		d.renew(l)
		return
	}
	d.mu.Unlock()
}

// replaceLocked asks the store for new credentials. Callers hold d.mu.
func (d *Driver) replaceLocked(l *lease, state LeaseState, why string) {
	if l.replace && l.state == state {
		return
	}
	l.state, l.replace = state, true
	d.signal()
	d.c.log.Info("vault lease replacing", "path", d.t.String(), "lease", l.id, "reason", why, "expires", l.expires)
}

// renew extends l by its original TTL, never after it expired. A smaller
// grant means the max TTL is near: replace now, while the old credentials
// still work. A refused renewal (the lease is gone) replaces at once; an
// outage is retried with backoff bounded by what is left before the margin.
func (d *Driver) renew(l *lease) {
	ctx, cancel := context.WithTimeout(d.ctx, stepTimeout)
	defer cancel()
	sent := time.Now() // the renewal's clock starts at Vault, before the answer returns
	sec, err := d.c.renewLease(ctx, l.id, l.ttl)
	d.mu.Lock()
	defer d.mu.Unlock()
	now := time.Now()
	switch {
	case d.cur != l || errors.Is(err, context.Canceled):
	case err == nil && sec != nil:
		d.renewedLocked(l, sent, time.Duration(sec.LeaseDuration)*time.Second)
	case errors.Is(err, driver.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded):
		d.renewFailedLocked(l, now, err)
	default:
		d.replaceLocked(l, LeaseReplacing, "renewal refused: "+driver.Class(err))
	}
}

func (d *Driver) renewedLocked(l *lease, now time.Time, granted time.Duration) {
	l.expires, l.state, l.checked = now.Add(granted), LeaseValid, now
	l.bo.reset()
	if granted < l.ttl || granted <= l.margin {
		d.replaceLocked(l, LeaseReplacing, "max ttl reached")
		return
	}
	l.nextAt = now.Add(renewDelay(granted))
	d.signal() // the store learns the later ExpiresAt
}

func (d *Driver) renewFailedLocked(l *lease, now time.Time, err error) {
	left := l.expires.Sub(now) - l.margin
	if left <= 0 {
		d.replaceLocked(l, LeaseReplacing, "renewal failing near expiry")
		return
	}
	l.state = LeaseRenewing
	l.nextAt = now.Add(max(min(l.bo.next(), left), minDelay))
	d.c.log.Warn("vault lease renewal", "path", d.t.String(), "lease", l.id,
		"error_class", driver.Class(err), "retry_at", l.nextAt, "expires", l.expires)
}

// onLogin replaces a lease obtained under an older token: Vault revokes a
// token's leases with it.
func (d *Driver) onLogin() {
	gen, _ := d.c.auth.changed()
	d.mu.Lock()
	defer d.mu.Unlock()
	if l := d.cur; l != nil && l.gen < gen {
		d.replaceLocked(l, LeaseReplacing, "new login")
	}
}

// Release revokes a replaced lease that no source uses any more. It
// returns at once; Close waits for the revocation.
func (d *Driver) Release(version string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.retired[version]
	if l == nil || d.closed {
		return
	}
	delete(d.retired, version)
	d.wg.Add(1) // under mu, so Close (which sets closed under mu) waits for it
	go func() {
		defer d.wg.Done()
		d.revoke(l, "released")
	}()
}

func (d *Driver) revoke(l *lease, why string) {
	ctx, cancel := context.WithTimeout(context.Background(), revokeTimeout)
	defer cancel()
	if err := d.c.revokeLease(ctx, l.id); err != nil {
		d.c.log.Warn("vault lease revoke", "path", d.t.String(), "lease", l.id, "error_class", driver.Class(err))
		return
	}
	d.c.log.Info("vault lease revoked", "path", d.t.String(), "lease", l.id, "reason", why)
}

// revokeNow revokes a lease obtained while the driver was closing.
func (d *Driver) revokeNow(l *lease) {
	if l != nil {
		d.revoke(l, "closed")
	}
}

// revokeHeld revokes every lease still held, at Close.
func (d *Driver) revokeHeld() {
	d.mu.Lock()
	leases := make([]*lease, 0, len(d.retired)+1)
	for _, l := range d.retired {
		leases = append(leases, l)
	}
	if d.cur != nil {
		leases = append(leases, d.cur)
	}
	d.retired, d.cur = map[string]*lease{}, nil
	d.mu.Unlock()
	if !d.c.cfg.RevokeOnShutdown {
		return
	}
	for _, l := range leases {
		if time.Now().Before(l.expires) {
			d.revoke(l, "shutdown")
		}
	}
}

// Status describes the held lease, for health reports and tests.
type Status struct {
	LeaseID        string     // empty for a KV secret
	State          LeaseState // empty for a KV secret
	ExpiresAt      time.Time
	RenewalFailing bool // true while renewals fail (not a planned replacement)
}

// LeaseStatus reports the held lease's state and whether renewals are
// failing, for a health report that tells "expiring as planned" from
// "renewal failing". Both are empty/false for a KV secret.
func (d *Driver) LeaseStatus() (state string, renewalFailing bool) {
	st := d.Status()
	return string(st.State), st.RenewalFailing
}

// Status reports the held lease.
func (d *Driver) Status() Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := d.cur
	if l == nil {
		return Status{}
	}
	state := l.state
	if state != LeaseExpired && !time.Now().Before(l.expires) {
		state = LeaseExpired
	}
	return Status{LeaseID: l.id, State: state, ExpiresAt: l.expires, RenewalFailing: l.bo.failing()}
}
