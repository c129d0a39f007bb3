package metrics

import (
	"context"
	"net/http"
	"time"

	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source"
)

// errorClass is the driver error class of err, for span status.
func errorClass(err error) string { return driver.Class(err) }

// TraceSources returns sources whose calls make child spans of the tool
// call's span, for building tools; without a tracer it returns sources
// unchanged. A source is wrapped only when it offers exactly one of the
// abilities tools use (SQL, key-value, publish, HTTP, notify), which the
// wrapper keeps; any other source is returned as it is, and its calls make
// no span.
func (m *Metrics) TraceSources(sources map[string]source.Source) map[string]source.Source {
	if m.tracer == nil {
		return sources
	}
	out := make(map[string]source.Source, len(sources))
	for name, src := range sources {
		out[name] = m.traceSource(name, src)
	}
	return out
}

// httpAPI and notifier are the abilities of the http and notify tool
// kinds, stated here by their methods.
type (
	httpAPI interface {
		source.Source
		Do(req *http.Request) (*http.Response, error)
	}
	notifier interface {
		source.Source
		Deliver(ctx context.Context, event string, fields map[string]any) (id string, status int, err error)
	}
)

func (m *Metrics) traceSource(name string, src source.Source) source.Source {
	t := traced{m: m, name: name}
	sql, isSQL := src.(source.SQL)
	kv, isKV := src.(source.KV)
	pub, isPub := src.(source.Publisher)
	api, isAPI := src.(httpAPI)
	ntf, isNtf := src.(notifier)
	n := 0
	for _, b := range []bool{isSQL, isKV, isPub, isAPI, isNtf} {
		if b {
			n++
		}
	}
	switch {
	case n != 1:
		return src
	case isSQL:
		return &tracedSQL{SQL: sql, traced: t}
	case isKV:
		return &tracedKV{KV: kv, traced: t}
	case isPub:
		return &tracedPublisher{Publisher: pub, traced: t}
	case isAPI:
		return &tracedAPI{httpAPI: api, traced: t}
	}
	return &tracedNotifier{notifier: ntf, traced: t}
}

type traced struct {
	m    *Metrics
	name string
}

// run runs f within a child span named after op.
func (t traced) run(ctx context.Context, op string, f func(context.Context) error) {
	ctx, span := t.m.startSource(ctx, t.name, op)
	endSource(span, f(ctx))
}

type tracedSQL struct {
	source.SQL
	traced
}

func (s *tracedSQL) Query(ctx context.Context, q source.Query) (res *source.Result, err error) {
	s.run(ctx, "sql.query", func(ctx context.Context) error { res, err = s.SQL.Query(ctx, q); return err })
	return res, err
}

type tracedKV struct {
	source.KV
	traced
}

func (s *tracedKV) Get(ctx context.Context, key string, limit int64) (v string, found bool, err error) {
	s.run(ctx, "kv.get", func(ctx context.Context) error { v, found, err = s.KV.Get(ctx, key, limit); return err })
	return v, found, err
}

func (s *tracedKV) Set(ctx context.Context, key, value string, ttl time.Duration) (err error) {
	s.run(ctx, "kv.set", func(ctx context.Context) error { err = s.KV.Set(ctx, key, value, ttl); return err })
	return err
}

func (s *tracedKV) Del(ctx context.Context, key string) (ok bool, err error) {
	s.run(ctx, "kv.del", func(ctx context.Context) error { ok, err = s.KV.Del(ctx, key); return err })
	return ok, err
}

func (s *tracedKV) HGet(ctx context.Context, key, field string, limit int64) (v string, found bool, err error) {
	s.run(ctx, "kv.hget", func(ctx context.Context) error { v, found, err = s.KV.HGet(ctx, key, field, limit); return err })
	return v, found, err
}

func (s *tracedKV) HGetAll(ctx context.Context, key string, limit int64) (m map[string]string, err error) {
	s.run(ctx, "kv.hgetall", func(ctx context.Context) error { m, err = s.KV.HGetAll(ctx, key, limit); return err })
	return m, err
}

func (s *tracedKV) Exists(ctx context.Context, key string) (ok bool, err error) {
	s.run(ctx, "kv.exists", func(ctx context.Context) error { ok, err = s.KV.Exists(ctx, key); return err })
	return ok, err
}

func (s *tracedKV) Incr(ctx context.Context, key string) (n int64, err error) {
	s.run(ctx, "kv.incr", func(ctx context.Context) error { n, err = s.KV.Incr(ctx, key); return err })
	return n, err
}

type tracedPublisher struct {
	source.Publisher
	traced
}

func (s *tracedPublisher) Publish(ctx context.Context, msg source.Message) (ack source.Ack, err error) {
	s.run(ctx, "publish", func(ctx context.Context) error { ack, err = s.Publisher.Publish(ctx, msg); return err })
	return ack, err
}

type tracedAPI struct {
	httpAPI
	traced
}

func (s *tracedAPI) Do(req *http.Request) (resp *http.Response, err error) {
	s.run(req.Context(), "http.do", func(ctx context.Context) error { resp, err = s.httpAPI.Do(req.WithContext(ctx)); return err })
	return resp, err
}

type tracedNotifier struct {
	notifier
	traced
}

func (s *tracedNotifier) Deliver(ctx context.Context, event string, fields map[string]any) (id string, status int, err error) {
	s.run(ctx, "notify.deliver", func(ctx context.Context) error {
		id, status, err = s.notifier.Deliver(ctx, event, fields)
		return err
	})
	return id, status, err
}
