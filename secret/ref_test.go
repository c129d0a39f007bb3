package secret

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

const refCanary = "canary-ref-51d0e2-NOT-REAL"

func TestParseRef(t *testing.T) {
	tests := []struct {
		in   string
		want Ref
	}{
		{"env://DATABASE_URL", Ref{Scheme: "env", Host: "DATABASE_URL", Query: url.Values{}}},
		{"ENV://X", Ref{Scheme: "env", Host: "X", Query: url.Values{}}},
		{"file:///run/secrets/db/password", Ref{Scheme: "file", Path: "/run/secrets/db/password", Query: url.Values{}}},
		// A relative file path parses with its first segment as host; the
		// file opener is the one that rejects it.
		{"file://relative/pw", Ref{Scheme: "file", Host: "relative", Path: "/pw", Query: url.Values{}}},
		{"file:///run/s/db.json#password", Ref{Scheme: "file", Path: "/run/s/db.json", Query: url.Values{}, Field: "password"}},
		{"vault://mount/path?version=3#f", Ref{Scheme: "vault", Host: "mount", Path: "/path",
			Query: url.Values{"version": {"3"}}, Field: "f"}},
		// A host cannot hold an escaped slash, so a secret name with
		// slashes splits into host and path.
		{"awssm://prod/db?stage=AWSPREVIOUS", Ref{Scheme: "awssm", Host: "prod", Path: "/db",
			Query: url.Values{"stage": {"AWSPREVIOUS"}}}},
	}
	for _, tt := range tests {
		got, err := ParseRef(tt.in)
		if err != nil {
			t.Errorf("ParseRef(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseRef(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseRefErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"", "empty reference"},
		{"awssm://prod%2Fdb", "malformed reference (want scheme://...)"},
		{"DATABASE_URL", "malformed reference (want scheme://...)"},
		{"/run/secrets/pw", "malformed reference (want scheme://...)"},
		{"env:DATABASE_URL", "malformed reference (want scheme://...)"},
		{"://x", "malformed reference (want scheme://...)"},
		{"vault://root:" + refCanary + "@secret/app", "reference must not contain userinfo"},
		{"vault://" + refCanary + "@secret/app", "reference must not contain userinfo"},
		{"postgres://app:" + url.QueryEscape(refCanary+"/?#") + "@db:5432/app", "reference must not contain userinfo"},
		{"vault://secret/app?token=%zz" + refCanary, "malformed query in reference"},
	}
	for _, tt := range tests {
		_, err := ParseRef(tt.in)
		if err == nil {
			t.Errorf("ParseRef(case %q): no error", tt.msg)
			continue
		}
		if err.Error() != tt.msg {
			t.Errorf("error = %q, want %q", err, tt.msg)
		}
		assertNoFragment(t, refCanary, 4, err.Error())
	}
}

func TestRefStringRoundTrip(t *testing.T) {
	for _, in := range []string{
		"env://DATABASE_URL",
		"file:///run/secrets/db/password",
		"file:///run/a%20dir/db.json#pass%20word",
		"vault://secret/data/app?version=3#password",
		"awssm://prod/db?stage=AWSPREVIOUS&region=eu-west-1",
		"x:/only-path",
		"x://",
	} {
		r, err := ParseRef(in)
		if err != nil {
			t.Fatalf("ParseRef(%q): %v", in, err)
		}
		again, err := ParseRef(r.String())
		if err != nil {
			t.Fatalf("ParseRef(%q) (from %q): %v", r.String(), in, err)
		}
		if !reflect.DeepEqual(again, r) {
			t.Errorf("%q -> %q parses to %#v, want %#v", in, r.String(), again, r)
		}
	}
}

func TestRefStringCanonical(t *testing.T) {
	r, err := ParseRef("VAULT://secret/app?version=3&mount=kv#password")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.String(), "vault://secret/app?mount=kv&version=3#password"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestCheckParams(t *testing.T) {
	r, err := ParseRef("vault://secret/app?version=3&tokn=x&zone=1")
	if err != nil {
		t.Fatal(err)
	}
	err = r.CheckParams("version", "namespace")
	want := "unknown query parameter tokn, zone for vault:// (valid: version, namespace)"
	if err == nil || err.Error() != want {
		t.Errorf("CheckParams = %v, want %q", err, want)
	}
	if err := r.CheckParams("version", "tokn", "zone"); err != nil {
		t.Errorf("CheckParams with all allowed = %v", err)
	}
	env, _ := ParseRef("env://X?trim=1")
	if err := env.CheckParams(); err == nil || !strings.HasSuffix(err.Error(), "(valid: none)") {
		t.Errorf("CheckParams() = %v, want valid: none", err)
	}
	plain, _ := ParseRef("env://X")
	if err := plain.CheckParams(); err != nil {
		t.Errorf("CheckParams() without query = %v", err)
	}
}

// A query parameter name that is not shaped like one may be a misplaced
// credential: it is counted, never shown.
func TestCheckParamsHidesOddNames(t *testing.T) {
	r, err := ParseRef("vault://secret/app?" + refCanary + "&Tokn=1&zone=" + refCanary)
	if err != nil {
		t.Fatal(err)
	}
	err = r.CheckParams("version")
	want := "unknown query parameter zone, 2 not shown for vault:// (valid: version)"
	if err == nil || err.Error() != want {
		t.Errorf("CheckParams = %q, want %q", err, want)
	}
}
