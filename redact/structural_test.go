package redact

import (
	"strings"
	"testing"
)

const (
	testPEMBody = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n" +
		"c2VjcmV0LWtleS1tYXRlcmlhbC1ub3QtcmVhbC1jYW5hcnkK\n" +
		"Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==\n"
	testPublicKey = "-----BEGIN PUBLIC KEY-----\n" +
		"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n" +
		"-----END PUBLIC KEY-----\n"
)

// testJWT is JWT-shaped and fake: {"alg":"HS256"}.{"sub":"canary"}.fake.
const testJWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnLW5vdC1yZWFs"

func pemBlock(label, body string) string {
	return "-----BEGIN " + label + "-----\n" + body + "-----END " + label + "-----"
}

func TestStructural(t *testing.T) {
	r := New(Options{})
	tests := []struct{ name, in, want string }{
		// URL userinfo, any scheme.
		{"postgres url", "dsn=postgres://app:canary-pw-1@db:5432/x?sslmode=off", "dsn=postgres://[REDACTED]@db:5432/x?sslmode=off"},
		{"redis password only", `"url":"redis://:canary-pw-3@cache:6379/0"`, `"url":"redis://[REDACTED]@cache:6379/0"`},
		{"token as user", "clone https://canary-tok-4@github.com/o/r.git", "clone https://[REDACTED]@github.com/o/r.git"},
		{"at in password", "mysql://u:p@ss@h/db", "mysql://[REDACTED]@h/db"},
		{"scheme with plus", "git+ssh://git:pw@host/repo", "git+ssh://[REDACTED]@host/repo"},
		{"at in path is not userinfo", "GET https://example.com/users/a@b.com", "GET https://example.com/users/a@b.com"},
		{"at in query is not userinfo", "https://example.com/?email=a@b.com", "https://example.com/?email=a@b.com"},
		{"email untouched", "mail sent to ops@example.com", "mail sent to ops@example.com"},
		// key/value DSN passwords.
		{"libpq dsn", "host=db password=xyz user=a", "host=db password=[REDACTED] user=a"},
		{"ado dsn", "Server=db;User Id=u;Password=xyz;Database=d", "Server=db;User Id=u;Password=[REDACTED];Database=d"},
		{"quoted", "host=db password='a b c' user=a", "host=db password='[REDACTED]' user=a"},
		{"double quoted", `password="a \" b" next`, `password="[REDACTED]" next`},
		{"json escaped quotes", `{"msg":"dsn password=\"a b\" user=x"}`, `{"msg":"dsn password=\"[REDACTED]\" user=x"}`},
		{"json string end", `{"dsn":"host=db pwd=abc"}`, `{"dsn":"host=db pwd=[REDACTED]"}`},
		{"spaces around equals", "Pwd = abc; x=1", "Pwd = [REDACTED]; x=1"},
		{"env var", "PGPASSWORD=abc psql", "PGPASSWORD=[REDACTED] psql"},
		{"passwd", "passwd=abc", "passwd=[REDACTED]"},
		{"query parameter", "/login?user=u&password=abc&next=/", "/login?user=u&password=[REDACTED]&next=/"},
		{"empty value", "Password=;Server=x", "Password=;Server=x"},
		{"libpq spaces after equals", "password= abc user=a", "password= [REDACTED] user=a"},
		{"other key", "password_hint=blue", "password_hint=blue"},
		{"prose", "passwords are hashed", "passwords are hashed"},
		// Authorization headers and Bearer tokens.
		{"bearer header", "Authorization: Bearer abc.def.ghi", "Authorization: Bearer [REDACTED]"},
		{"basic header crlf", "authorization: Basic dXNlcjpwYXNz\r\nHost: x", "authorization: Basic [REDACTED]\r\nHost: x"},
		{"json header", `{"Authorization":"Token abc123","a":1}`, `{"Authorization":"Token [REDACTED]","a":1}`},
		{"go header map", "map[Accept:[*/*] Authorization:[Bearer xyz]]", "map[Accept:[*/*] Authorization:[Bearer [REDACTED]]]"},
		{"bare credential", "Authorization: canary-key-5", "Authorization: [REDACTED]"},
		{"upper case key", "AUTHORIZATION=abc def", "AUTHORIZATION=abc [REDACTED]"},
		{"proxy header", "Proxy-Authorization: Basic abc", "Proxy-Authorization: Basic [REDACTED]"},
		{"aws sigv4", "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/x, Signature=abc\n", "Authorization: AWS4-HMAC-SHA256 [REDACTED]\n"},
		{"authorization prose", "authorization failed for user bob", "authorization failed for user bob"},
		{"organization", "organization: acme", "organization: acme"},
		{"bearer anywhere", "token=Bearer eyJhbGciOi.eyJzdWIi.sig rest", "token=Bearer [REDACTED] rest"},
		{"bearer lower, two spaces", "bearer  0123456789abcdef0123456789abcdef", "bearer  [REDACTED]"},
		{"bearer inside word", "forbearer 0123456789abcdef0123456789abcdef", "forbearer 0123456789abcdef0123456789abcdef"},
		{"bearer jwt", "call with Bearer " + testJWT + ", then", "call with Bearer [REDACTED], then"},
		{"bearer opaque 32", `{"msg":"bearer c2VjcmV0LXRva2VuLW5vdC1yZWFsLXh5eg== sent"}`, `{"msg":"bearer [REDACTED] sent"}`},
		{"bearer upper, tab", "BEARER\tAbCdEfGhIjKlMnOpQrStUvWxYz012345", "BEARER\t[REDACTED]"},
		{"bearer token of 16", "Bearer abcdefghijklmnop, x", "Bearer [REDACTED], x"},
		{"bearer word of 15", "Bearer abcdefghijklmno, x", "Bearer abcdefghijklmno, x"},
		// Prose about bearer tokens is not a credential.
		{"no bearer token", "401: no bearer token", "401: no bearer token"},
		{"no bearer token line", "401: no bearer token\n", "401: no bearer token\n"},
		{"bearer of bad news", "the Bearer of bad news", "the Bearer of bad news"},
		{"bearer authentication", "Bearer authentication failed: token expired", "Bearer authentication failed: token expired"},
		{"bearer at end", "send a bearer", "send a bearer"},
		{"bearer then punctuation", "scheme Bearer, realm=x", "scheme Bearer, realm=x"},
		{"bearer prose in header still redacted", "Authorization: Bearer of bad news", "Authorization: Bearer [REDACTED]"},
		// PEM private keys, whole blocks.
		{"rsa key", "key:\n" + pemBlock("RSA PRIVATE KEY", testPEMBody) + "\nnext", "key:\n[REDACTED]\nnext"},
		{"pkcs8 key", pemBlock("PRIVATE KEY", testPEMBody), "[REDACTED]"},
		{"encrypted key", pemBlock("ENCRYPTED PRIVATE KEY", testPEMBody), "[REDACTED]"},
		{"openssh key", pemBlock("OPENSSH PRIVATE KEY", testPEMBody), "[REDACTED]"},
		{"json escaped key", `{"key":"` + strings.ReplaceAll(pemBlock("EC PRIVATE KEY", testPEMBody), "\n", `\n`) + `\n"}`, `{"key":"[REDACTED]\n"}`},
		{"key with spaces for newlines", "K=" + strings.ReplaceAll(pemBlock("PRIVATE KEY", testPEMBody), "\n", " ") + " done", "K=[REDACTED] done"},
		{"truncated key", "-----BEGIN PRIVATE KEY-----\n" + testPEMBody + "time=2026 level=INFO\n", "[REDACTED]\ntime=2026 level=INFO\n"},
		{"truncated key in json", `{"k":"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq","n":1}`, `{"k":"[REDACTED]","n":1}`},
		{"headers", "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123\n\n" + testPEMBody, "[REDACTED]"},
		{"end without begin", "log: " + testPEMBody + "-----END PRIVATE KEY-----\nok", "log: [REDACTED]\nok"},
		{"end without begin in json", `{"k":"` + strings.ReplaceAll(testPEMBody, "\n", `\n`) + `-----END PRIVATE KEY-----"}`, `{"k":"[REDACTED]"}`},
		{"public key untouched", testPublicKey, testPublicKey},
		{"certificate untouched", pemBlock("CERTIFICATE", testPEMBody), pemBlock("CERTIFICATE", testPEMBody)},
		{"prose about keys", "load PRIVATE KEY-----", "load PRIVATE KEY-----"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := r.RedactString(tt.in); got != tt.want {
				t.Errorf("RedactString:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestStructuralDisabled(t *testing.T) {
	r := New(Options{DisableStructural: true})
	in := "postgres://app:canary-pw-1@db/x password=xyz"
	if got := r.RedactString(in); got != in {
		t.Errorf("got %q, want input unchanged", got)
	}
}
