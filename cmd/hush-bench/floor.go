package main

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite" // the floor's SQLite driver, the one Hush uses
)

// The floor is what a hand-written server costs: net/http, encoding/json
// and the same query through the same driver, with bearer auth, and
// nothing else. Hush's numbers are read against it.

// lookup runs the benchmark's query.
type lookup func(ctx context.Context, email string) (row, error)

type row struct {
	id                int64
	email, name, plan string
}

func serveFloor(ctx context.Context, addr, kind, dsn string) error {
	find, closeDB, err := openLookup(ctx, kind, dsn)
	if err != nil {
		return err
	}
	defer closeDB()
	token := []byte("Bearer " + os.Getenv("HUSH_BENCH_TOKEN"))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.Handle("POST /mcp", &floor{find: find, token: token})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func openLookup(ctx context.Context, kind, dsn string) (lookup, func(), error) {
	const q = "SELECT id, email, name, plan FROM customers WHERE email = $1" // Hush's tool runs the same
	if kind == "postgres" {
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			return nil, nil, err
		}
		cfg.MaxConns, cfg.MinConns = 4, 4
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return nil, nil, err
		}
		return func(ctx context.Context, email string) (r row, err error) {
			err = pool.QueryRow(ctx, q, email).Scan(&r.id, &r.email, &r.name, &r.plan)
			return
		}, pool.Close, nil
	}
	db, err := sql.Open("sqlite", "file:"+dsn+"?mode=ro")
	if err != nil {
		return nil, nil, err
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	return func(ctx context.Context, email string) (r row, err error) {
		err = db.QueryRowContext(ctx, q, email).Scan(&r.id, &r.email, &r.name, &r.plan)
		return
	}, func() { _ = db.Close() }, nil
}

type floor struct {
	find  lookup
	token []byte
}

type rpcRequest struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params struct {
		Arguments struct {
			Email string `json:"email"`
		} `json:"arguments"`
	} `json:"params"`
}

func (f *floor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), f.token) != 1 {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	var req rpcRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	switch {
	case req.ID == nil:
		w.WriteHeader(http.StatusAccepted)
	case req.Method == "initialize":
		w.Header().Set("Mcp-Session-Id", sessionID())
		reply(w, req.ID, map[string]any{"protocolVersion": protocolVersion, "capabilities": map[string]any{"tools": map[string]any{}},
			"serverInfo": map[string]string{"name": "floor", "version": "1"}})
	case req.Method == "tools/call":
		f.call(w, r.Context(), req)
	default:
		reply(w, req.ID, nil)
	}
}

func (f *floor) call(w http.ResponseWriter, ctx context.Context, req rpcRequest) {
	r, err := f.find(ctx, req.Params.Arguments.Email)
	if err != nil {
		reply(w, req.ID, map[string]any{"isError": true, "content": []map[string]string{{"type": "text", "text": "query failed"}}})
		return
	}
	text, _ := json.Marshal(map[string]any{"id": r.id, "email": r.email, "name": r.name, "plan": r.plan})
	reply(w, req.ID, map[string]any{
		"content": []map[string]string{{"type": "text", "text": string(text)}},
		"structuredContent": map[string]any{"columns": []string{"id", "email", "name", "plan"},
			"rows": [][]any{{r.id, r.email, r.name, r.plan}}, "truncated": false},
	})
}

func reply(w http.ResponseWriter, id json.RawMessage, result any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"jsonrpc": "2.0", "id": id, "result": result})
}

func sessionID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
