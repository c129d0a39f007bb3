package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hushmcp/hush/source"
)

// A read-only call sends BEGIN READ ONLY, the statement, a session reset
// (see reset.go) and COMMIT as one pipelined batch: one round trip, with
// the database enforcing read-only. A read-write call is sent the same way
// in a READ WRITE transaction (see queryReadWrite). Every read-only call
// opens its own READ ONLY transaction, so no session setting a caller may
// change (default_transaction_read_only through set_config, SET SESSION
// CHARACTERISTICS) can make a later call on the same connection writable.
// That is why a second pool with default_transaction_read_only=on alone
// would not do.
//
// Two failure paths need care:
//   - a failing statement leaves the transaction aborted (the server skips
//     the reset and COMMIT up to the batch's Sync). It is rolled back, and
//     the session reset on its own (cleanSession), before the connection
//     returns to the pool, which would otherwise close it;
//   - pgx encodes arguments while it writes the batch, after BEGIN, and an
//     argument it cannot encode (70000 for an int2, a missing argument)
//     makes it close the connection. checkArgs encodes them first, so such
//     a call fails before anything is sent, and the connection stays.

// rollbackTimeout bounds the cleanup of a transaction whose call context
// has already ended.
const rollbackTimeout = 5 * time.Second

var (
	readOnlyTx  = pgx.TxOptions{AccessMode: pgx.ReadOnly}
	readWriteTx = pgx.TxOptions{AccessMode: pgx.ReadWrite}
)

// queryReadOnly runs q on c in its own READ ONLY transaction, in one round
// trip once the pool knows q.SQL's parameter types.
func (p *pool) queryReadOnly(ctx context.Context, c *pgxpool.Conn, q source.Query) (*source.Result, error) {
	return p.queryInTx(ctx, c, q, readOnlyTx, readOnlyReset)
}

// queryInTx runs q on c in its own transaction with opts, followed by the
// session reset statements and COMMIT, as one pipelined batch. A
// connection it leaves clean is marked so.
func (p *pool) queryInTx(ctx context.Context, c *pgxpool.Conn, q source.Query, opts pgx.TxOptions, reset []string) (*source.Result, error) {
	if err := p.params.checkArgs(ctx, c.Conn(), q); err != nil {
		return nil, err
	}
	b := &pgx.Batch{}
	b.BeginTx(opts)
	b.Queue(q.SQL, q.Args...)
	queueReset(b, reset)
	b.Queue("COMMIT")
	br := c.SendBatch(ctx, b)
	res, clean, err := readBatch(br, q, reset)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		rollback(ctx, br.Tx())
		return nil, unwrapBatch(err)
	}
	if clean {
		markClean(c.Conn())
	}
	return res, nil
}

// readBatch reads the results of BEGIN, the statement, the session reset
// and COMMIT, and reports whether the reset left the session clean.
func readBatch(br pgx.BatchResults, q source.Query, reset []string) (*source.Result, bool, error) {
	if _, err := br.Exec(); err != nil {
		return nil, false, err
	}
	rows, err := br.Query()
	if err != nil {
		return nil, false, err
	}
	res, err := collect(rows, q)
	if err != nil {
		return nil, false, err
	}
	clean, err := readReset(br, reset)
	if err != nil {
		return nil, false, err
	}
	if _, err := br.Exec(); err != nil {
		return nil, false, err
	}
	return res, clean, nil
}

// rollback ends tx if the batch left it open (a no-op after COMMIT). With
// ctx over, a fresh deadline gives the connection a chance to return to
// the pool clean.
func rollback(ctx context.Context, tx pgx.Tx) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	_ = tx.Rollback(rctx)
}

// unwrapBatch drops pgx's "error preprocessing batch" wrapper, so a
// read-only call reports the same error text as a read-write one.
func unwrapBatch(err error) error {
	var pre pgx.ErrPreprocessingBatch
	if errors.As(err, &pre) {
		return pre.Unwrap()
	}
	return err
}

// maxParamTypes bounds the parameter type cache; tools use a fixed set of
// statements, so reaching it means statements are not reused anyway.
const maxParamTypes = 256

// paramTypes caches each statement's parameter types for one pool. Safe
// for concurrent use.
type paramTypes struct {
	mu   sync.Mutex
	oids map[string][]uint32
}

// checkArgs encodes q.Args for q.SQL's parameter types, as pgx will when
// it sends the batch, and returns the error pgx would return. The types
// come from the cache, or from an unnamed prepare (one round trip the first
// time a pool sees a statement). A failure is checked again with fresh
// types, so a stale cache entry after a schema change cannot fail a call.
func (pt *paramTypes) checkArgs(ctx context.Context, c *pgx.Conn, q source.Query) error {
	if len(q.Args) > 0 {
		if _, ok := q.Args[0].(pgx.QueryRewriter); ok {
			return nil // pgx rewrites the statement and its arguments itself
		}
	}
	oids, cached := pt.get(q.SQL)
	for {
		if !cached {
			sd, err := c.PgConn().Prepare(ctx, "", q.SQL, nil)
			if err != nil {
				return err
			}
			oids = sd.ParamOIDs
			pt.put(q.SQL, oids)
		}
		err := encodeArgs(c.TypeMap(), oids, q.Args)
		if err == nil || !cached {
			return err
		}
		cached = false
	}
}

// encodeArgs checks args against the parameter types oids with pgx's own
// checks and messages (those of Conn.Query).
func encodeArgs(m *pgtype.Map, oids []uint32, args []any) error {
	if len(oids) != len(args) {
		return fmt.Errorf("expected %d arguments, got %d", len(oids), len(args))
	}
	var eqb pgx.ExtendedQueryBuilder
	return eqb.Build(m, &pgconn.StatementDescription{ParamOIDs: oids}, args)
}

func (pt *paramTypes) get(sql string) ([]uint32, bool) {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	oids, ok := pt.oids[sql]
	return oids, ok
}

func (pt *paramTypes) put(sql string, oids []uint32) {
	pt.mu.Lock()
	defer pt.mu.Unlock()
	if pt.oids == nil || len(pt.oids) >= maxParamTypes {
		pt.oids = make(map[string][]uint32)
	}
	pt.oids[sql] = oids
}
