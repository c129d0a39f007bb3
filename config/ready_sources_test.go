package config

import (
	"slices"
	"strings"
	"testing"
)

const readySrcs = "sources:\n  db: {kind: sqlite, dsn: a.db}\n  cache: {kind: sqlite, dsn: b.db}\n"

func TestReadySources(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string
	}{
		{readySrcs + "server: {transport: http}", nil},
		{readySrcs + "server: {transport: http, ready_sources: []}", nil},
		{readySrcs + "server: {transport: http, ready_sources: [db]}", []string{"db"}},
		{readySrcs + "server: {transport: http, ready_sources: [cache, db]}", []string{"cache", "db"}},
	} {
		if got := mustParse(t, []byte(c.text)).Server.ReadySources; !slices.Equal(got, c.want) {
			t.Errorf("%q: ready_sources = %q, want %q", c.text, got, c.want)
		}
	}
}

func TestReadySourcesErrors(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{readySrcs + "server: {transport: http, ready_sources: [db, nowhere]}",
			`4:47: server.ready_sources[1]: unknown source "nowhere" (declared: cache, db)`},
		{"server: {transport: http, ready_sources: [db]}",
			`1:43: server.ready_sources[0]: unknown source "db" (none declared)`},
		{readySrcs + "server: {transport: http, ready_sources: [db, db]}", `server.ready_sources[1]: source "db" is listed twice`},
		{readySrcs + "server: {transport: http, ready_sources: ['']}", `server.ready_sources[0]: must not be empty`},
		{readySrcs + "server: {transport: http, ready_sources: db}", `server.ready_sources: want a list`},
	} {
		_, err := Parse("t.yaml", []byte(c.text), testKinds)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want it to contain %q", c.text, err, c.want)
		}
	}
}
