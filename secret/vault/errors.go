package vault

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/hashicorp/vault/api"

	"github.com/hushmcp/hush/secret/driver"
)

// classify turns an error from the Vault client into one wrapping a driver
// code. The text names the operation, the Vault path and a reason of our
// own: never Vault's error strings or response body (a plug-in can quote
// input there), never a URL with credentials, never a token or a value.
func classify(op, path string, err error) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf("vault %s %q", op, path)
	if path == "" {
		what = "vault " + op
	}
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", what, context.Canceled)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", what, context.DeadlineExceeded)
	}
	var re *api.ResponseError
	if errors.As(err, &re) {
		return fmt.Errorf("%s: %w", what, statusReason(re))
	}
	return fmt.Errorf("%s: %s: %w", what, transportReason(err), driver.ErrUnavailable)
}

// errStatus wraps a driver code with the HTTP status it came from.
type errStatus struct {
	status int
	reason string
	code   error
}

func (e errStatus) Error() string { return e.reason + ": " + e.code.Error() }
func (e errStatus) Unwrap() error { return e.code }

// statusReason maps Vault's status codes to driver codes. A 400 naming an
// unknown role is a missing secret in our terms; Vault's database, AWS and
// similar engines word it that way.
func statusReason(re *api.ResponseError) error {
	code, reason := driver.ErrUnavailable, fmt.Sprintf("status %d", re.StatusCode)
	switch s := re.StatusCode; {
	case s == http.StatusForbidden || s == http.StatusUnauthorized:
		code = driver.ErrPermission
	case s == http.StatusNotFound:
		code = driver.ErrNotFound
	case s == http.StatusBadRequest && mentions(re, "unknown role"):
		code, reason = driver.ErrNotFound, "unknown role (status 400)"
	case s == http.StatusBadRequest:
		code = driver.ErrInvalid
	case s == http.StatusServiceUnavailable && mentions(re, "sealed"):
		reason = "vault is sealed (status 503)"
	case s == http.StatusTooManyRequests:
		reason = "rate limited (status 429)"
	}
	return errStatus{status: re.StatusCode, reason: reason, code: code}
}

// mentions reports whether one of Vault's error strings contains s. It only
// looks; the strings never reach our messages.
func mentions(re *api.ResponseError, s string) bool {
	for _, e := range re.Errors {
		if strings.Contains(strings.ToLower(e), s) {
			return true
		}
	}
	return false
}

// transportReason describes a failure below HTTP with the network stack's
// own words, which hold addresses at most.
func transportReason(err error) string {
	var op *net.OpError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	switch {
	case errors.As(err, &unknownCA):
		return "tls: certificate signed by an unknown authority"
	case errors.As(err, &hostname):
		return "tls: certificate is not valid for the server name"
	case errors.As(err, &op) && op.Err != nil:
		return "connection failed: " + op.Err.Error()
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed by the server"
	}
	return "request failed"
}

// statusOf returns the HTTP status behind err, or 0.
func statusOf(err error) int {
	var re *api.ResponseError
	if errors.As(err, &re) {
		return re.StatusCode
	}
	var es errStatus
	if errors.As(err, &es) {
		return es.status
	}
	return 0
}
