package awssm

import (
	"context"
	"fmt"
	"testing"
	"testing/synctest"
	"time"

	"github.com/hushmcp/hush/internal/testutil/awssmtest"
	"github.com/hushmcp/hush/secret"
)

// counts is the number of DescribeSecret and GetSecretValue requests.
type counts struct{ describe, get int }

func wantCounts(t testing.TB, srv *awssmtest.Server, when string, want counts) {
	t.Helper()
	got := counts{srv.Count("DescribeSecret"), srv.Count("GetSecretValue")}
	if got != want {
		t.Errorf("%s: %d DescribeSecret and %d GetSecretValue requests, want %d and %d",
			when, got.describe, got.get, want.describe, want.get)
	}
}

// signalled reports whether d has a change signal waiting.
func signalled(d *Driver) bool {
	select {
	case <-d.Changes():
		return true
	default:
		return false
	}
}

// awaitSignal advances the bubble's clock a minute at a time, up to
// limit, until d signals.
func awaitSignal(d *Driver, limit time.Duration) bool {
	for waited := time.Duration(0); waited <= limit; waited += time.Minute {
		if signalled(d) {
			return true
		}
		time.Sleep(time.Minute)
		synctest.Wait()
	}
	return false
}

// TestRefreshWithinTTL checks the schedule of AWS's caching client: the
// label is checked again at a random point in [TTL/2, TTL); a new version
// is read once, by id, signalled, and then served without a request.
func TestRefreshWithinTTL(t *testing.T) {
	setEnv(t)
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, true, nil)
		e.srv.Put("app", canary("v1"))
		d := e.open(t, "awssm://app")
		checkValue(t, "first fetch", fetch(t, d).Data, canary("v1"))
		wantCounts(t, e.srv, "after the first fetch", counts{1, 1})
		time.Sleep(DefaultRefreshTTL/2 - time.Nanosecond)
		synctest.Wait()
		wantCounts(t, e.srv, "before TTL/2", counts{1, 1})
		time.Sleep(DefaultRefreshTTL / 2)
		synctest.Wait()
		wantCounts(t, e.srv, "before TTL", counts{2, 1})
		if signalled(d) {
			t.Error("signal although the label did not move")
		}
		v2 := e.srv.Put("app", canary("v2"))
		if !awaitSignal(d, DefaultRefreshTTL) {
			t.Fatal("no signal within a TTL after the label moved")
		}
		wantCounts(t, e.srv, "after the label moved", counts{3, 2})
		snap := fetch(t, d)
		checkValue(t, "fetch after the signal", snap.Data, canary("v2"))
		if snap.Version != v2 {
			t.Errorf("version %q, want %q", snap.Version, v2)
		}
		wantCounts(t, e.srv, "fetch after the signal", counts{3, 2})
	})
}

// TestCachedByVersion checks that a label moving back to a version read
// before costs no GetSecretValue: values by version id never change.
func TestCachedByVersion(t *testing.T) {
	setEnv(t)
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, true, nil)
		v1 := e.srv.Put("app", canary("v1"))
		d := e.open(t, "awssm://app?stage=AWSCURRENT")
		fetch(t, d)
		e.srv.Put("app", canary("v2"))
		time.Sleep(DefaultRefreshTTL)
		synctest.Wait()
		checkValue(t, "v2", fetch(t, d).Data, canary("v2"))
		// Roll back: AWSCURRENT returns to v1, as an operator would move it.
		if err := e.srv.MoveStage("app", awssmtest.Current, v1); err != nil {
			t.Fatal(err)
		}
		time.Sleep(DefaultRefreshTTL)
		synctest.Wait()
		checkValue(t, "rolled back", fetch(t, d).Data, canary("v1"))
		if n := e.srv.Count("GetSecretValue"); n != 2 {
			t.Errorf("%d GetSecretValue requests for two versions, want 2", n)
		}
	})
}

