package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hushmcp/hush/secret/driver"
)

// connError is a connection failure described without pgx's text, which
// names the user, host and database and could carry more of the DSN. It
// wraps a driver error code (or a context error) for errors.Is and
// driver.Class.
type connError struct {
	source string
	desc   string
	code   error
}

func (e *connError) Error() string { return fmt.Sprintf("connect source %q: %s", e.source, e.desc) }
func (e *connError) Unwrap() error { return e.code }

// connError sanitises a failure to log in or reach the server.
func (s *Source) connError(ctx context.Context, err error) error {
	desc, code := describeConnErr(err)
	if ctxErr := ctx.Err(); ctxErr != nil {
		desc, code = ctxDesc(ctxErr), ctxErr
	}
	return &connError{source: s.spec.Name, desc: desc, code: code}
}

func ctxDesc(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return "canceled"
}

func describeConnErr(err error) (string, error) {
	var pgErr *pgconn.PgError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &pgErr):
		return describePgConnErr(pgErr.Code)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		ctxErr := context.Canceled
		if errors.Is(err, context.DeadlineExceeded) {
			ctxErr = context.DeadlineExceeded
		}
		return ctxDesc(ctxErr), ctxErr
	case errors.As(err, &dnsErr):
		return "host lookup failed", driver.ErrUnavailable
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", driver.ErrUnavailable
	case errors.As(err, &opErr):
		return "server unreachable", driver.ErrUnavailable
	}
	return "connection failed", driver.ErrUnavailable
}

// describePgConnErr names a server's refusal by SQLSTATE only: the message
// text names the role, which may itself be a generated credential.
func describePgConnErr(code string) (string, error) {
	class := code[:min(2, len(code))]
	switch {
	case class == "28":
		return "authentication failed (SQLSTATE " + code + ")", driver.ErrPermission
	case code == "42501":
		return "permission denied (SQLSTATE " + code + ")", driver.ErrPermission
	case code == "3D000":
		return "database does not exist (SQLSTATE " + code + ")", driver.ErrInvalid
	case class == "08" || class == "53" || class == "57":
		return "server unavailable (SQLSTATE " + code + ")", driver.ErrUnavailable
	}
	return "server refused the connection (SQLSTATE " + code + ")", nil
}

// isAuth reports whether err is the server rejecting a login's credentials.
func isAuth(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "28")
}

// queryError wraps a statement's failure. Database errors are kept (callers
// may errors.As a *pgconn.PgError); connection failures are sanitised; and
// as a last guard, the pool's DSN and password are replaced in the text.
func (s *Source) queryError(ctx context.Context, p *pool, err error) error {
	var connErr *pgconn.ConnectError
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("query source %q: %w", s.spec.Name, ctx.Err())
	case errors.As(err, &connErr):
		return s.connError(ctx, err)
	}
	wrapped := fmt.Errorf("query source %q: %w", s.spec.Name, err)
	msg, leaked := p.scrub.scrub(wrapped.Error())
	if !leaked {
		return wrapped
	}
	se := &scrubbedError{msg: msg}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		se.pg = p.scrub.scrubPgError(pgErr)
	}
	return se
}
