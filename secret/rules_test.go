package secret

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hushmcp/hush/secret/driver"
)

// rulesCanary is an obviously fake secret embedded in the values under test.
const rulesCanary = "canary-pw-7f3a9c-NOT-REAL"

// assertNoFragment fails if any text holds a fragment of secret of n bytes
// or more. Checking every n-byte window suffices: a longer fragment contains
// one. Neither the secret nor the text is printed.
func assertNoFragment(t reporter, secret string, n int, texts ...string) {
	t.Helper()
	for i, text := range texts {
		for j := 0; j+n <= len(secret); j++ {
			if strings.Contains(text, secret[j:j+n]) {
				t.Errorf("output %d holds a %d-byte fragment of the secret (offset %d)", i, n, j)
				return
			}
		}
	}
}

// reporter is the part of testing.TB that assertNoFragment uses, so that
// its own test can record failures.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

type failRecorder struct{ failures int }

func (*failRecorder) Helper()                 {}
func (r *failRecorder) Errorf(string, ...any) { r.failures++ }

func TestAssertNoFragmentDetectsLeaks(t *testing.T) {
	for _, tt := range []struct {
		text string
		want int
	}{
		{"clean text", 0},
		{"user saw canary-pw here", 1},
		{"tail: -REAL", 1},
		{"two words pw-7 and 9c-N", 1}, // reports once per output
		{"can ary", 0},
	} {
		var r failRecorder
		assertNoFragment(&r, rulesCanary, 4, tt.text)
		if r.failures != tt.want {
			t.Errorf("text %q: %d failures, want %d", tt.text, r.failures, tt.want)
		}
	}
}

func problemTexts(ps []Problem) []string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Error())
	}
	return s
}

func problemRules(ps []Problem) []string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Rule)
	}
	return s
}

