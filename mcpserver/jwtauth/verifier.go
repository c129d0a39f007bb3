// Package jwtauth verifies bearer JWTs for the HTTP transport: signature
// against public keys from a PEM secret (rotated without a restart, with an
// overlap for the previous key) or a JWKS URL, exp and nbf with bounded
// clock skew, issuer, audience, and an algorithm allowlist that follows from
// each key's type. Parsing and signature checks are go-jose's.
//
// Errors carry a reason class (Reason) and nothing from the token, so they
// can be logged and counted; callers answering HTTP still answer with a
// fixed text.
package jwtauth

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Limits of what a verifier accepts.
const (
	MaxTokenBytes = 16 << 10        // longer tokens are refused unparsed
	MaxClockSkew  = 5 * time.Minute // Options.ClockSkew is capped to this
)

// Error is a refused token's reason class. It never holds token content.
type Error struct{ Reason string }

func (e *Error) Error() string { return "jwt refused: " + e.Reason }

// The reasons a token is refused.
var (
	ErrMalformed       = &Error{"malformed"}
	ErrOversized       = &Error{"oversized"}
	ErrAlgorithm       = &Error{"algorithm"}
	ErrUnknownKey      = &Error{"unknown_key"}
	ErrKeysUnavailable = &Error{"keys_unavailable"}
	ErrSignature       = &Error{"signature"}
	ErrMissingExpiry   = &Error{"missing_exp"}
	ErrExpired         = &Error{"expired"}
	ErrNotYetValid     = &Error{"not_yet_valid"}
	ErrIssuer          = &Error{"issuer"}
	ErrAudience        = &Error{"audience"}
)

// Reason returns err's reason class, or "error" for an error that has none.
func Reason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return "error"
}

// KeySource gives the keys a token whose header names kid (empty: none) may
// be signed with. Implementations are safe for concurrent use.
type KeySource interface {
	Keys(ctx context.Context, kid string) ([]Key, error)
}

// Options configure a Verifier.
type Options struct {
	Keys      KeySource
	Issuer    string   // required: the iss claim must equal it
	Audience  []string // required: the aud claim must hold one of them
	ClockSkew time.Duration
	Now       func() time.Time // nil: time.Now
}

// Claims are what a verified token says about its caller.
type Claims struct {
	Subject string
	Scopes  []string
	Expiry  time.Time
}

// Verifier checks tokens. It is safe for concurrent use.
type Verifier struct {
	opts Options
}

// New returns a verifier. Issuer, Audience and Keys must be set.
func New(opts Options) (*Verifier, error) {
	switch {
	case opts.Keys == nil:
		return nil, errors.New("jwtauth: no key source")
	case opts.Issuer == "":
		return nil, errors.New("jwtauth: no issuer")
	case len(opts.Audience) == 0:
		return nil, errors.New("jwtauth: no audience")
	}
	opts.ClockSkew = min(max(opts.ClockSkew, 0), MaxClockSkew)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Verifier{opts: opts}, nil
}

// asymmetric is every algorithm a key of ours can verify: a token with any
// other alg (none, HS*) is refused before a key is looked at.
var asymmetric = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384,
	jose.PS512, jose.ES256, jose.ES384, jose.ES512, jose.EdDSA}

// Verify checks token and returns its claims, or an *Error.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if len(token) > MaxTokenBytes {
		return nil, ErrOversized
	}
	tok, err := jwt.ParseSigned(token, asymmetric)
	if err != nil {
		if strings.Contains(err.Error(), "unexpected signature algorithm") {
			return nil, ErrAlgorithm
		}
		return nil, ErrMalformed
	}
	if len(tok.Headers) != 1 {
		return nil, ErrMalformed
	}
	std, extra, err := v.verifySignature(ctx, tok, tok.Headers[0])
	if err != nil {
		return nil, err
	}
	if err := v.validate(std); err != nil {
		return nil, err
	}
	return &Claims{Subject: std.Subject, Scopes: extra.scopes(), Expiry: std.Expiry.Time()}, nil
}

// verifySignature tries the keys the source offers for the header's kid
// whose algorithms include the header's alg.
func (v *Verifier) verifySignature(ctx context.Context, tok *jwt.JSONWebToken, h jose.Header) (jwt.Claims, scopeClaims, error) {
	var std jwt.Claims
	var extra scopeClaims
	keys, err := v.opts.Keys.Keys(ctx, h.KeyID)
	if err != nil {
		return std, extra, err
	}
	alg := jose.SignatureAlgorithm(h.Algorithm)
	fits := slices.DeleteFunc(slices.Clone(keys), func(k Key) bool { return !slices.Contains(k.Algs, alg) })
	if len(fits) == 0 {
		return std, extra, ErrAlgorithm
	}
	for _, k := range fits {
		if tok.Claims(k.Public, &std, &extra) == nil {
			return std, extra, nil
		}
	}
	return std, extra, ErrSignature
}

func (v *Verifier) validate(c jwt.Claims) error {
	if c.Expiry == nil {
		return ErrMissingExpiry
	}
	err := c.ValidateWithLeeway(jwt.Expected{Issuer: v.opts.Issuer, AnyAudience: v.opts.Audience, Time: v.opts.Now()}, v.opts.ClockSkew)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jwt.ErrExpired):
		return ErrExpired
	case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return ErrNotYetValid
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return ErrIssuer
	case errors.Is(err, jwt.ErrInvalidAudience):
		return ErrAudience
	}
	return ErrMalformed
}

// scopeClaims reads scopes from "scope" (RFC 8693/9068: space-separated)
// or "scp" (a list or a string, as some providers issue).
type scopeClaims struct {
	Scope string `json:"scope"`
	Scp   any    `json:"scp"`
}

func (s scopeClaims) scopes() []string {
	out := strings.Fields(s.Scope)
	switch scp := s.Scp.(type) {
	case string:
		out = append(out, strings.Fields(scp)...)
	case []any:
		for _, x := range scp {
			if str, ok := x.(string); ok && str != "" && !strings.ContainsAny(str, " \t") {
				out = append(out, str)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
