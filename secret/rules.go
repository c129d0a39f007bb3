package secret

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/hushmcp/hush/redact"
	"github.com/hushmcp/hush/secret/driver"
)

// Formats lists the values Rules.Format accepts besides "".
var Formats = []string{"url", "pem-public-key", "base64", "json"}

// minRedactLen is the redactor's minimum match length: shorter values are
// not scrubbed from output, because matching them would mangle ordinary
// text.
const minRedactLen = redact.MinLen

// maxListedFields caps how many unknown field names one problem lists, so a
// hostile or mistaken document cannot flood the report.
const maxListedFields = 5

var (
	namePattern      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	fieldNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,64}$`)
)

// finding is a problem before it is attributed to a secret.
type finding struct{ rule, detail string }

// Check validates b against every rule and returns all problems, in rule
// order; nil means the value passes. An empty value fails "required" unless
// the secret is optional, and no other rule is checked on it. Problems never
// hold any part of b nor its length; they may hold configured text (bounds,
// schemes, field names), byte offsets, and JSON field names that look like
// identifiers. Safe for concurrent use.
func (r Rules) Check(name, pos string, b []byte) []Problem {
	if len(b) == 0 {
		if r.Optional {
			return nil
		}
		return []Problem{{Secret: name, Pos: pos, Rule: "required", Detail: "empty"}}
	}
	var ps []Problem
	for _, f := range append(r.lengthFindings(b), r.formatFindings(b)...) {
		ps = append(ps, Problem{Secret: name, Pos: pos, Rule: f.rule, Detail: f.detail})
	}
	return ps
}

func (r Rules) lengthFindings(b []byte) []finding {
	var fs []finding
	if r.MinLength > 0 && len(b) < r.MinLength {
		fs = append(fs, finding{"min_length", fmt.Sprintf("too short (min %d)", r.MinLength)})
	}
	if r.MaxLength > 0 && len(b) > r.MaxLength {
		fs = append(fs, finding{"max_length", fmt.Sprintf("too long (max %d)", r.MaxLength)})
	}
	// The configured prefix is not shown: a value that is a fragment of it
	// would otherwise appear in the report.
	if r.Prefix != "" && !bytes.HasPrefix(b, []byte(r.Prefix)) {
		fs = append(fs, finding{"prefix", "does not start with the required prefix"})
	}
	return fs
}

func (r Rules) formatFindings(b []byte) []finding {
	switch r.Format {
	case "":
		return nil
	case "url":
		return r.checkURL(b)
	case "pem-public-key":
		return one("format", checkPublicKeyPEM(b))
	case "base64":
		return one("format", checkBase64(b))
	case "json":
		return r.checkJSON(b)
	}
	return one("format", fmt.Sprintf("unknown format %q", r.Format))
}

// one wraps a single detail; an empty detail means no finding.
func one(rule, detail string) []finding {
	if detail == "" {
		return nil
	}
	return []finding{{rule, detail}}
}

// checkURL never reports url.Parse errors: they quote the input.
func (r Rules) checkURL(b []byte) []finding {
	u, err := url.Parse(string(b))
	if err != nil {
		return one("format", "not a valid URL")
	}
	if u.Scheme == "" || u.Host == "" {
		return one("format", "not an absolute URL with a host")
	}
	if len(r.Schemes) > 0 && !slices.ContainsFunc(r.Schemes, func(s string) bool {
		return strings.EqualFold(s, u.Scheme)
	}) {
		return one("schemes", "scheme not allowed (allowed: "+strings.Join(r.Schemes, ", ")+")")
	}
	return nil
}

// checkPublicKeyPEM accepts the first PUBLIC KEY block that parses as a PKIX
// public key. A private key block is called out: putting one where a public
// key belongs is a mistake worth naming.
func checkPublicKeyPEM(b []byte) string {
	rest, sawPrivate := b, false
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type == "PUBLIC KEY" {
			if _, err := x509.ParsePKIXPublicKey(blk.Bytes); err != nil {
				return "PUBLIC KEY block does not hold a valid public key"
			}
			return ""
		}
		sawPrivate = sawPrivate || strings.Contains(blk.Type, "PRIVATE KEY")
	}
	if sawPrivate {
		return "holds a private key, not a public key"
	}
	return "no PEM PUBLIC KEY block"
}

var base64Encodings = []*base64.Encoding{
	base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding,
}

func checkBase64(b []byte) string {
	for _, enc := range base64Encodings {
		if _, err := enc.DecodeString(string(b)); err == nil {
			return ""
		}
	}
	return "not valid base64"
}

func (r Rules) checkJSON(b []byte) []finding {
	obj, detail := decodeObject(b)
	if detail != "" {
		return one("format", detail)
	}
	var fs []finding
	for _, f := range r.Fields {
		if _, ok := obj[f]; !ok {
			fs = append(fs, finding{"fields", fmt.Sprintf("missing field %q", f)})
		}
	}
	if r.Strict {
		fs = append(fs, one("strict", unknownFields(obj, r.Fields))...)
	}
	return fs
}

// decodeObject parses a JSON object. Its messages are fixed text plus a byte
// offset, because encoding/json errors may quote the input.
func decodeObject(b []byte) (map[string]json.RawMessage, string) {
	var obj map[string]json.RawMessage
	err := json.Unmarshal(b, &obj)
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return nil, fmt.Sprintf("not valid JSON (at byte %d)", syn.Offset)
	case err != nil || obj == nil:
		return nil, "not a JSON object"
	}
	return obj, ""
}

// unknownFields names fields of obj not in allowed. Names that do not look
// like identifiers are counted, not shown: a field name could be a value.
func unknownFields(obj map[string]json.RawMessage, allowed []string) string {
	var shown []string
	hidden := 0
	for k := range obj {
		switch {
		case slices.Contains(allowed, k):
		case fieldNamePattern.MatchString(k):
			shown = append(shown, fmt.Sprintf("%q", k))
		default:
			hidden++
		}
	}
	sort.Strings(shown)
	if len(shown) > maxListedFields {
		hidden += len(shown) - maxListedFields
		shown = shown[:maxListedFields]
	}
	return describeUnknown(shown, hidden)
}

func describeUnknown(shown []string, hidden int) string {
	switch {
	case len(shown) == 0 && hidden == 0:
		return ""
	case len(shown) == 0:
		return fmt.Sprintf("%d unknown fields", hidden)
	case hidden == 0:
		return "unknown fields " + strings.Join(shown, ", ")
	}
	return fmt.Sprintf("unknown fields %s and %d more", strings.Join(shown, ", "), hidden)
}

// Lint reports problems in the declaration itself, before any value is
// fetched: an invalid name, a malformed reference, and rules that are
// unknown, contradictory or cannot apply. It returns all of them at once.
func (d Decl) Lint() []Problem {
	var fs []finding
	if !namePattern.MatchString(d.Name) {
		fs = append(fs, finding{"name", "invalid name (want letters, digits and _, not starting with a digit)"})
	}
	if _, err := ParseRef(d.From); err != nil {
		fs = append(fs, finding{"from", err.Error()})
	}
	fs = append(fs, d.Rules.lintLengths()...)
	fs = append(fs, d.Rules.lintFormat()...)
	ps := make([]Problem, 0, len(fs))
	for _, f := range fs {
		ps = append(ps, Problem{Secret: d.Name, Pos: d.Pos, Rule: f.rule, Detail: f.detail})
	}
	return ps
}

func (r Rules) lintLengths() []finding {
	var fs []finding
	if r.MinLength < 0 {
		fs = append(fs, finding{"min_length", "must not be negative"})
	}
	if r.MaxLength < 0 {
		fs = append(fs, finding{"max_length", "must not be negative"})
	}
	if r.MaxLength > 0 && r.MinLength > r.MaxLength {
		fs = append(fs, finding{"min_length", fmt.Sprintf("min_length %d is greater than max_length %d", r.MinLength, r.MaxLength)})
	}
	if r.MaxLength > 0 && len(r.Prefix) > r.MaxLength {
		fs = append(fs, finding{"prefix", fmt.Sprintf("prefix is longer than max_length %d", r.MaxLength)})
	}
	return fs
}

func (r Rules) lintFormat() []finding {
	var fs []finding
	if r.Format != "" && !slices.Contains(Formats, r.Format) {
		fs = append(fs, finding{"format", fmt.Sprintf("unknown format %q (valid: %s)", r.Format, strings.Join(Formats, ", "))})
	}
	if len(r.Schemes) > 0 && r.Format != "url" {
		fs = append(fs, finding{"schemes", "applies only to format url"})
	}
	if len(r.Fields) > 0 && r.Format != "json" {
		fs = append(fs, finding{"fields", "applies only to format json"})
	}
	if r.Strict && r.Format != "json" {
		fs = append(fs, finding{"strict", "applies only to format json"})
	}
	if r.Strict && r.Format == "json" && len(r.Fields) == 0 {
		fs = append(fs, finding{"strict", "needs fields (strict without fields allows only {})"})
	}
	return fs
}

// ShortForRedaction reports whether b is too short for the output redactor
// to scrub (fewer than 8 bytes, the redactor's minimum). Such a secret can
// appear verbatim in output, so callers warn about it.
func ShortForRedaction(b []byte) bool { return len(b) < minRedactLen }

// SelectField returns the top-level field of the JSON object doc, for the
// #field fragment of a reference. A string field yields its decoded bytes, a
// number its literal text, and any other value (object, array, bool) compact
// JSON. A missing or null field is an error wrapping driver.ErrNotFound; a
// doc that is not a JSON object is an error wrapping driver.ErrInvalid.
// Errors name the field, never any part of doc.
func SelectField(doc []byte, field string) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(doc, &obj); err != nil || obj == nil {
		return nil, fmt.Errorf("not a JSON object: %w", driver.ErrInvalid)
	}
	raw, ok := obj[field]
	if !ok || string(raw) == "null" {
		return nil, fmt.Errorf("field %q: %w", field, driver.ErrNotFound)
	}
	return fieldBytes(raw)
}

// fieldBytes turns one JSON value into the bytes a consumer uses.
func fieldBytes(raw json.RawMessage) ([]byte, error) {
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("field is not a valid JSON string: %w", driver.ErrInvalid)
		}
		return []byte(s), nil
	case '{', '[':
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return nil, fmt.Errorf("field is not valid JSON: %w", driver.ErrInvalid)
		}
		return buf.Bytes(), nil
	}
	return append([]byte(nil), raw...), nil
}
