// Package assembly is where the binary's parts are registered: every
// secret provider, source kind and tool kind Hush ships is named here and
// nowhere else. Adding a part means one package of its own plus one line
// in this file.
package assembly

import (
	"log/slog"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/awssm"
	"github.com/hushmcp/hush/secret/env"
	"github.com/hushmcp/hush/secret/file"
	"github.com/hushmcp/hush/secret/vault"
	"github.com/hushmcp/hush/source"
	"github.com/hushmcp/hush/source/httpapi"
	"github.com/hushmcp/hush/source/nats"
	"github.com/hushmcp/hush/source/postgres"
	"github.com/hushmcp/hush/source/redis"
	"github.com/hushmcp/hush/source/sqlite"
	"github.com/hushmcp/hush/source/webhook"
	"github.com/hushmcp/hush/tool"
	"github.com/hushmcp/hush/tool/httptool"
	"github.com/hushmcp/hush/tool/notify"
	"github.com/hushmcp/hush/tool/publish"
	"github.com/hushmcp/hush/tool/redistool"
	"github.com/hushmcp/hush/tool/sqltool"
)

// Providers returns the secret providers, registered by scheme. A nil
// logger discards.
func Providers(logger *slog.Logger) *secret.Mux {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := secret.NewMux()
	m.Register("env", &env.Opener{})
	m.Register("file", &file.Opener{Logger: logger})
	m.Register("vault", &vault.Opener{Mux: m, Logger: logger})
	m.Register("awssm", &awssm.Opener{Logger: logger})
	return m
}

// Sources returns the source kinds.
func Sources() *source.Registry {
	return source.NewRegistry(
		sqlite.Kind,
		postgres.Kind,
		redis.Kind,
		httpapi.Kind,
		webhook.Kind,
		nats.Kind,
	)
}

// Tools returns the tool kinds; the first is the default for a tool that
// names no kind.
func Tools() *tool.Registry {
	return tool.NewRegistry(
		sqltool.Kind,
		redistool.Kind,
		httptool.Kind,
		notify.Kind,
		publish.Kind,
	)
}
