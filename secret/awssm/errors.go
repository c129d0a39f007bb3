package awssm

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/hushmcp/hush/secret/driver"
)

// classify turns an SDK error into one wrapping a driver code. The text
// names the operation, the secret and the service's error code: never the
// service's message, never a value, never a credential.
func classify(op, id string, err error) error {
	what := fmt.Sprintf("awssm %s %q", op, id)
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", what, context.Canceled)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s: %w", what, context.DeadlineExceeded)
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		if !codePattern.MatchString(code) {
			code = "error"
		}
		return fmt.Errorf("%s: %s: %w", what, code, codeFor(code, status(err)))
	}
	if isCredentials(err) {
		return fmt.Errorf("%s: no usable AWS credentials in the default chain: %w", what, driver.ErrPermission)
	}
	return fmt.Errorf("%s: %s: %w", what, transportReason(err), driver.ErrUnavailable)
}

// codePattern is what an error code looks like; anything else is not
// repeated.
var codePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9.]{0,63}$`)

// codes maps Secrets Manager's (and AWS's common) error codes to driver
// codes.
var codes = map[string]error{
	"ResourceNotFoundException": driver.ErrNotFound,

	"AccessDeniedException":               driver.ErrPermission,
	"AccessDenied":                        driver.ErrPermission,
	"UnrecognizedClientException":         driver.ErrPermission,
	"InvalidClientTokenId":                driver.ErrPermission,
	"ExpiredTokenException":               driver.ErrPermission,
	"ExpiredToken":                        driver.ErrPermission,
	"InvalidSignatureException":           driver.ErrPermission,
	"IncompleteSignatureException":        driver.ErrPermission,
	"MissingAuthenticationTokenException": driver.ErrPermission,
	"SignatureDoesNotMatch":               driver.ErrPermission,

	"ThrottlingException":      driver.ErrUnavailable,
	"Throttling":               driver.ErrUnavailable,
	"TooManyRequestsException": driver.ErrUnavailable,
	"RequestLimitExceeded":     driver.ErrUnavailable,
	"InternalServiceError":     driver.ErrUnavailable,
	"InternalFailure":          driver.ErrUnavailable,
	"ServiceUnavailable":       driver.ErrUnavailable,
	"RequestTimeout":           driver.ErrUnavailable,

	"DecryptionFailure":         driver.ErrInvalid,
	"InvalidRequestException":   driver.ErrInvalid,
	"InvalidParameterException": driver.ErrInvalid,
	"ValidationException":       driver.ErrInvalid,
}

// codeFor maps an error code, falling back on the HTTP status: a server
// error is worth retrying, a client error is not.
func codeFor(code string, status int) error {
	if c, ok := codes[code]; ok {
		return c
	}
	if status == 0 || status >= 500 {
		return driver.ErrUnavailable
	}
	return driver.ErrInvalid
}

func status(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// isCredentials reports a failure to obtain credentials, before any
// request was sent. The SDK has no type for it; its words are stable.
func isCredentials(err error) bool {
	var op *smithy.OperationError
	if !errors.As(err, &op) || op.Err == nil {
		return false
	}
	msg := op.Err.Error()
	return strings.Contains(msg, "get identity") || strings.Contains(msg, "retrieve credentials")
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
