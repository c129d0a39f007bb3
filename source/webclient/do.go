package webclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/hushmcp/hush/secret/driver"
)

// Policy is how one source sends requests.
type Policy struct {
	Timeout  time.Duration // per attempt, reading the body included; 0: DefaultTimeout
	MaxBytes int64         // response body cap; 0: DefaultMaxBytes
	Retries  int           // extra attempts, for idempotent methods only
}

// Error is a request failure described without the URL, which may carry a
// key in its query or path, and without the transport's text. It wraps a
// driver error code or a context error, for errors.Is and driver.Class.
type Error struct {
	Desc string
	Code error
}

func (e *Error) Error() string { return e.Desc }
func (e *Error) Unwrap() error { return e.Code }

// Idempotent reports whether a request with method may be sent twice
// (RFC 9110, 9.2.2): only such requests are retried.
func Idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// Do sends the request newReq builds (once per attempt, so a body can be
// sent again) and returns the response with its body read, at most MaxBytes,
// into memory: the caller need not close it. A non-2xx answer is a
// response, not an error. Idempotent requests are retried after a
// connection failure or a 429, 502, 503 or 504, with backoff; a request
// whose caller gave up is not.
func (p Policy) Do(ctx context.Context, c *http.Client, method string, newReq func(context.Context) (*http.Request, error)) (*http.Response, error) {
	retries := p.Retries
	if !Idempotent(method) {
		retries = 0
	}
	for attempt := 0; ; attempt++ {
		resp, err := p.once(ctx, c, newReq)
		if attempt >= retries || !retryable(ctx, resp, err) || !sleep(ctx, backoff(attempt)) {
			return resp, err
		}
	}
}

func (p Policy) once(ctx context.Context, c *http.Client, newReq func(context.Context) (*http.Request, error)) (*http.Response, error) {
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := newReq(actx)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, describe(ctx, actx, timeout, err)
	}
	defer resp.Body.Close()
	body, err := p.read(resp.Body)
	if err != nil {
		return nil, describe(ctx, actx, timeout, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

func (p Policy) read(r io.Reader) ([]byte, error) {
	limit := p.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err == nil && int64(len(body)) > limit {
		return nil, &Error{Desc: fmt.Sprintf("response larger than %d bytes", limit), Code: driver.ErrTooLarge}
	}
	return body, err
}

func retryable(ctx context.Context, resp *http.Response, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	if err != nil {
		var e *Error
		return errors.As(err, &e) && errors.Is(e.Code, driver.ErrUnavailable)
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoff is 100 ms doubling per attempt, at most 2 s: a retry is for a
// blip, not an outage; the caller's deadline bounds the total.
func backoff(attempt int) time.Duration {
	return min(100*time.Millisecond<<attempt, 2*time.Second)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// describe rewords a transport error. Go's *url.Error quotes the whole URL,
// a key in its query included, so its text never leaves this function.
func describe(ctx, actx context.Context, timeout time.Duration, err error) error {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var hostErr x509.HostnameError
	var own *Error
	switch {
	case ctx.Err() != nil:
		return &Error{Desc: "canceled", Code: ctx.Err()}
	case actx.Err() != nil:
		return &Error{Desc: fmt.Sprintf("no answer within %s", timeout), Code: context.DeadlineExceeded}
	case errors.As(err, &own):
		return own
	case errors.Is(err, ErrOrigin):
		return &Error{Desc: "redirect to another origin refused", Code: driver.ErrInvalid}
	case errors.Is(err, errTooManyRedirects):
		return &Error{Desc: "too many redirects", Code: driver.ErrInvalid}
	case errors.As(err, &certErr), errors.As(err, &hostErr):
		return &Error{Desc: "TLS certificate not accepted", Code: driver.ErrInvalid}
	case errors.As(err, &dnsErr):
		return &Error{Desc: "host lookup failed", Code: driver.ErrUnavailable}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &Error{Desc: "connection refused", Code: driver.ErrUnavailable}
	}
	return &Error{Desc: "request failed", Code: driver.ErrUnavailable}
}

// Refused reports whether status says the credential was not accepted.
func Refused(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusForbidden
}
