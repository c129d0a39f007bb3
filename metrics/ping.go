package metrics

import (
	"context"
	"time"

	"github.com/hushmcp/hush/source"
)

// TimePings returns sources with each Ping timed: the last latency and
// success of every source is exported as hush_source_ping_seconds and
// hush_source_ping_up. Give the result to health_check and /readyz, which
// only Ping and read State; tools keep the sources themselves, whose
// other abilities the wrapper hides.
func (m *Metrics) TimePings(sources map[string]source.Source) map[string]source.Source {
	out := make(map[string]source.Source, len(sources))
	for name, src := range sources {
		out[name] = &timedSource{Source: src, name: name, m: m}
	}
	return out
}

type timedSource struct {
	source.Source
	name string
	m    *Metrics
}

func (t *timedSource) Ping(ctx context.Context) error {
	start := time.Now()
	err := t.Source.Ping(ctx)
	t.m.setPing(t.name, ping{seconds: time.Since(start).Seconds(), ok: err == nil})
	return err
}

func (m *Metrics) setPing(name string, p ping) {
	m.pingMu.Lock()
	defer m.pingMu.Unlock()
	m.pings[name] = p
}

func (m *Metrics) lastPing(name string) (ping, bool) {
	m.pingMu.Lock()
	defer m.pingMu.Unlock()
	p, ok := m.pings[name]
	return p, ok
}