// TestStaleOnError checks that a failing refresh leaves the store serving
// the last good value with the secret degraded, and that recovery is
// noticed without anyone asking.
func TestStaleOnError(t *testing.T) {
	setEnv(t)
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, true, nil)
		e.srv.Put("db", canary("good"))
		s := e.store(t, secret.Decl{Name: "DB", From: "awssm://db"})
		for _, kind := range []string{awssmtest.Throttle, awssmtest.Internal, awssmtest.AccessDenied, awssmtest.Down} {
			e.srv.SetFault(awssmtest.Fault{Kind: kind})
			time.Sleep(DefaultRefreshTTL)
			synctest.Wait()
			wantHealth(t, s, kind, secret.StatusDegraded)
			v, _ := s.Get("DB")
			checkValue(t, "stale value during "+kind, v.Reveal(), canary("good"))
			e.srv.SetFault(awssmtest.Fault{})
			time.Sleep(retryMax)
			synctest.Wait()
			wantHealth(t, s, "recovery from "+kind, secret.StatusOK)
		}
	})
}

func wantHealth(t testing.TB, s *secret.Store, when string, want secret.Status) {
	t.Helper()
	for _, h := range s.Health() {
		if h.Status != want {
			t.Errorf("%s: secret %s is %s (%s), want %s", when, h.Name, h.Status, h.LastError, want)
		}
	}
}

// TestForcedRefresh checks that the store's Refresh (a consumer saw its
// credential rejected) reads the label at once, that a second force within
// the interval sends nothing and waits for nothing, and that the driver
// carries it out when the interval ends.
func TestForcedRefresh(t *testing.T) {
	setEnv(t)
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, true, nil)
		e.srv.Put("db", canary("v1"))
		s := e.store(t, secret.Decl{Name: "DB", From: "awssm://db"})
		e.srv.ResetCounts()
		e.srv.Put("db", canary("v2"))
		if err := s.Refresh(context.Background(), "DB"); err != nil {
			t.Fatalf("refresh: %s", safe(err))
		}
		wantValue(t, s, "after a forced refresh", canary("v2"))
		wantCounts(t, e.srv, "forced refresh", counts{1, 1})
		e.srv.Put("db", canary("v3"))
		start := time.Now()
		if err := s.Refresh(context.Background(), "DB"); err != nil {
			t.Fatalf("second refresh: %s", safe(err))
		}
		if time.Since(start) != 0 {
			t.Error("a rate-limited refresh waited")
		}
		wantValue(t, s, "within the interval", canary("v2"))
		wantCounts(t, e.srv, "within the interval", counts{1, 1})
		time.Sleep(DefaultForcedRefreshInterval)
		synctest.Wait()
		wantValue(t, s, "after the interval", canary("v3"))
		wantCounts(t, e.srv, "after the interval", counts{2, 2})
	})
}

func wantValue(t testing.TB, s *secret.Store, when string, want []byte) {
	t.Helper()
	v, ok := s.Get("DB")
	if !ok {
		t.Fatalf("%s: no value", when)
	}
	checkValue(t, when, v.Reveal(), want)
}

// TestRotationFollowed walks the four rotation steps under a running
// store: while AWSPENDING exists the current value keeps serving and no
// change is published, however many refreshes pass; after finishSecret
// the store publishes the new version.
func TestRotationFollowed(t *testing.T) {
	setEnv(t)
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, true, nil)
		e.srv.Put("prod/db", rdsDoc("old", "5432"))
		s := e.store(t, secret.Decl{Name: "DB", From: "awssm://prod/db#password"})
		events, stop := s.Subscribe("DB")
		defer stop()
		r := e.srv.StartRotation("prod/db")
		if err := r.CreateSecret(rdsDoc("new", "5432")); err != nil {
			t.Fatal(err)
		}
		if err := r.SetSecret(nil); err != nil {
			t.Fatal(err)
		}
		if err := r.TestSecret(nil); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * DefaultRefreshTTL)
		synctest.Wait()
		if n := e.srv.Count("DescribeSecret"); n < 4 {
			t.Errorf("%d DescribeSecret requests in three TTLs, want at least 4", n)
		}
		if len(events) != 0 {
			t.Error("a change was published while AWSCURRENT had not moved")
		}
		wantValue(t, s, "during AWSPENDING", canary("old"))
		if err := r.FinishSecret(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(DefaultRefreshTTL)
		synctest.Wait()
		select {
		case ev := <-events:
			if ev.New.Version != r.Token() {
				t.Errorf("published version %q, want the rotation's %q", ev.New.Version, r.Token())
			}
		default:
			t.Fatal("no change published after finishSecret")
		}
		wantValue(t, s, "after finishSecret", canary("new"))
	})
}

