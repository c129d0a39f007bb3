package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/secret/file/kubetest"
)

// scaleTableWorkers is how many clients drive each run of BenchmarkScaleTable.
const scaleTableWorkers = 16

// BenchmarkScaleTable is a measurement, not a CI test: N = 1, 2 and 4 replicas
// of the real binary, stateless over the shared PostgreSQL behind the
// round-robin proxy of TestScaleOut, driven by 16 workers for a few
// seconds each with one password rotation per run. It prints calls/s, the
// replicas' CPU per call, failed calls (there must be none) and the
// backend connections each replica holds, as pg_stat_activity sees them.
//
//	go test -run '^$' -bench ScaleTable -v ./cmd/hush/
//
// HUSH_SCALE_SECONDS sets the measured seconds per run (default 5).
func BenchmarkScaleTable(b *testing.B) {
	var t testing.TB = b
	dur := 5 * time.Second
	if s := os.Getenv("HUSH_SCALE_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 2 {
			t.Fatalf("HUSH_SCALE_SECONDS=%q: want a whole number of at least 2", s)
		}
		dur = time.Duration(n) * time.Second
	}
	bin := buildHush(t)
	rows := []string{
		"| replicas | calls/s | replica CPU µs/call | failed calls | swaps | backend connections per replica: peak (at end) |",
		"| ---: | ---: | ---: | ---: | ---: | --- |",
	}
	for _, n := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			rows = append(rows, scaleRun(b, bin, n, dur))
		})
	}
	t.Logf("%d workers, %s measured per run, one rotation per run:\n%s", scaleTableWorkers, dur, strings.Join(rows, "\n"))
}

// scaleRun measures n replicas for dur and returns the table row.
func scaleRun(t testing.TB, bin string, n int, dur time.Duration) string {
	pw, pw2 := fmt.Sprintf("canary-table-pw-%d-a-NOT-REAL", n), fmt.Sprintf("canary-table-pw-%d-b-NOT-REAL", n)
	app := newPGApp(t, "table", pw, itemsSetup...)
	dir := t.TempDir()
	mount := kubetest.NewMount(t, filepath.Join(dir, "db-credentials"), map[string]string{"password": pw})
	cfg := replicaConfig(t, dir, mount.Path("password"), app)
	reps := make([]*replica, n)
	for i := range reps {
		reps[i] = startReplica(t, bin, cfg)
	}
	lb := newBalancer(t, reps)
	waitUntil(t, "every replica ready", 20*time.Second, func() bool {
		for _, b := range lb.backends {
			if !b.ready.Load() {
				return false
			}
		}
		return true
	})

	seen := &lockedBuffer{}
	ld := startLoad(t, lb.url+"/mcp", seen, scaleTableWorkers, []string{pw, pw2})
	time.Sleep(time.Second) // warm-up, not measured

	conns := watchBackends(t, app.Role, reps)
	cpu0 := replicasCPU(t, reps)
	ok0, start := ld.ok.Load(), time.Now()

	// One rotation a third of the way in: ALTER ROLE, then the mount.
	time.Sleep(dur / 3)
	if err := pg.AlterPassword(context.Background(), app.Role, pw2); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	mount.Update(map[string]string{"password": pw2})
	waitUntil(t, "every replica to swap its pool", 20*time.Second, func() bool {
		for _, r := range reps {
			if !r.logged("source credentials swapped") {
				return false
			}
		}
		return true
	})
	if rest := dur - time.Since(start); rest > 0 {
		time.Sleep(rest)
	}
	calls, elapsed := ld.ok.Load()-ok0, time.Since(start)
	cpu := replicasCPU(t, reps) - cpu0
	peak, last := conns.stop()
	ld.halt()
	lb.stop()

	swaps := 0
	for _, r := range reps {
		swaps += len(logEntries(r.stderr.String(), "source credentials swapped"))
	}
	if f := ld.failed.Load(); f > 0 {
		t.Errorf("%d of %d calls failed; first: %s", f, f+ld.ok.Load(), *ld.firstErr.Load())
	}
	if e := lb.errors.Load(); e > 0 {
		t.Errorf("the proxy failed to reach a replica %d times", e)
	}
	for i, r := range reps {
		assertNoCanary(t, fmt.Sprintf("replica %d stderr", i), r.stderr.String(), pw, pw2)
	}
	assertNoCanary(t, "client traffic", seen.String(), pw, pw2)

	per := make([]string, n)
	for i := range per {
		per[i] = fmt.Sprintf("%d (%d)", peak[i], last[i])
	}
	row := fmt.Sprintf("| %d | %s | %d | %d | %d of %d | %s |", n,
		thousands(int64(float64(calls)/elapsed.Seconds())), cpu.Microseconds()/max(calls, 1),
		ld.failed.Load(), swaps, n, strings.Join(per, ", "))
	t.Log(row)
	return row
}

