package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hushmcp/hush/secret/file/kubetest"
)

// Soak sizes: the number of successful calls TestSoak makes. CI runs
// without -short and gets the default; HUSH_SOAK_CALLS=50000 is the
// documented full run (under a minute on 2 cores).
const (
	soakDefaultCalls = 5000
	soakShortCalls   = 2000
	soakWarmup       = 800 // calls before the first sample
)

// How far a resource may grow between the sample after warm-up and the
// sample at the end before it counts as a leak. Generous: the point is to
// catch growth with the number of calls, not noise.
const (
	soakMaxGoroutines = 20
	soakMaxFDs        = 20
	soakMaxRSSKB      = 30 * 1024
)

// soakCalls returns how many calls TestSoak makes.
func soakCalls(t *testing.T) int64 {
	t.Helper()
	if s := os.Getenv("HUSH_SOAK_CALLS"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 2*soakWarmup {
			t.Fatalf("HUSH_SOAK_CALLS=%q: want a number of at least %d", s, 2*soakWarmup)
		}
		return n
	}
	if testing.Short() {
		return soakShortCalls
	}
	return soakDefaultCalls
}

// The real binary, in a process of its own, serves a SQL tool to eight
// workers while the database password is rotated three times (ALTER ROLE,
// then the Secret mount update). Its goroutines (from /metrics on a
// separate loopback listener), open files and RSS are sampled after
// warm-up and at the end: none of them grows with the number of calls,
// and no call fails. HUSH_SOAK_CALLS=50000 go test -run TestSoak -v
// ./cmd/hush/ is the full run.
func TestSoak(t *testing.T) {
	total := soakCalls(t)
	pws := rotationPasswords()
	app := newPGApp(t, "soak", pws[0], itemsSetup...)
	dir := t.TempDir()
	mount := kubetest.NewMount(t, filepath.Join(dir, "db-credentials"), map[string]string{"password": pws[0]})
	cfg := replicaConfig(t, dir, mount.Path("password"), app, "  metrics_listen: 127.0.0.1:0")
	r := startReplica(t, buildHush(t), cfg)
	var metricsAddr string
	waitUntil(t, "the metrics listener", 10*time.Second, func() bool {
		if e := logEntries(r.stderr.String(), "metrics listener"); len(e) > 0 {
			metricsAddr, _ = e[0]["addr"].(string)
		}
		return metricsAddr != ""
	})
	sample := func() soakSample { return takeSample(t, r.cmd.Process.Pid, metricsAddr) }

	seen := &lockedBuffer{}
	l := startCallers(t, "http://"+r.addr+"/mcp", seen, pws)
	l.waitTotal(t, soakWarmup)
	before := sample()

	// Three rotations spread over the run, then the rest of the calls.
	step := (total - soakWarmup) / (rotations + 1)
	for i := 1; i <= rotations; i++ {
		waitSoakCalls(t, l, soakWarmup+int64(i)*step)
		if err := pg.AlterPassword(context.Background(), app.Role, pws[i]); err != nil {
			t.Fatal(err)
		}
		l.waitCalls(t, callsBeforeUpdate)
		mount.Update(map[string]string{"password": pws[i]})
		waitUntil(t, fmt.Sprintf("swap %d", i), 20*time.Second, func() bool {
			return len(logEntries(r.stderr.String(), "source credentials swapped")) >= i || l.failed.Load() > 0
		})
	}
	waitSoakCalls(t, l, total)
	after := sample()
	l.finish(t)

	t.Logf("after warm-up (%d calls): %s", soakWarmup, before)
	t.Logf("at the end (%d calls):    %s", l.ok.Load(), after)
	if d := after.goroutines - before.goroutines; d > soakMaxGoroutines {
		t.Errorf("goroutines grew by %d (%d → %d), more than %d", d, before.goroutines, after.goroutines, soakMaxGoroutines)
	}
	if d := after.fds - before.fds; d > soakMaxFDs {
		t.Errorf("open files grew by %d (%d → %d), more than %d", d, before.fds, after.fds, soakMaxFDs)
	}
	if d := after.rssKB - before.rssKB; d > soakMaxRSSKB {
		t.Errorf("RSS grew by %d kB (%d → %d kB), more than %d kB", d, before.rssKB, after.rssKB, soakMaxRSSKB)
	}
	checkLogins(t, app, pws)
	checkRotationLog(t, r.stderr.String(), pws)
	assertNoCanary(t, "server stderr", r.stderr.String(), pws...)
	assertNoCanary(t, "client traffic", seen.String(), pws...)
}

// waitSoakCalls waits until n calls in all have succeeded. It fails when a
// call fails or when no call succeeds for 30 s, never on the total time.
func waitSoakCalls(t *testing.T, l *callers, n int64) {
	t.Helper()
	last, at := l.ok.Load(), time.Now()
	for l.ok.Load() < n && l.failed.Load() == 0 {
		if now := l.ok.Load(); now != last {
			last, at = now, time.Now()
		} else if time.Since(at) > 30*time.Second {
			t.Fatalf("no call succeeded for 30 s, at %d of %d calls", now, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// soakSample is what TestSoak watches of the server process.
type soakSample struct {
	goroutines int64
	fds        int64
	rssKB      int64
}

func (s soakSample) String() string {
	return fmt.Sprintf("%d goroutines, %d open files, RSS %.1f MB", s.goroutines, s.fds, float64(s.rssKB)/1024)
}

// takeSample reads each figure ten times, 20 ms apart, and keeps the
// least: the calls in flight come and go between reads, a leak stays.
func takeSample(t *testing.T, pid int, metricsAddr string) soakSample {
	t.Helper()
	var s soakSample
	for i := range 10 {
		g, f, r := scrapeGauge(t, metricsAddr, "go_goroutines"), procFDs(t, pid), procStatusKB(t, pid, "VmRSS")
		if i == 0 {
			s = soakSample{g, f, r}
		}
		s = soakSample{min(s.goroutines, g), min(s.fds, f), min(s.rssKB, r)}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// scrapeGauge reads one unlabelled gauge from /metrics at addr.
func scrapeGauge(t *testing.T, addr, name string) int64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			return int64(f)
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return 0
}

// procFDs counts the open file descriptors of process pid.
func procFDs(t *testing.T, pid int) int64 {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return int64(len(ents))
}

// procStatusKB reads a "kB" field (VmRSS, VmHWM) of /proc/<pid>/status.
func procStatusKB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", field, err)
			}
			return n
		}
	}
	t.Fatalf("/proc/%d/status has no %s", pid, field)
	return 0
}

// procCPU returns the user plus system CPU time process pid has used.
func procCPU(t testing.TB, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The command name may hold spaces; the fields after it are fixed.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14 of stat(5)
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	const ticks = 100                           // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks
}