func TestCheckRules(t *testing.T) {
	c := rulesCanary
	tests := []struct {
		name   string
		rules  Rules
		value  string
		want   []string // rules that fail, in order
		detail string   // detail of the first problem, if any
	}{
		{"required empty", Rules{}, "", []string{"required"}, "empty"},
		{"optional empty", Rules{Optional: true, MinLength: 30, Format: "json"}, "", nil, ""},
		{"zero rules pass", Rules{}, c, nil, ""},
		{"min pass", Rules{MinLength: len(c)}, c, nil, ""},
		{"min fail", Rules{MinLength: 64}, c, []string{"min_length"}, "too short (min 64)"},
		{"max pass", Rules{MaxLength: len(c)}, c, nil, ""},
		{"max fail", Rules{MaxLength: 16}, c, []string{"max_length"}, "too long (max 16)"},
		{"prefix pass", Rules{Prefix: "canary-"}, c, nil, ""},
		{"prefix fail", Rules{Prefix: "sk_live_"}, c, []string{"prefix"}, "does not start with the required prefix"},
		{"url pass", Rules{Format: "url"}, "postgres://app:" + c + "@db.internal:5432/app", nil, ""},
		{"url unparsable", Rules{Format: "url"}, "postgres://app:" + c + "%zz@db/app", []string{"format"}, "not a valid URL"},
		{"url no host", Rules{Format: "url"}, "postgres:///app?password=" + c, []string{"format"}, "not an absolute URL with a host"},
		{"url relative", Rules{Format: "url"}, c, []string{"format"}, "not an absolute URL with a host"},
		{"scheme pass", Rules{Format: "url", Schemes: []string{"postgres", "postgresql"}}, "POSTGRESQL://u:" + c + "@db/app", nil, ""},
		{"scheme fail", Rules{Format: "url", Schemes: []string{"postgres", "postgresql"}}, "mysql://u:" + c + "@db/app",
			[]string{"schemes"}, "scheme not allowed (allowed: postgres, postgresql)"},
		{"base64 std", Rules{Format: "base64"}, base64.StdEncoding.EncodeToString([]byte(c + "\xff\xfe")), nil, ""},
		{"base64 raw url", Rules{Format: "base64"}, base64.RawURLEncoding.EncodeToString([]byte(c + "\xff\xfe")), nil, ""},
		{"base64 fail", Rules{Format: "base64"}, c + "!", []string{"format"}, "not valid base64"},
		{"json pass", Rules{Format: "json", Fields: []string{"username", "password"}, Strict: true},
			`{"username":"app","password":"` + c + `"}`, nil, ""},
		{"json syntax", Rules{Format: "json"}, `{"password":"` + c + `",}`, []string{"format"}, "not valid JSON (at byte 41)"},
		{"json array", Rules{Format: "json"}, `["` + c + `"]`, []string{"format"}, "not a JSON object"},
		{"json null", Rules{Format: "json"}, `null`, []string{"format"}, "not a JSON object"},
		{"json missing", Rules{Format: "json", Fields: []string{"username", "password"}}, `{"password":"` + c + `"}`,
			[]string{"fields"}, `missing field "username"`},
		{"json strict", Rules{Format: "json", Fields: []string{"password"}, Strict: true},
			`{"password":"` + c + `","port":5432,"host":"db"}`, []string{"strict"}, `unknown fields "host", "port"`},
		{"unknown format", Rules{Format: "yaml"}, c, []string{"format"}, `unknown format "yaml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := tt.rules.Check("DB", "hush.yaml:3:5", []byte(tt.value))
			if got := problemRules(ps); !slices.Equal(got, tt.want) {
				t.Fatalf("failed rules = %v, want %v", got, tt.want)
			}
			if len(ps) > 0 && ps[0].Detail != tt.detail {
				t.Errorf("detail = %q, want %q", ps[0].Detail, tt.detail)
			}
			for _, p := range ps {
				if p.Secret != "DB" || p.Pos != "hush.yaml:3:5" {
					t.Errorf("problem names secret %q at %q, want DB at hush.yaml:3:5", p.Secret, p.Pos)
				}
			}
			assertNoFragment(t, rulesCanary, 4, problemTexts(ps)...)
		})
	}
}

func TestCheckReportsAllProblemsAtOnce(t *testing.T) {
	r := Rules{MinLength: 200, Prefix: "{\"kind\"", Format: "json", Fields: []string{"username", "password"}, Strict: true}
	value := `{"password":"` + rulesCanary + `","token":"x"}`
	ps := r.Check("CREDS", "", []byte(value))
	want := []string{"min_length", "prefix", "fields", "strict"}
	if got := problemRules(ps); !slices.Equal(got, want) {
		t.Fatalf("failed rules = %v, want %v", got, want)
	}
	if got := ps[0].Error(); got != `secret "CREDS": min_length: too short (min 200)` {
		t.Errorf("Error() = %q", got)
	}
	assertNoFragment(t, rulesCanary, 4, problemTexts(ps)...)
}

func TestCheckDoesNotRevealLength(t *testing.T) {
	value := strings.Repeat("x", 37) // an unusual length to search for
	ps := Rules{MinLength: 64, Format: "base64", Prefix: "y"}.Check("K", "", []byte(value))
	if len(ps) != 3 {
		t.Fatalf("got %d problems, want 3", len(ps))
	}
	for _, s := range problemTexts(ps) {
		if strings.Contains(s, "37") {
			t.Errorf("problem reveals the value's length: %q", s)
		}
	}
}

func TestCheckStrictHidesOddFieldNamesAndCapsList(t *testing.T) {
	doc := `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"` + rulesCanary + ` x":7,"k":8}`
	ps := Rules{Format: "json", Fields: []string{"k"}, Strict: true}.Check("J", "", []byte(doc))
	if len(ps) != 1 {
		t.Fatalf("got %d problems, want 1", len(ps))
	}
	want := `unknown fields "a", "b", "c", "d", "e" and 2 more`
	if ps[0].Detail != want {
		t.Errorf("detail = %q, want %q", ps[0].Detail, want)
	}
}

func pemBlock(t *testing.T, typ string, der []byte) string {
	t.Helper()
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func TestCheckPEMPublicKey(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPub, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaPub, err := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	ecPriv, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	ecSEC1, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, value, detail string }{
		{"ecdsa", pemBlock(t, "PUBLIC KEY", ecPub), ""},
		{"rsa", pemBlock(t, "PUBLIC KEY", rsaPub), ""},
		{"after other blocks", "comment\n" + pemBlock(t, "CERTIFICATE", []byte("junk")) + pemBlock(t, "PUBLIC KEY", rsaPub), ""},
		{"pkcs8 private", pemBlock(t, "PRIVATE KEY", ecPriv), "holds a private key, not a public key"},
		{"sec1 private", pemBlock(t, "EC PRIVATE KEY", ecSEC1), "holds a private key, not a public key"},
		{"garbage in block", pemBlock(t, "PUBLIC KEY", []byte(rulesCanary)), "PUBLIC KEY block does not hold a valid public key"},
		{"not pem", rulesCanary, "no PEM PUBLIC KEY block"},
		{"truncated", pemBlock(t, "PUBLIC KEY", ecPub)[:60], "no PEM PUBLIC KEY block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := Rules{Format: "pem-public-key"}.Check("JWT", "", []byte(tt.value))
			if tt.detail == "" {
				if len(ps) != 0 {
					t.Fatalf("problems %v, want none", problemRules(ps))
				}
				return
			}
			if len(ps) != 1 || ps[0].Rule != "format" || ps[0].Detail != tt.detail {
				t.Fatalf("got rules %v (first detail %q), want one format problem %q", problemRules(ps), firstDetail(ps), tt.detail)
			}
			assertNoFragment(t, rulesCanary, 4, problemTexts(ps)...)
			// PEM armour shares words with the messages; the key body must not appear.
			assertNoFragment(t, pemBody(tt.value), 8, problemTexts(ps)...)
		})
	}
}

func firstDetail(ps []Problem) string {
	if len(ps) == 0 {
		return ""
	}
	return ps[0].Detail
}

// pemBody is the base64 text of a PEM document without its armour lines.
func pemBody(s string) string {
	var body []string
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(line, "-----") {
			body = append(body, line)
		}
	}
	return strings.Join(body, "")
}

func TestLint(t *testing.T) {
	good := Decl{Name: "DB_URL", From: "env://DB_URL", Rules: Rules{Format: "url", Schemes: []string{"postgres"}, MinLength: 10, MaxLength: 200}}
	tests := []struct {
		name   string
		decl   Decl
		want   []string
		detail string
	}{
		{"good", good, nil, ""},
		{"good json", Decl{Name: "_x1", From: "file:///run/s.json#p", Rules: Rules{Format: "json", Fields: []string{"p"}, Strict: true}}, nil, ""},
		{"bad name", Decl{Name: "1DB", From: "env://X"}, []string{"name"}, "invalid name (want letters, digits and _, not starting with a digit)"},
		{"dashed name", Decl{Name: "DB-URL", From: "env://X"}, []string{"name"}, ""},
		{"empty name", Decl{From: "env://X"}, []string{"name"}, ""},
		{"empty from", Decl{Name: "X"}, []string{"from"}, "empty reference"},
		{"userinfo from", Decl{Name: "X", From: "vault://root:" + rulesCanary + "@secret/app"}, []string{"from"}, "reference must not contain userinfo"},
		{"unknown format", Decl{Name: "X", From: "env://X", Rules: Rules{Format: "yaml"}}, []string{"format"},
			`unknown format "yaml" (valid: url, pem-public-key, base64, json)`},
		{"negative", Decl{Name: "X", From: "env://X", Rules: Rules{MinLength: -1, MaxLength: -2}}, []string{"min_length", "max_length"}, "must not be negative"},
		{"min over max", Decl{Name: "X", From: "env://X", Rules: Rules{MinLength: 32, MaxLength: 16}}, []string{"min_length"},
			"min_length 32 is greater than max_length 16"},
		{"prefix over max", Decl{Name: "X", From: "env://X", Rules: Rules{Prefix: "-----BEGIN", MaxLength: 4}}, []string{"prefix"},
			"prefix is longer than max_length 4"},
		{"schemes without url", Decl{Name: "X", From: "env://X", Rules: Rules{Schemes: []string{"https"}}}, []string{"schemes"}, "applies only to format url"},
		{"fields without json", Decl{Name: "X", From: "env://X", Rules: Rules{Format: "url", Fields: []string{"a"}, Strict: true}},
			[]string{"fields", "strict"}, "applies only to format json"},
		{"strict without fields", Decl{Name: "X", From: "env://X", Rules: Rules{Format: "json", Strict: true}}, []string{"strict"}, ""},
		{"all at once", Decl{Name: "9", From: "nope", Rules: Rules{MinLength: -1, Format: "toml", Schemes: []string{"x"}}},
			[]string{"name", "from", "min_length", "format", "schemes"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.decl.Pos = "hush.yaml:9:3"
			ps := tt.decl.Lint()
			if got := problemRules(ps); !slices.Equal(got, tt.want) {
				t.Fatalf("rules = %v, want %v", got, tt.want)
			}
			if tt.detail != "" && ps[0].Detail != tt.detail {
				t.Errorf("detail = %q, want %q", ps[0].Detail, tt.detail)
			}
			for _, p := range ps {
				if p.Secret != tt.decl.Name || p.Pos != "hush.yaml:9:3" {
					t.Errorf("problem names %q at %q", p.Secret, p.Pos)
				}
			}
			assertNoFragment(t, rulesCanary, 4, problemTexts(ps)...)
		})
	}
}

func TestShortForRedaction(t *testing.T) {
	for _, tt := range []struct {
		n    int
		want bool
	}{{0, true}, {7, true}, {8, false}, {64, false}} {
		if got := ShortForRedaction(make([]byte, tt.n)); got != tt.want {
			t.Errorf("ShortForRedaction(%d bytes) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

func TestSelectField(t *testing.T) {
	doc := `{"password":"` + rulesCanary + `\u00e9\n","port":5432,"ratio":1.5e3,"tls":true,` +
		`"opts":{ "a" : [1, 2] },"list":[ "x" ],"gone":null}`
	tests := []struct{ field, want string }{
		{"password", rulesCanary + "é\n"},
		{"port", "5432"},
		{"ratio", "1.5e3"},
		{"tls", "true"},
		{"opts", `{"a":[1,2]}`},
		{"list", `["x"]`},
	}
	for _, tt := range tests {
		got, err := SelectField([]byte(doc), tt.field)
		if err != nil {
			t.Errorf("field %q: %v", tt.field, err)
			continue
		}
		if string(got) != tt.want {
			// Only non-secret fields can mismatch visibly; the password case compares by length.
			t.Errorf("field %q: got %d bytes, want %d", tt.field, len(got), len(tt.want))
		}
	}
}

func TestSelectFieldErrors(t *testing.T) {
	tests := []struct {
		name, doc, field string
		code             error
		msg              string
	}{
		{"missing", `{"user":"` + rulesCanary + `"}`, "password", driver.ErrNotFound, `field "password": not found`},
		{"null", `{"password":null,"x":"` + rulesCanary + `"}`, "password", driver.ErrNotFound, `field "password": not found`},
		{"array", `["` + rulesCanary + `"]`, "password", driver.ErrInvalid, "not a JSON object: invalid"},
		{"string", `"` + rulesCanary + `"`, "password", driver.ErrInvalid, "not a JSON object: invalid"},
		{"null doc", `null`, "password", driver.ErrInvalid, "not a JSON object: invalid"},
		{"raw", rulesCanary, "password", driver.ErrInvalid, "not a JSON object: invalid"},
		{"syntax", `{"password":"` + rulesCanary + `"`, "password", driver.ErrInvalid, "not a JSON object: invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SelectField([]byte(tt.doc), tt.field)
			if got != nil || !errors.Is(err, tt.code) {
				t.Fatalf("got %d bytes, err %v; want error wrapping %v", len(got), err, tt.code)
			}
			if err.Error() != tt.msg {
				t.Errorf("error = %q, want %q", err, tt.msg)
			}
		})
	}
}
