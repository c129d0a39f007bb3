package tool

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/source"
)

// HealthCheckName is the name of the built-in health tool.
const HealthCheckName = "health_check"

// Report is the health of every source and of the secrets each one uses. It
// holds names and states only, never a secret value or an error message.
type Report struct {
	OK bool `json:"ok"` // Status is "ok"
	// Status is the worst state of any source: "ok"; "degraded" when
	// everything still serves but something needs attention (a refused
	// rotation, a secret on its last good value, a lease whose renewals
	// fail); "failing" when a ping fails or a credential is unusable.
	Status  string         `json:"status"`
	Sources []SourceReport `json:"sources"`
}

// SourceReport is one source's health.
type SourceReport struct {
	Name      string         `json:"name"`
	Ping      string         `json:"ping"` // "ok", "timeout" or "failed"
	LatencyMS float64        `json:"latency_ms"`
	Status    string         `json:"status"` // source.State.Status
	LastSwap  *time.Time     `json:"last_swap,omitempty"`
	LastError string         `json:"last_error,omitempty"` // class of the last swap error
	Secrets   []SecretReport `json:"secrets"`
}

// SecretReport is the state of one secret, as Store.Health reports it.
type SecretReport struct {
	Name       string     `json:"name"`
	Source     string     `json:"source"`           // provider kind: "env", "file", ...
	Served     string     `json:"served,omitempty"` // for a from: list, the reference that served
	Status     string     `json:"status"`           // secret.Status, or "unknown" when the store does not know it
	AgeSeconds int64      `json:"age_seconds"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastError  string     `json:"last_error,omitempty"` // error class of the last failure
	// LeaseState and RenewalFailing tell a lease expiring as planned from
	// one whose renewals fail; empty for secrets without a lease.
	LeaseState     string `json:"lease_state,omitempty"`
	RenewalFailing bool   `json:"renewal_failing,omitempty"`
}

// Probe pings every source concurrently, each within timeout, and collects
// its state and the health of its secrets from store (nil: none). Sources
// are reported by name order. Probe blocks until every ping returns.
func Probe(ctx context.Context, sources map[string]source.Source, store *secret.Store, timeout time.Duration) Report {
	names := make([]string, 0, len(sources))
	for name := range sources {
		names = append(names, name)
	}
	slices.Sort(names)
	reps := make([]SourceReport, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() { reps[i] = pingSource(ctx, name, sources[name], timeout) })
	}
	wg.Wait()
	health := secretHealth(store)
	rep := Report{Status: stateOK, Sources: reps}
	for i := range reps {
		reps[i].Secrets = secretReports(sources[reps[i].Name].State().Secrets, health)
		rep.Status = worse(rep.Status, reps[i].state())
	}
	rep.OK = rep.Status == stateOK
	return rep
}

func pingSource(ctx context.Context, name string, src source.Source, timeout time.Duration) SourceReport {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	err := src.Ping(ctx)
	rep := SourceReport{Name: name, Ping: "ok", LatencyMS: msSince(start)}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		rep.Ping = "timeout"
	case err != nil:
		rep.Ping = "failed"
	}
	st := src.State()
	rep.Status, rep.LastError = st.Status, st.LastError
	if !st.LastSwap.IsZero() {
		rep.LastSwap = &st.LastSwap
	}
	return rep
}

func msSince(t time.Time) float64 {
	return float64(time.Since(t).Microseconds()) / 1000
}

func secretHealth(store *secret.Store) map[string]secret.Health {
	m := map[string]secret.Health{}
	if store == nil {
		return m
	}
	for _, h := range store.Health() {
		m[h.Name] = h
	}
	return m
}

func secretReports(names []string, health map[string]secret.Health) []SecretReport {
	reps := make([]SecretReport, 0, len(names))
	now := time.Now()
	for _, name := range names {
		h, ok := health[name]
		if !ok {
			reps = append(reps, SecretReport{Name: name, Status: "unknown"})
			continue
		}
		reps = append(reps, SecretFromHealth(h, now))
	}
	return reps
}

// SecretFromHealth converts a store health entry, computing its age at now.
func SecretFromHealth(h secret.Health, now time.Time) SecretReport {
	r := SecretReport{
		Name: h.Name, Source: h.Source, Served: h.Served, Status: string(h.Status),
		AgeSeconds: int64(h.Age(now).Seconds()), LastError: h.LastError,
		LeaseState: h.LeaseState, RenewalFailing: h.RenewalFailing,
	}
	if !h.ExpiresAt.IsZero() {
		r.ExpiresAt = &h.ExpiresAt
	}
	return r
}

// Health states, from best to worst.
const (
	stateOK       = "ok"
	stateDegraded = "degraded"
	stateFailing  = "failing"
)

// state is the source's worst state, as Report.Status describes it.
func (r SourceReport) state() string {
	if r.Ping != "ok" {
		return stateFailing
	}
	st := stateOK
	if r.Status == "degraded" {
		st = stateDegraded
	}
	for _, s := range r.Secrets {
		switch s.Status {
		case string(secret.StatusOK):
		case string(secret.StatusDegraded):
			st = stateDegraded
		default:
			return stateFailing
		}
	}
	return st
}

// worse returns the worse of two states.
func worse(a, b string) string {
	rank := map[string]int{stateOK: 0, stateDegraded: 1, stateFailing: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// HealthCheck builds the built-in health_check tool. Its result is the
// Probe Report as structured content plus a text summary, with IsError set
// when any source fails its ping or any secret a source uses is not ok. It
// takes no arguments. The handler is safe for concurrent use.
func HealthCheck(sources map[string]source.Source, store *secret.Store, timeout time.Duration) (*mcp.Tool, mcp.ToolHandler) {
	t := &mcp.Tool{
		Name: HealthCheckName,
		Description: "Check every data source (ping and latency) and the state of the credentials " +
			"each one uses. Reports names and states only.",
		InputSchema: &jsonschema.Schema{
			Type:                 "object",
			Properties:           map[string]*jsonschema.Schema{},
			AdditionalProperties: &jsonschema.Schema{Not: &jsonschema.Schema{}},
		},
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, IdempotentHint: true},
	}
	h := func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if _, err := bindArgs(nil, req.Params.Arguments, DefaultMaxArgBytes); err != nil {
			return ErrorResult(err), nil
		}
		rep := Probe(ctx, sources, store, timeout)
		return &mcp.CallToolResult{
			Content:           []mcp.Content{&mcp.TextContent{Text: rep.Text()}},
			StructuredContent: rep,
			IsError:           !rep.OK,
		}, nil
	}
	return t, h
}

// Text renders the report for reading: one line per source and per secret.
func (r Report) Text() string {
	var b strings.Builder
	b.WriteString("health: " + r.Status + "\n")
	if len(r.Sources) == 0 {
		b.WriteString("no sources\n")
	}
	for _, s := range r.Sources {
		fmt.Fprintf(&b, "source %s: ping %s (%.1f ms), status %s", s.Name, s.Ping, s.LatencyMS, s.Status)
		if s.LastSwap != nil {
			fmt.Fprintf(&b, ", last swap %s", s.LastSwap.UTC().Format(time.RFC3339))
		}
		if s.LastError != "" {
			fmt.Fprintf(&b, ", last error %s", s.LastError)
		}
		b.WriteByte('\n')
		for _, sec := range s.Secrets {
			b.WriteString("  " + sec.text() + "\n")
		}
	}
	return b.String()
}

func (s SecretReport) text() string {
	t := fmt.Sprintf("secret %s (%s): %s, age %ds", s.Name, s.Source, s.Status, s.AgeSeconds)
	if s.Served != "" {
		t += ", served by " + s.Served
	}
	if s.ExpiresAt != nil {
		t += ", expires " + s.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if s.LeaseState != "" {
		t += ", lease " + s.LeaseState
	}
	if s.RenewalFailing {
		t += ", renewal failing"
	}
	if s.LastError != "" {
		t += ", last error " + s.LastError
	}
	return t
}
