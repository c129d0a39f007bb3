package metrics

import (
	"maps"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/source"
)

// secretStates and sourceStates are the values of the state label: every
// one is exported for every secret or source, 1 for the current state.
var (
	secretStates = []secret.Status{secret.StatusOK, secret.StatusDegraded, secret.StatusMissing,
		secret.StatusInvalid, secret.StatusExpired}
	sourceStates = []string{"ok", "degraded", "closed"}
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
}

var (
	descSecretState = desc("secret_state", "1 for the secret's current state (ok, degraded, missing, invalid, expired), 0 for the others.",
		"secret", "state")
	descSecretAge = desc("secret_last_success_age_seconds", "Seconds since the secret was last fetched successfully (whether or not it changed); absent before the first success.",
		"secret")
	descSecretExpiry = desc("secret_expires_in_seconds", "Seconds until the leased value expires; negative once it has; absent for secrets without an expiry.",
		"secret")
	descSecretErrors = desc("secret_fetch_errors_total", "Failed fetches of the secret by error class (invalid: the value failed its rules).",
		"secret", "class")
	descSourceState = desc("source_state", "1 for the source's current state (ok, degraded, closed), 0 for the others.",
		"source", "state")
	descPoolSize  = desc("source_pool_connections", "Open connections of the source's current pool.", "source")
	descPoolInUse = desc("source_pool_connections_in_use", "Connections of the source's current pool in use by a call.", "source")
	descSwaps     = desc("source_swaps_total", "Clients swapped in after a credential rotation.", "source")
	descSwapFails = desc("source_swap_failures_total", "Failed attempts to swap in a client with rotated credentials (each retry counts).",
		"source")
	descPing   = desc("source_ping_seconds", "Latency of the last ping by health_check or /readyz; absent before the first.", "source")
	descPingUp = desc("source_ping_up", "1 if the last ping by health_check or /readyz succeeded, else 0.", "source")
)

// stateCollector reads the secrets' and sources' states at scrape time.
type stateCollector struct {
	m       *Metrics
	store   *secret.Store
	sources map[string]source.Source
}

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSecretState, descSecretAge, descSecretExpiry, descSecretErrors,
		descSourceState, descPoolSize, descPoolInUse, descSwaps, descSwapFails, descPing, descPingUp} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	if c.store != nil {
		for _, h := range c.store.Health() {
			collectSecret(ch, h, now)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.sources)) {
		c.collectSource(ch, name, c.sources[name])
	}
}

func collectSecret(ch chan<- prometheus.Metric, h secret.Health, now time.Time) {
	for _, st := range secretStates {
		ch <- gauge(descSecretState, bool01(h.Status == st), h.Name, string(st))
	}
	if !h.LastOK.IsZero() {
		ch <- gauge(descSecretAge, now.Sub(h.LastOK).Seconds(), h.Name)
	}
	if !h.ExpiresAt.IsZero() {
		ch <- gauge(descSecretExpiry, h.ExpiresAt.Sub(now).Seconds(), h.Name)
	}
	for class, n := range h.Failures {
		ch <- prometheus.MustNewConstMetric(descSecretErrors, prometheus.CounterValue, float64(n), h.Name, class)
	}
}

func (c *stateCollector) collectSource(ch chan<- prometheus.Metric, name string, src source.Source) {
	status := src.State().Status
	for _, st := range sourceStates {
		ch <- gauge(descSourceState, bool01(status == st), name, st)
	}
	if p, ok := src.(source.PoolReporter); ok {
		size, inUse := p.PoolStats()
		ch <- gauge(descPoolSize, float64(size), name)
		ch <- gauge(descPoolInUse, float64(inUse), name)
	}
	if s, ok := src.(source.SwapCounter); ok {
		swaps, failed := s.Swaps()
		ch <- prometheus.MustNewConstMetric(descSwaps, prometheus.CounterValue, float64(swaps), name)
		ch <- prometheus.MustNewConstMetric(descSwapFails, prometheus.CounterValue, float64(failed), name)
	}
	if p, ok := c.m.lastPing(name); ok {
		ch <- gauge(descPing, p.seconds, name)
		ch <- gauge(descPingUp, bool01(p.ok), name)
	}
}

func gauge(d *prometheus.Desc, v float64, labels ...string) prometheus.Metric {
	return prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
}

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
