package awssm

import (
	"context"
	"errors"
	"net/url"
	"testing"

	"github.com/hushmcp/hush/internal/testutil/awssmtest"
	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
)

func TestParseTarget(t *testing.T) {
	arn := "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/app/db-AbCdEf"
	ver := awssmtest.NewVersionID()
	good := []struct {
		ref  string
		want target
	}{
		{"awssm://db", target{id: "db", stage: "AWSCURRENT"}},
		{"awssm://prod/app/db", target{id: "prod/app/db", stage: "AWSCURRENT"}},
		{"awssm:///prod/app/db", target{id: "prod/app/db", stage: "AWSCURRENT"}},
		{"awssm://My_Secret+x=y.z-1", target{id: "My_Secret+x=y.z-1", stage: "AWSCURRENT"}},
		{"awssm:///team@corp/db", target{id: "team@corp/db", stage: "AWSCURRENT"}},
		{"awssm://db?region=eu-central-2&stage=AWSPREVIOUS", target{id: "db", region: "eu-central-2", stage: "AWSPREVIOUS"}},
		{"awssm://db?version=" + ver, target{id: "db", version: ver}},
		{"awssm:///" + arn, target{id: arn, region: "us-east-1", stage: "AWSCURRENT"}},
		{"awssm:///" + url.PathEscape(arn), target{id: arn, region: "us-east-1", stage: "AWSCURRENT"}},
		{"awssm:///" + arn + "?region=us-east-1", target{id: arn, region: "us-east-1", stage: "AWSCURRENT"}},
	}
	for _, g := range good {
		got, err := parseTarget(mustRef(t, g.ref))
		if err != nil || got != g.want {
			t.Errorf("%s: got %+v, %v; want %+v", g.ref, got, err, g.want)
		}
	}
	bad := []string{
		"awssm://", "awssm:///", "awssm://db?region=moon", "awssm:///" + arn + "?region=eu-west-1",
		"awssm:///arn:aws:secretsmanager:us-east-1:12:secret:x", "awssm://db?version=short",
		"awssm://db?stage=AWSCURRENT&version=" + ver, "awssm://db?stage=", "awssm://db?kms=1",
	}
	for _, b := range bad {
		if _, err := parseTarget(mustRef(t, b)); !errors.Is(err, driver.ErrInvalid) {
			t.Errorf("%s: %v, want an error wrapping ErrInvalid", b, err)
		}
	}
}

// TestARNReference reads a secret by its ARN, plain and URL-escaped. The
// ARN's region is used: the default region here is another one, whose
// signature scope the server would refuse.
func TestARNReference(t *testing.T) {
	setEnv(t)
	e := newEnv(t, true, func(c *Config) { c.Region = "us-west-2" })
	e.srv.Put("prod/app/db", canary("arn"))
	arn := e.srv.ARN("prod/app/db")
	for _, ref := range []string{"awssm:///" + arn, "awssm:///" + url.PathEscape(arn)} {
		checkValue(t, "by ARN", fetch(t, e.open(t, ref)).Data, canary("arn"))
	}
	_, err := e.opener.OpenSecret(context.Background(), mustRef(t, "awssm:///"+arn+"?region=us-west-2"))
	if !errors.Is(err, driver.ErrInvalid) {
		t.Errorf("ARN with another region: %v, want ErrInvalid", err)
	}
	if n := e.srv.AccessKeys()[awssmtest.AccessKeyID]; n != 4 {
		t.Errorf("%d requests signed with the test key from the environment, want 4", n)
	}
}

// TestStagesAndVersions reads every label of a secret in rotation and a
// pinned version, which is read once and never again.
func TestStagesAndVersions(t *testing.T) {
	setEnv(t)
	e := newEnv(t, true, nil)
	v1 := e.srv.Put("s", canary("v1"))
	e.srv.Put("s", canary("v2"))
	r := e.srv.StartRotation("s")
	if err := r.CreateSecret(canary("v3")); err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string][]byte{
		"awssm://s":                      canary("v2"),
		"awssm://s?stage=AWSCURRENT":     canary("v2"),
		"awssm://s?stage=AWSPREVIOUS":    canary("v1"),
		"awssm://s?stage=AWSPENDING":     canary("v3"),
		"awssm://s?version=" + v1:        canary("v1"),
		"awssm://s?version=" + r.Token(): canary("v3"),
	} {
		checkValue(t, ref, fetch(t, e.open(t, ref)).Data, want)
	}
	d := e.open(t, "awssm://s?version="+v1)
	if !d.Static() {
		t.Error("a pinned version is not static")
	}
	e.srv.ResetCounts()
	for range 3 {
		snap := fetch(t, d)
		if snap.Version != v1 {
			t.Errorf("pinned version reports %q", snap.Version)
		}
	}
	wantCounts(t, e.srv, "pinned version fetched three times", counts{0, 1})
}

// TestBinaryAndRDS reads a SecretBinary value, and RDS-style documents
// whose port is a number or a string through the store's field selection.
func TestBinaryAndRDS(t *testing.T) {
	setEnv(t)
	e := newEnv(t, true, nil)
	bin := append([]byte{0, 0xff, '\n'}, canary("bin")...)
	e.srv.PutBinary("bin", bin)
	checkValue(t, "binary", fetch(t, e.open(t, "awssm://bin")).Data, bin)
	e.srv.Put("rds-num", rdsDoc("num", "5432"))
	e.srv.Put("rds-str", rdsDoc("str", `"5432"`))
	s := e.store(t,
		secret.Decl{Name: "PORT_NUM", From: "awssm://rds-num#port"},
		secret.Decl{Name: "PORT_STR", From: "awssm://rds-str#port"},
		secret.Decl{Name: "PASSWORD", From: "awssm://rds-str#password", Rules: secret.Rules{MinLength: 8}},
		secret.Decl{Name: "DOC", From: "awssm://rds-num", Rules: secret.Rules{Format: "json",
			Fields: []string{"engine", "host", "username", "password", "dbname", "port"}}},
	)
	for name, want := range map[string]string{"PORT_NUM": "5432", "PORT_STR": "5432", "PASSWORD": string(canary("str"))} {
		v, ok := s.Get(name)
		if !ok {
			t.Fatalf("%s: no value", name)
		}
		checkValue(t, name, v.Reveal(), []byte(want))
	}
}