// rdsDoc is an RDS-style secret whose password is canary(tag); port is
// written as given (a JSON number, or a string when quoted).
func rdsDoc(tag, port string) []byte {
	return []byte(`{"engine":"postgres","host":"db.internal","username":"app","password":"` +
		string(canary(tag)) + `","dbname":"app","port":` + port + `}`)
}

func TestRefreshDelay(t *testing.T) {
	for _, ttl := range []time.Duration{time.Hour, time.Second, 3} {
		for range 1000 {
			if d := refreshDelay(ttl); d < ttl/2 || d >= ttl {
				t.Fatalf("refreshDelay(%v) = %v, want within [%v, %v)", ttl, d, ttl/2, ttl)
			}
		}
	}
	prev := time.Duration(0)
	for n := 1; n < 20; n++ {
		d := retryDelay(n, time.Hour)
		if d > retryMax || d < prev/4 {
			t.Fatalf("retryDelay(%d) = %v after %v", n, d, prev)
		}
		prev = d
	}
}

// TestFirstFetchTimeout checks that a first fetch cut short by its
// deadline is retried by the driver, which signals when the value arrives:
// the store waits for that signal before polling a watcher.
func TestFirstFetchTimeout(t *testing.T) {
	setEnv(t)
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, true, nil)
		e.srv.Put("slow", canary("slow"))
		e.srv.SetFault(awssmtest.Fault{Delay: time.Minute})
		d := e.open(t, "awssm://slow")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := d.Fetch(ctx)
		checkError(t, err, "timeout")
		e.srv.SetFault(awssmtest.Fault{})
		if !awaitSignal(d, retryMax) {
			t.Fatal("no signal after the endpoint answered again")
		}
		checkValue(t, "value after the retry", fetch(t, d).Data, canary("slow"))
	})
}

// TestRequestBudget bounds the requests a secret costs: about two
// DescribeSecret per TTL, one per forced-refresh interval while consumers
// keep reporting a rejected credential, and one GetSecretValue per
// version, however often the value is read.
func TestRequestBudget(t *testing.T) {
	setEnv(t)
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, true, nil)
		e.srv.Put("db", canary("v0"))
		s := e.store(t, secret.Decl{Name: "DB", From: "awssm://db"})
		const hours, storm = 10, time.Minute
		for i := range 3 {
			if err := e.srv.Rotate("db", canary(fmt.Sprint("v", i+1)), nil, nil); err != nil {
				t.Fatal(err)
			}
			for start := time.Now(); time.Since(start) < storm; time.Sleep(100 * time.Millisecond) {
				_ = s.Refresh(context.Background(), "DB") // eight workers' worth of rejections
				for range 1000 {
					s.Get("DB") // tool calls
				}
			}
			time.Sleep(time.Duration(hours/3) * time.Hour)
			synctest.Wait()
		}
		wantValue(t, s, "after three rotations", canary("v3"))
		forced := 3 * int(storm/DefaultForcedRefreshInterval+1)
		if n, most := e.srv.Count("DescribeSecret"), 1+2*hours+forced; n > most {
			t.Errorf("%d DescribeSecret requests, want at most %d", n, most)
		}
		if n := e.srv.Count("GetSecretValue"); n != 4 {
			t.Errorf("%d GetSecretValue requests for four versions, want 4", n)
		}
	})
}
