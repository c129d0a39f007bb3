package awssm

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hushmcp/hush/secret"
	"github.com/hushmcp/hush/secret/driver"
)

// DefaultStage is the staging label read when a reference names none.
const DefaultStage = "AWSCURRENT"

// target is a validated reference.
type target struct {
	id      string // secret name or ARN, as the API's SecretId
	region  string // from ?region= or the ARN; empty: the configured region
	stage   string // staging label; empty when version is set
	version string // ?version=: one immutable version
}

func (t target) String() string { return t.id }

var (
	// namePattern is what Secrets Manager accepts as a secret name.
	namePattern = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	// arnPattern is a secret's ARN; group 1 is its region.
	arnPattern = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]+):\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}$`)
	// regionPattern is an AWS region name such as eu-west-1 or us-gov-east-1.
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`)
	// versionPattern is a version id (a ClientRequestToken).
	versionPattern = regexp.MustCompile(`^[A-Za-z0-9-]{32,64}$`)
	// stagePattern is a staging label: Secrets Manager allows 1 to 256
	// characters; we keep to the printable ones without spaces.
	stagePattern = regexp.MustCompile(`^[A-Za-z0-9_+=.@/:-]{1,256}$`)
)

// parseTarget checks ref. The secret is the host and path joined
// (awssm://prod/app/db), or the path alone after three slashes
// (awssm:///arn:aws:secretsmanager:...), which is how an ARN, whose colons
// cannot stand in a URL's host, is written. Messages name the problem,
// never the reference.
func parseTarget(ref secret.Ref) (target, error) {
	if err := ref.CheckParams("region", "stage", "version"); err != nil {
		return target{}, fmt.Errorf("%w: %w", err, driver.ErrInvalid)
	}
	t, err := parseID(ref)
	if err != nil {
		return t, err
	}
	if err := parseParams(ref, &t); err != nil {
		return t, err
	}
	return t, nil
}

func parseID(ref secret.Ref) (target, error) {
	id := ref.Host + ref.Path
	if ref.Host == "" {
		id = strings.TrimPrefix(ref.Path, "/")
	}
	if m := arnPattern.FindStringSubmatch(id); m != nil {
		return target{id: id, region: m[1]}, nil
	}
	if strings.HasPrefix(id, "arn:") {
		return target{}, invalid("malformed secret ARN (want arn:aws:secretsmanager:<region>:<account>:secret:<name>)")
	}
	if !namePattern.MatchString(id) {
		return target{}, invalid("needs a secret name of 1 to 512 letters, digits or /_+=.@- " +
			"(awssm://<name> or awssm:///<ARN>)")
	}
	return target{id: id}, nil
}

// parseParams reads region, stage and version; each may appear once.
func parseParams(ref secret.Ref, t *target) error {
	region, err := param(ref, "region", regionPattern)
	if err != nil {
		return err
	}
	if region != "" && t.region != "" && region != t.region {
		return invalid("region differs from the region in the ARN")
	}
	if region != "" {
		t.region = region
	}
	if t.stage, err = param(ref, "stage", stagePattern); err != nil {
		return err
	}
	if t.version, err = param(ref, "version", versionPattern); err != nil {
		return err
	}
	switch {
	case t.stage != "" && t.version != "":
		return invalid("stage and version exclude each other")
	case t.version == "" && t.stage == "":
		t.stage = DefaultStage
	}
	return nil
}

// param returns the single value of an optional query parameter, which
// must match p.
func param(ref secret.Ref, key string, p *regexp.Regexp) (string, error) {
	vals, ok := ref.Query[key]
	if !ok {
		return "", nil
	}
	if len(vals) != 1 || !p.MatchString(vals[0]) {
		return "", invalid(key + " is malformed or repeated")
	}
	return vals[0], nil
}

func invalid(what string) error {
	return fmt.Errorf("awssm reference: %s: %w", what, driver.ErrInvalid)
}
