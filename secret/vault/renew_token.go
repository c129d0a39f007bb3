package vault

import (
	"context"
	"net/http"
	"time"

	"github.com/hushmcp/hush/secret/driver"
)

// stepTimeout bounds one renewal, lookup or login made by a loop.
const stepTimeout = 30 * time.Second

// run keeps the token alive until ctx ends: it looks up a token whose TTL
// is unknown, renews a renewable one at about two thirds of its life, and
// logs in again (login methods) when the token cannot be renewed, was
// capped at its max TTL, was refused, or expired.
func (a *authenticator) run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		a.mu.Lock()
		next := a.nextAt
		a.mu.Unlock()
		timer.Stop()
		var fire <-chan time.Time
		if !next.IsZero() {
			timer.Reset(max(time.Until(next), 0))
			fire = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-a.kick:
		case <-fire:
			a.step(ctx)
		}
	}
}

func (a *authenticator) step(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	a.mu.Lock()
	known, gen := a.known, a.gen
	relogin := a.loginMethod() && (!a.renewable || a.capped || a.expiredLocked(time.Now()))
	a.mu.Unlock()
	switch {
	case !known && !a.loginMethod():
		a.lookup(ctx, gen)
	case relogin:
		a.proactiveLogin(ctx, gen)
	default:
		a.renew(ctx, gen)
	}
}

// lookup learns the TTL of a token that was given, not logged in for.
func (a *authenticator) lookup(ctx context.Context, gen uint64) {
	sec, err := a.api.Auth().Token().LookupSelfWithContext(ctx)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gen != gen || (err != nil && ctx.Err() != nil) {
		return
	}
	if err != nil {
		err = classify("token lookup", "", err)
		a.nextAt = time.Now().Add(a.renewBO.next())
		a.log.Warn("vault token lookup", "error_class", driver.Class(err), "retry_at", a.nextAt)
		return
	}
	ttl, _ := sec.TokenTTL()
	renewable, _ := sec.TokenIsRenewable()
	a.renewBO.reset()
	a.learnLocked(ttl, renewable)
}

// renew extends the token by its original TTL. A grant smaller than asked
// means the max TTL is near; a 403 or 400 means the token is gone or not
// renewable; anything else is an outage, retried with backoff bounded by
// the token's remaining life.
func (a *authenticator) renew(ctx context.Context, gen uint64) {
	a.mu.Lock()
	asked := a.ttl
	a.mu.Unlock()
	sec, err := a.api.Auth().Token().RenewSelfWithContext(ctx, int(asked/time.Second))
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gen != gen {
		return
	}
	now := time.Now()
	switch status := statusOf(err); {
	case err == nil && sec != nil && sec.Auth != nil:
		a.renewed(now, asked, time.Duration(sec.Auth.LeaseDuration)*time.Second)
	case status == http.StatusForbidden || status == http.StatusBadRequest:
		a.capped, a.nextAt = true, now
		if !a.loginMethod() {
			a.nextAt = time.Time{}
		}
		a.log.Warn("vault token renewal refused", "status", status)
	default:
		a.renewFailedLocked(now, classify("token renew", "", err))
	}
}

func (a *authenticator) renewed(now time.Time, asked, granted time.Duration) {
	a.renewBO.reset()
	a.expires = now.Add(granted)
	a.capped = granted < asked
	switch {
	case a.capped && a.loginMethod():
		a.nextAt = now
	case a.capped:
		// A given token at its max TTL cannot be extended; renewing
		// again would only ask more and more often.
		a.nextAt = time.Time{}
		a.log.Warn("vault token reached its max ttl and will expire", "expires", a.expires)
	case granted > 0:
		a.nextAt = now.Add(renewDelay(granted))
	default:
		a.nextAt = time.Time{}
	}
}

func (a *authenticator) renewFailedLocked(now time.Time, err error) {
	left := a.expires.Sub(now)
	switch {
	case left > 0:
		a.nextAt = now.Add(max(min(a.renewBO.next(), left/2), minDelay))
	case a.loginMethod():
		a.nextAt = now // expired: log in again, under the login backoff
	default:
		a.nextAt = time.Time{}
	}
	a.log.Warn("vault token renewal", "error_class", driver.Class(err), "retry_at", a.nextAt)
}

// proactiveLogin replaces the token before it runs out.
func (a *authenticator) proactiveLogin(ctx context.Context, gen uint64) {
	if _, err := a.relogin(ctx, gen); err == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.gen == gen {
		a.nextAt = maxTime(a.retryAt, time.Now().Add(minDelay))
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
