package redis

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source"
)

// connError is a failure described without the driver's text, which can
// name the user and address. It wraps a driver error code (or a context
// error) for errors.Is and driver.Class.
type connError struct {
	source string
	desc   string
	code   error
}

func (e *connError) Error() string { return fmt.Sprintf("redis source %q: %s", e.source, e.desc) }
func (e *connError) Unwrap() error { return e.code }

// ServerError and TooLargeError are the KV capability's errors
// (source.KV).
type (
	ServerError   = source.ServerError
	TooLargeError = source.TooLargeError
)

// connError sanitises a failure to log in or reach the server.
func (s *Source) connError(ctx context.Context, err error) error {
	desc, code := describe(err)
	if ctxErr := ctx.Err(); ctxErr != nil {
		desc, code = ctxDesc(ctxErr), ctxErr
	}
	return &connError{source: s.spec.Name, desc: desc, code: code}
}

// callError sanitises a command's failure: login, network and context
// failures by description, server refusals as ServerError with the client's
// credentials scrubbed from the text.
func (s *Source) callError(ctx context.Context, c *client, cmd string, err error) error {
	var rerr redis.Error
	switch {
	case ctx.Err() != nil:
		return &connError{source: s.spec.Name, desc: cmd + " " + ctxDesc(ctx.Err()), code: ctx.Err()}
	case redis.IsAuthError(err), redis.IsPermissionError(err):
		return s.connError(ctx, err)
	case errors.As(err, &rerr):
		return &ServerError{Source: s.spec.Name, Msg: c.scrub.scrub(firstLine(rerr.Error()))}
	}
	return s.connError(ctx, err)
}

func ctxDesc(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return "canceled"
}

// describe names a failure by its kind only. Server replies to a login are
// classified by their code word; their text names the user.
func describe(err error) (string, error) {
	var dnsErr *net.DNSError
	var netErr net.Error
	switch {
	case redis.IsAuthError(err):
		return "credential rejected", driver.ErrPermission
	case redis.IsPermissionError(err):
		return "permission denied (NOPERM): the user may not run this command", driver.ErrPermission
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out", context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return "canceled", context.Canceled
	case errors.Is(err, redis.ErrPoolTimeout):
		return "no free connection in the pool", driver.ErrUnavailable
	case errors.As(err, &dnsErr):
		return "host lookup failed", driver.ErrUnavailable
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", driver.ErrUnavailable
	case errors.As(err, &netErr) && netErr.Timeout():
		// go-redis sets socket deadlines from the context's, so a call past
		// its deadline often sees the socket time out first.
		return "timed out", context.DeadlineExceeded
	}
	return describeOther(err)
}

func describeOther(err error) (string, error) {
	var rerr redis.Error
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.As(err, &certErr):
		return "TLS certificate not trusted", driver.ErrUnavailable
	case errors.As(err, &rerr):
		code, _, _ := strings.Cut(rerr.Error(), " ")
		return "server refused the connection (" + code + ")", driver.ErrUnavailable
	}
	return "server unreachable", driver.ErrUnavailable
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// scrubber replaces a client's URL and credential values, in the
// escapings a URL can hold them in, with [REDACTED]: a last guard, since
// Redis's own messages do not quote them.
type scrubber struct{ needles []string }

func newScrubber(rawURL string, secrets []string) *scrubber {
	n := []string{rawURL}
	for _, v := range secrets {
		if len(v) >= 4 {
			n = append(n, v, url.QueryEscape(v), url.PathEscape(v), url.UserPassword("", v).String()[1:])
		}
	}
	return &scrubber{needles: n}
}

func (s *scrubber) scrub(text string) string {
	for _, n := range s.needles {
		if n != "" {
			text = strings.ReplaceAll(text, n, "[REDACTED]")
		}
	}
	return text
}
