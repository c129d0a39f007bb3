package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/hushmcp/hush/internal/testutil/awssmtest"
)

// Refresh settings of the rotation test: short, so that a rotation is
// seen within a second, and so that the request bound below is tight
// enough to catch a client that asks per tool call.
const (
	smTTL   = time.Second
	smForce = 500 * time.Millisecond
)

// smRotationYAML takes its credentials from an RDS-style document in
// Secrets Manager.
func (e *smEnv) rotationYAML(app pgApp) string {
	return "server:\n  name: hush-awssm-rotation\n  transport: http\n" + e.block(smTTL.String(), smForce.String()) +
		"secrets:\n  DB: { from: \"awssm://prod/hush/db\", format: json, fields: [username, password, host, port] }\n" +
		"sources:\n  main:\n    kind: postgres\n" +
		fmt.Sprintf("    dsn: postgres://${secret:DB#username}:${secret:DB#password}@${secret:DB#host}:${secret:DB#port}/%s?sslmode=disable\n", app.DB) +
		"    max_conns: 4\n" + itemTool
}

// The password in Secrets Manager is rotated three times by the four
// steps of a rotation function (createSecret puts AWSPENDING, setSecret
// changes the PostgreSQL password, testSecret logs in with it, finishSecret
// moves AWSCURRENT) while eight MCP clients call a SQL tool: no call
// fails, the old passwords stop working, no password reaches any output,
// and Secrets Manager is asked no more than the refresh settings allow
// over the run, however many calls were made.
func TestAWSSMRotationUnderLoad(t *testing.T) {
	pws := rotationPasswords()
	e := newSMEnv(t)
	app := newItemsApp(t, "smrot", pws[0])
	e.srv.Put("prod/hush/db", rdsDoc(app.Role, pws[0], app.DB))
	start := time.Now()
	srv := startServe(t, "--config", hushYAML(t, e.dir, e.rotationYAML(app)))
	seen := &lockedBuffer{}
	l := startCallers(t, srv.URL, seen, pws)
	for i := 1; i <= rotations; i++ {
		l.waitCalls(t, callsBeforeAlter)
		smRotate(t, e.srv, "prod/hush/db", app, pws[i], func(role, pw string) []byte { return rdsDoc(role, pw, app.DB) }, func() {
			// The driver checks the label at least once while AWSPENDING
			// exists: the current value keeps serving.
			checked := e.srv.Count("DescribeSecret")
			l.waitCalls(t, callsBeforeUpdate)
			waitUntil(t, "a label check during the rotation", 10*time.Second, func() bool {
				return e.srv.Count("DescribeSecret") > checked || l.failed.Load() > 0
			})
		})
		waitUntil(t, fmt.Sprintf("swap %d", i), 20*time.Second, func() bool {
			return len(logEntries(srv.Stderr.String(), "source credentials swapped")) >= i || l.failed.Load() > 0
		})
	}
	l.waitEachWorker(t, callsAfterLast)
	l.waitTotal(t, minCalls)
	l.finish(t)
	elapsed := time.Since(start)

	checkSMRequests(t, e.srv, elapsed, l.ok.Load())
	checkLogins(t, app, pws)
	checkSMRotationLog(t, srv.Stderr.String())
	assertNoCanary(t, "server stderr", srv.Stderr.String(), append(pws, awssmtest.SecretAccessKey)...)
	assertNoCanary(t, "server stdout", srv.Stdout.String(), append(pws, awssmtest.SecretAccessKey)...)
	assertNoCanary(t, "client traffic", seen.String(), append(pws, awssmtest.SecretAccessKey)...)
}

// smRotate runs the four steps of a rotation of prod/hush/db to the
// document doc makes with password; between setSecret and finishSecret
// (PostgreSQL has the new password, AWSCURRENT still the old) it runs
// window, in which the old pool must keep serving.
func smRotate(t *testing.T, srv *awssmtest.Server, name string, app pgApp, password string,
	doc func(role, password string) []byte, window func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r := srv.StartRotation(name)
	steps := []func() error{
		func() error { return r.CreateSecret(doc(app.Role, password)) },
		func() error {
			return r.SetSecret(func(pending []byte) error {
				return pg.AlterPassword(ctx, app.Role, docPassword(pending))
			})
		},
		func() error {
			return r.TestSecret(func(pending []byte) error {
				return pgLogin(ctx, pg.DSN(app.Role, docPassword(pending), app.DB))
			})
		},
		func() error { window(); return r.FinishSecret() },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("rotation step %d: %s", i+1, scrub(err.Error(), password))
		}
	}
}

func docPassword(doc []byte) string {
	var d struct{ Password string }
	_ = json.Unmarshal(doc, &d)
	return d.Password
}

// checkSMRequests bounds the requests Secrets Manager saw over a run of
// elapsed with the settings of smRotationYAML, per the documented
// behaviour: DescribeSecret at most once per TTL/2 on schedule, plus at
// most one forced check per forced-refresh interval, plus the first;
// GetSecretValue once per version (the first and one per rotation), plus
// once per rotation for AWSPENDING should a rejected login ask for it. No
// fault is injected, so no retries.
func checkSMRequests(t *testing.T, srv *awssmtest.Server, elapsed time.Duration, calls int64) {
	t.Helper()
	periods := func(d time.Duration) int { return int(math.Ceil(float64(elapsed) / float64(d))) }
	maxDescribe := 1 + periods(smTTL/2) + periods(smForce)
	maxGet := 1 + 2*rotations
	describe, get, all := srv.Count("DescribeSecret"), srv.Count("GetSecretValue"), srv.Count(awssmtest.Requests)
	t.Logf("%d tool calls in %s; Secrets Manager: %d requests (%d DescribeSecret, bound %d; %d GetSecretValue, bound %d)",
		calls, elapsed.Round(time.Millisecond), all, describe, maxDescribe, get, maxGet)
	if describe > maxDescribe || get > maxGet || all != describe+get {
		t.Errorf("Secrets Manager saw %d requests (%d DescribeSecret, %d GetSecretValue), over the bound of %d and %d",
			all, describe, get, maxDescribe, maxGet)
	}
	if get < 1+rotations {
		t.Errorf("%d GetSecretValue requests, want at least one per version (%d)", get, 1+rotations)
	}
}

// checkSMRotationLog wants one "secret rotated" line per rotation, all for
// DB (none while only AWSPENDING had moved), and one credential swap per
// rotation, none failed.
func checkSMRotationLog(t *testing.T, logs string) {
	t.Helper()
	rotated := logEntries(logs, "secret rotated")
	if len(rotated) != rotations {
		t.Errorf("%d \"secret rotated\" log lines, want %d", len(rotated), rotations)
	}
	for _, e := range rotated {
		if e["secret"] != "DB" || e["source"] != "awssm" {
			t.Errorf("rotation logged for secret %v from %v, want DB from awssm", e["secret"], e["source"])
		}
	}
	if n := len(logEntries(logs, "source credentials swapped")); n != rotations {
		t.Errorf("%d credential swaps logged, want %d", n, rotations)
	}
	if n := len(logEntries(logs, "source credential swap")); n != 0 {
		t.Errorf("%d failed credential swaps logged, want none", n)
	}
}
