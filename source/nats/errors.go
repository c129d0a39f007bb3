package nats

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	natsio "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hushmcp/hush/secret/driver"
	"github.com/hushmcp/hush/source"
)

// Errors a publish may wrap besides a driver error class: the publish
// capability's (source.Publisher).
var (
	ErrUncertain = source.ErrUncertain
	ErrNoStream  = source.ErrNoStream
	ErrTooLarge  = source.ErrTooLarge
)

// Error is a failure described without the driver's text, which can name
// servers and users. It wraps a driver error class, a context error or
// one of the errors above, for errors.Is and driver.Class.
type Error struct {
	Source string
	Desc   string
	code   error
}

func (e *Error) Error() string { return fmt.Sprintf("nats source %q: %s", e.Source, e.Desc) }
func (e *Error) Unwrap() error { return e.code }

// connError describes a failure to connect or log in.
func (s *Source) connError(ctx context.Context, err error) error {
	desc, code := describe(err)
	if ctxErr := ctx.Err(); ctxErr != nil {
		desc, code = ctxDesc(ctxErr), ctxErr
	}
	return &Error{Source: s.spec.Name, Desc: desc, code: code}
}

// callError describes a failed call; uncertain marks a message that may
// have been delivered.
func (s *Source) callError(ctx context.Context, err error, uncertain bool) error {
	switch {
	case ctx.Err() != nil && !uncertain:
		return &Error{Source: s.spec.Name, Desc: ctxDesc(ctx.Err()), code: ctx.Err()}
	case uncertain:
		return &Error{Source: s.spec.Name, Desc: ErrUncertain.Error(), code: errors.Join(ErrUncertain, driver.ErrUnavailable)}
	case errors.Is(err, errLinkDown):
		return &Error{Source: s.spec.Name, Desc: "not connected; nothing was sent", code: driver.ErrUnavailable}
	case errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, natsio.ErrNoResponders):
		return &Error{Source: s.spec.Name, Desc: ErrNoStream.Error(), code: ErrNoStream}
	case errors.Is(err, natsio.ErrMaxPayload):
		return &Error{Source: s.spec.Name, Desc: ErrTooLarge.Error(), code: ErrTooLarge}
	}
	return s.connError(ctx, err)
}

func ctxDesc(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return "canceled"
}

// describe names a failure by its kind only.
func describe(err error) (string, error) {
	var netErr net.Error
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var apiErr *jetstream.APIError
	switch {
	case errors.Is(err, natsio.ErrAuthorization), errors.Is(err, natsio.ErrAuthExpired), errors.Is(err, natsio.ErrAuthRevoked):
		return "credential rejected", driver.ErrPermission
	case errors.Is(err, natsio.ErrPermissionViolation):
		return "permission denied: the user may not publish there", driver.ErrPermission
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, natsio.ErrTimeout):
		return "timed out", context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return "canceled", context.Canceled
	case errors.As(err, &dnsErr):
		return "host lookup failed", driver.ErrUnavailable
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, natsio.ErrNoServers):
		return "connection refused", driver.ErrUnavailable
	case errors.As(err, &certErr):
		return "TLS certificate not trusted", driver.ErrUnavailable
	case errors.As(err, &apiErr):
		return fmt.Sprintf("JetStream refused the message: %s (error %d)", apiErr.Description, apiErr.ErrorCode), driver.ErrInvalid
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timed out", context.DeadlineExceeded
	case strings.Contains(err.Error(), "tls"):
		return "TLS handshake failed", driver.ErrUnavailable
	}
	return "server unreachable", driver.ErrUnavailable
}