// load is a set of MCP clients calling the item tool in a loop, each with
// its own session, checking every result.
type load struct {
	ok, failed atomic.Int64
	firstErr   atomic.Pointer[string] // scrubbed
	stop       chan struct{}
	wg         sync.WaitGroup
}

func startLoad(t testing.TB, url string, seen *lockedBuffer, workers int, canaries []string) *load {
	ld := &load{stop: make(chan struct{})}
	check := &callers{}
	for w := range workers {
		cs := connectMCP(t, url, "", seen)
		ld.wg.Go(func() { ld.work(check, cs, w, canaries) })
	}
	t.Cleanup(ld.halt)
	return ld
}

func (ld *load) work(check *callers, cs *mcp.ClientSession, w int, canaries []string) {
	for i := int64(0); ; i++ {
		select {
		case <-ld.stop:
			return
		default:
		}
		id, n := (int64(w)+i)%16+1, int64(w)*1_000_000+i
		if err := check.call(cs, id, n); err != nil {
			ld.failed.Add(1)
			msg := scrub(fmt.Sprintf("worker %d call %d: %v", w, i, err), canaries...)
			ld.firstErr.CompareAndSwap(nil, &msg)
			continue
		}
		ld.ok.Add(1)
	}
}

func (ld *load) halt() {
	select {
	case <-ld.stop:
	default:
		close(ld.stop)
	}
	ld.wg.Wait()
}

// backendWatch samples, every 100 ms, how many PostgreSQL backends of a
// role each replica holds: pg_stat_activity's client_port matched to the
// local ports of each replica's sockets.
type backendWatch struct {
	done chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	peak []int
	last []int
}

func watchBackends(t testing.TB, role string, reps []*replica) *backendWatch {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg.AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	w := &backendWatch{done: make(chan struct{}), peak: make([]int, len(reps)), last: make([]int, len(reps))}
	sample := func() {
		rows, err := conn.Query(ctx, "SELECT client_port FROM pg_stat_activity WHERE usename = $1 AND client_port IS NOT NULL", role)
		if err != nil {
			return
		}
		ports, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return
		}
		owner := socketPorts(reps)
		counts := make([]int, len(reps))
		for _, p := range ports {
			if i, ok := owner[int(p)]; ok {
				counts[i]++
			}
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		for i, c := range counts {
			w.peak[i] = max(w.peak[i], c)
		}
		w.last = counts
	}
	w.wg.Go(func() {
		defer conn.Close(ctx)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			sample()
			select {
			case <-w.done:
				sample()
				return
			case <-tick.C:
			}
		}
	})
	return w
}

// stop ends the sampling and returns the peak and the last count per
// replica.
func (w *backendWatch) stop() (peak, last []int) {
	close(w.done)
	w.wg.Wait()
	return w.peak, w.last
}

// socketPorts maps the local TCP port of every socket each replica holds
// to the replica's index, from /proc/<pid>/fd and /proc/net/tcp{,6}.
func socketPorts(reps []*replica) map[int]int {
	inodeOwner := map[string]int{}
	for i, r := range reps {
		dir := fmt.Sprintf("/proc/%d/fd", r.cmd.Process.Pid)
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			link, err := os.Readlink(filepath.Join(dir, e.Name()))
			if inode, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
				inodeOwner[strings.TrimSuffix(inode, "]")] = i
			}
		}
	}
	out := map[int]int{}
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fs := strings.Fields(line)
			if len(fs) < 10 {
				continue
			}
			i, ok := inodeOwner[fs[9]]
			if !ok {
				continue
			}
			local := fs[1] // hex address:port
			port, err := strconv.ParseInt(local[strings.LastIndexByte(local, ':')+1:], 16, 32)
			if err == nil {
				out[int(port)] = i
			}
		}
	}
	return out
}

// replicasCPU sums the CPU time the replicas' processes have used.
func replicasCPU(t testing.TB, reps []*replica) time.Duration {
	t.Helper()
	var sum time.Duration
	for _, r := range reps {
		sum += procCPU(t, r.cmd.Process.Pid)
	}
	return sum
}

// thousands formats n with commas: 12,345.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
