package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hushmcp/hush/source"
)

// BenchmarkSelect compares one small SELECT through the Source (read-write
// and read-only) with the same statement straight on a pgx pool of the same
// size. The read-only path pipelines BEGIN READ ONLY and COMMIT with the
// statement: one round trip, with more work for the client and server.
// The parallel runs have more callers than the pool has connections.
func BenchmarkSelect(b *testing.B) {
	e := newEnv(b)
	s := e.open(b, 4)
	const stmt = "SELECT $1::int8 + 1, 'x'::text"
	b.Run("source", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := s.Query(b.Context(), source.Query{SQL: stmt, Args: []any{int64(i)}}); err != nil {
				b.Fatal(e.scrub(err))
			}
		}
	})
	b.Run("source-readonly", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := s.Query(b.Context(), source.Query{SQL: stmt, Args: []any{int64(i)}, ReadOnly: true}); err != nil {
				b.Fatal(e.scrub(err))
			}
		}
	})
	// More callers than connections: a connection's time between calls
	// (such as resetting its session) shows here, not in the serial runs.
	for _, ro := range []bool{false, true} {
		b.Run(map[bool]string{false: "source-parallel", true: "source-readonly-parallel"}[ro], func(b *testing.B) {
			b.SetParallelism(4)
			b.RunParallel(func(pb *testing.PB) {
				for i := int64(0); pb.Next(); i++ {
					if _, err := s.Query(b.Context(), source.Query{SQL: stmt, Args: []any{i}, ReadOnly: ro}); err != nil {
						b.Error(e.scrub(err))
						return
					}
				}
			})
		})
	}
	b.Run("pgxpool", func(b *testing.B) {
		cfg, err := pgxpool.ParseConfig(srv.DSN(e.role, e.password, appDB))
		if err != nil {
			b.Fatal("parse dsn")
		}
		cfg.MaxConns = 4
		p, err := pgxpool.NewWithConfig(b.Context(), cfg)
		if err != nil {
			b.Fatal("new pool")
		}
		defer p.Close()
		b.Run("scan", func(b *testing.B) {
			var n int64
			var x string
			for i := 0; b.Loop(); i++ {
				if err := p.QueryRow(b.Context(), stmt, int64(i)).Scan(&n, &x); err != nil {
					b.Fatal(e.scrub(err))
				}
			}
		})
		b.Run("values", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				rows, err := p.Query(b.Context(), stmt, int64(i))
				if err != nil {
					b.Fatal(e.scrub(err))
				}
				for rows.Next() {
					if _, err := rows.Values(); err != nil {
						b.Fatal(e.scrub(err))
					}
				}
				rows.Close()
			}
		})
	})
}
