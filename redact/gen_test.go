package redact

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"time"
)

const valueAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"

// randomValues returns n deterministic fake secrets of 16 to 40 characters.
func randomValues(n int, seed int64) [][]byte { return randomValuesLen(n, seed, 16, 40) }

// randomValuesLen returns n deterministic fake secrets of lo to hi
// characters.
func randomValuesLen(n int, seed int64, lo, hi int) [][]byte {
	rng := rand.New(rand.NewPCG(uint64(seed), 7))
	out := make([][]byte, n)
	for i := range out {
		v := make([]byte, lo+rng.IntN(hi-lo+1))
		for j := range v {
			v[j] = valueAlphabet[rng.IntN(len(valueAlphabet))]
		}
		out[i] = v
	}
	return out
}

var logMessages = []string{
	"request served", "cache miss", "query executed", "tool call finished",
	"connection pool resized", "retrying upstream request after timeout",
	"session opened", "health check ok",
}

// logText returns about n bytes of deterministic slog-style JSON lines with
// timestamps, ids, credential-free URLs and messages.
func logText(n int, seed int64) []byte {
	rng := rand.New(rand.NewPCG(uint64(seed), 11))
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	for i := 0; buf.Len() < n; i++ {
		ts := t0.Add(time.Duration(i) * 37 * time.Millisecond).Format(time.RFC3339Nano)
		fmt.Fprintf(&buf, `{"time":%q,"level":"INFO","msg":%q,"request_id":"%08x-%04x-%04x","tool":"find_customer",`+
			`"url":"https://api.example.com/v1/customers/%d/orders?page=%d&limit=50","status":%d,"duration_ms":%.3f,"rows":%d}`+"\n",
			ts, logMessages[rng.IntN(len(logMessages))], rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<16),
			rng.IntN(1e6), rng.IntN(20), 200+rng.IntN(5)*100, rng.Float64()*200, rng.IntN(500))
	}
	return buf.Bytes()[:n]
}
