package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/hushmcp/hush/internal/testutil/pgtest"
)

// customers is how many rows the benchmark table holds; calls pick one at
// random by e-mail.
const customers = 10000

// Result is one row of the report: one server, one backend, one mode, one
// worker count.
type Result struct {
	Server       string  `json:"server"` // "hush" or "floor"
	Backend      string  `json:"backend"`
	Mode         string  `json:"mode"` // "session" or "stateless"
	Workers      int     `json:"workers"`
	Calls        int     `json:"calls"`
	Errors       int     `json:"errors"`
	CallsPerSec  float64 `json:"calls_per_sec"`
	P50us        float64 `json:"p50_us"`
	P99us        float64 `json:"p99_us"`
	CPUPerCallUs float64 `json:"cpu_per_call_us"`
	RSSIdleMB    float64 `json:"rss_idle_mb"`
	RSSAfterMB   float64 `json:"rss_after_mb"`
}

func measureAll(ctx context.Context, o options, log io.Writer) ([]Result, error) {
	dir, err := os.MkdirTemp("", "hush-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin, err := buildHush(ctx, dir)
	if err != nil {
		return nil, err
	}
	var all []Result
	for _, backend := range o.backends {
		dsn, cleanup, err := prepareBackend(ctx, backend, dir)
		if err != nil {
			return nil, err
		}
		rs, err := measureBackend(ctx, o, log, bin, dir, backend, dsn)
		cleanup()
		if err != nil {
			return nil, err
		}
		all = append(all, rs...)
	}
	return all, nil
}

func measureBackend(ctx context.Context, o options, log io.Writer, bin, dir, backend, dsn string) ([]Result, error) {
	floor, err := startFloor(ctx, backend, dsn)
	if err != nil {
		return nil, err
	}
	defer floor.stop()
	var out []Result
	for _, mode := range o.modes {
		hush, err := startHush(ctx, bin, dir, backend, dsn, mode == "stateless")
		if err != nil {
			return nil, err
		}
		for _, w := range o.workers {
			for _, s := range []*server{floor, hush} {
				fmt.Fprintf(log, "measuring %s %s %s, %d workers\n", s.name, backend, mode, w)
				r, err := measure(ctx, s, mode == "stateless", w, o)
				if err != nil {
					hush.stop()
					return nil, fmt.Errorf("%s %s %s: %w\n%s", s.name, backend, mode, err, s.out.String())
				}
				r.Backend, r.Mode = backend, mode
				out = append(out, r)
			}
		}
		hush.stop()
	}
	return out, nil
}

// measure warms s up, then runs workers clients against it for
// o.duration, reading the server's CPU time and memory around the run.
func measure(ctx context.Context, s *server, stateless bool, workers int, o options) (Result, error) {
	r := Result{Server: s.name, Workers: workers}
	var err error
	if r.RSSIdleMB, err = rssMB(s.pid()); err != nil {
		return r, err
	}
	if _, err := load(ctx, s.url, stateless, workers, o.warmup); err != nil {
		return r, err
	}
	cpu0, err := cpuTime(s.pid())
	if err != nil {
		return r, err
	}
	st, err := load(ctx, s.url, stateless, workers, o.duration)
	if err != nil {
		return r, err
	}
	cpu1, err := cpuTime(s.pid())
	if err != nil {
		return r, err
	}
	if r.RSSAfterMB, err = rssMB(s.pid()); err != nil {
		return r, err
	}
	r.Calls, r.Errors = len(st.latencies), st.errors
	if r.Calls == 0 {
		return r, fmt.Errorf("no call succeeded (%d errors; first: %v)", st.errors, st.firstErr)
	}
	r.CallsPerSec = float64(r.Calls) / st.elapsed.Seconds()
	r.P50us, r.P99us = percentile(st.latencies, 0.50), percentile(st.latencies, 0.99)
	r.CPUPerCallUs = float64((cpu1 - cpu0).Microseconds()) / float64(r.Calls)
	return r, nil
}

// stats are one load run's observations.
type stats struct {
	latencies []time.Duration
	errors    int
	firstErr  error
	elapsed   time.Duration
}

// load runs workers sessions calling the tool in a loop for d.
func load(ctx context.Context, url string, stateless bool, workers int, d time.Duration) (stats, error) {
	clients := make([]*mcpClient, workers)
	for i := range clients {
		clients[i] = newClient(url, benchToken, stateless)
		defer clients[i].close()
		if err := clients[i].initialize(ctx); err != nil {
			return stats{}, err
		}
	}
	var mu sync.Mutex
	var all stats
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w, c := range clients {
		wg.Go(func() {
			st := work(ctx, c, w, deadline)
			mu.Lock()
			defer mu.Unlock()
			all.latencies = append(all.latencies, st.latencies...)
			all.errors += st.errors
			if all.firstErr == nil {
				all.firstErr = st.firstErr
			}
		})
	}
	wg.Wait()
	all.elapsed = time.Since(start)
	return all, nil
}

func work(ctx context.Context, c *mcpClient, w int, deadline time.Time) stats {
	var st stats
	st.latencies = make([]time.Duration, 0, 1<<14)
	for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
		email := fmt.Sprintf("user%d@example.com", (w*7919+i*104729)%customers+1)
		t0 := time.Now()
		err := c.call(ctx, i+1, email)
		if err != nil {
			st.errors++
			if st.firstErr == nil {
				st.firstErr = err
			}
			continue
		}
		st.latencies = append(st.latencies, time.Since(t0))
	}
	return st
}

func percentile(ds []time.Duration, p float64) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[int(p*float64(len(s)-1))].Nanoseconds()) / 1000
}

// prepareBackend creates the customers table and returns a DSN for it.
func prepareBackend(ctx context.Context, backend, dir string) (string, func(), error) {
	if backend == "sqlite" {
		path := filepath.Join(dir, "bench.db")
		return path, func() {}, seedSQLite(ctx, path)
	}
	srv, err := pgtest.Start()
	if err != nil {
		return "", nil, err
	}
	const role, pw, db = "bench", "bench-password-0123456789", "bench"
	steps := []func() error{
		func() error { return srv.CreateRole(ctx, role, pw) },
		func() error { return srv.CreateDatabase(ctx, db, role) },
		func() error { return srv.Exec(ctx, db, createTable) },
		func() error { return srv.Exec(ctx, db, fillTable, customers) },
		func() error { return srv.Exec(ctx, db, "GRANT SELECT ON customers TO "+role+"; ANALYZE customers") },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			srv.Stop()
			return "", nil, err
		}
	}
	return srv.DSN(role, pw, db), srv.Stop, nil
}

const (
	createTable = `CREATE TABLE customers (id integer PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL, plan text NOT NULL)`
	fillTable   = `INSERT INTO customers SELECT g, 'user' || g || '@example.com', 'Customer ' || g, CASE WHEN g % 3 = 0 THEN 'pro' ELSE 'free' END FROM generate_series(1, $1::int) g`
)

func seedSQLite(ctx context.Context, path string) error {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=rwc")
	if err != nil {
		return err
	}
	defer db.Close()
	fill := `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?)
		INSERT INTO customers SELECT n, 'user' || n || '@example.com', 'Customer ' || n, CASE WHEN n % 3 = 0 THEN 'pro' ELSE 'free' END FROM g`
	for _, stmt := range []string{createTable, fill} {
		if _, err := db.ExecContext(ctx, stmt, customers); err != nil {
			return err
		}
	}
	return nil
}
