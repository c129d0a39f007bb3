package awssmtest_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/smithy-go"

	"github.com/hushmcp/hush/internal/testutil/awssmtest"
)

const region = "eu-west-1"

// client returns an SDK client for srv with the default credential chain
// reading the test credentials from the environment. Over loopback unless
// inMemory.
func client(t *testing.T, srv *awssmtest.Server, inMemory bool) *secretsmanager.Client {
	t.Helper()
	srv.SetEnv(t)
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatalf("load config: %v", err)
	}
	return secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) {
		o.RetryMaxAttempts = 1
		if inMemory {
			o.BaseEndpoint, o.HTTPClient = aws.String(awssmtest.Addr), srv.Client()
		} else {
			o.BaseEndpoint = aws.String(srv.Listen(t))
		}
	})
}

func get(t *testing.T, c *secretsmanager.Client, in *secretsmanager.GetSecretValueInput) *secretsmanager.GetSecretValueOutput {
	t.Helper()
	out, err := c.GetSecretValue(context.Background(), in)
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	return out
}

func TestGetAndDescribeOverLoopback(t *testing.T) {
	srv := awssmtest.New(region)
	c := client(t, srv, false)
	v1 := srv.Put("app/db", []byte(`{"password":"one-NOT-REAL"}`))
	out := get(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")})
	if aws.ToString(out.SecretString) != `{"password":"one-NOT-REAL"}` || aws.ToString(out.VersionId) != v1 {
		t.Errorf("got version %q and a different value", aws.ToString(out.VersionId))
	}
	if !reflect.DeepEqual(out.VersionStages, []string{"AWSCURRENT"}) || out.CreatedDate == nil {
		t.Errorf("stages %v, created %v", out.VersionStages, out.CreatedDate)
	}
	byARN := get(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String(srv.ARN("app/db"))})
	if aws.ToString(byARN.Name) != "app/db" {
		t.Errorf("get by ARN returned %q", aws.ToString(byARN.Name))
	}
	d, err := c.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String("app/db")})
	if err != nil {
		t.Fatalf("describe: %v", err)
	}
	if !reflect.DeepEqual(d.VersionIdsToStages, map[string][]string{v1: {"AWSCURRENT"}}) {
		t.Errorf("describe stages %v", d.VersionIdsToStages)
	}
	if keys := srv.AccessKeys(); keys[awssmtest.AccessKeyID] != 3 {
		t.Errorf("access keys seen: %v", keys)
	}
}

func TestBinary(t *testing.T) {
	srv := awssmtest.New(region)
	c := client(t, srv, true)
	want := []byte{0, 1, 2, 0xff, 'N', 'O', 'T'}
	srv.PutBinary("bin", want)
	out := get(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("bin")})
	if string(out.SecretBinary) != string(want) || out.SecretString != nil {
		t.Errorf("binary value did not round-trip")
	}
	put, err := c.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId: aws.String("bin"), SecretBinary: []byte("two")})
	if err != nil {
		t.Fatalf("put: %v", err)
	}
	if got := get(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("bin")}); aws.ToString(got.VersionId) != aws.ToString(put.VersionId) {
		t.Errorf("put binary did not become current")
	}
}

// TestStageLabels checks the label bookkeeping: one version per label,
// AWSPREVIOUS following AWSCURRENT, explicit removal before a move.
func TestStageLabels(t *testing.T) {
	srv := awssmtest.New(region)
	c := client(t, srv, true)
	ctx := context.Background()
	v1 := srv.Put("s", []byte("v1-NOT-REAL"))
	token := awssmtest.NewVersionID()
	_, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("s"),
		ClientRequestToken: aws.String(token), SecretString: aws.String("v2-NOT-REAL"), VersionStages: []string{"AWSPENDING"}})
	if err != nil {
		t.Fatalf("put pending: %v", err)
	}
	wantStages(t, srv, "s", map[string][]string{v1: {"AWSCURRENT"}, token: {"AWSPENDING"}})
	// The same token with the same value is the same request; another
	// value is a conflict.
	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("s"),
		ClientRequestToken: aws.String(token), SecretString: aws.String("other-NOT-REAL")})
	wantCode(t, err, "ResourceExistsException")
	_, err = c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("s"),
		VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(token)})
	wantCode(t, err, "InvalidParameterException")
	_, err = c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("s"),
		VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: aws.String(token), RemoveFromVersionId: aws.String(v1)})
	if err != nil {
		t.Fatalf("move current: %v", err)
	}
	wantStages(t, srv, "s", map[string][]string{v1: {"AWSPREVIOUS"}, token: {"AWSCURRENT", "AWSPENDING"}})
	v3 := srv.Put("s", []byte("v3-NOT-REAL"))
	wantStages(t, srv, "s", map[string][]string{token: {"AWSPENDING", "AWSPREVIOUS"}, v3: {"AWSCURRENT"}})
	list, err := c.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("s")})
	if err != nil || len(list.Versions) != 2 {
		t.Fatalf("list: %d versions, %v (the unlabelled one is deprecated)", len(list.Versions), err)
	}
	all, err := c.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("s"), IncludeDeprecated: aws.Bool(true)})
	if err != nil || len(all.Versions) != 3 {
		t.Fatalf("list all: %d versions, %v", len(all.Versions), err)
	}
	pager := secretsmanager.NewListSecretVersionIdsPaginator(c, &secretsmanager.ListSecretVersionIdsInput{
		SecretId: aws.String("s"), IncludeDeprecated: aws.Bool(true), MaxResults: aws.Int32(2)})
	pages, seen := 0, 0
	for pager.HasMorePages() {
		p, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("page: %v", err)
		}
		pages, seen = pages+1, seen+len(p.Versions)
	}
	if pages != 2 || seen != 3 {
		t.Errorf("%d pages with %d versions, want 2 with 3", pages, seen)
	}
	old := get(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("s"), VersionId: aws.String(v1)})
	if aws.ToString(old.SecretString) != "v1-NOT-REAL" || len(old.VersionStages) != 0 {
		t.Errorf("a deprecated version is still readable by id, without labels")
	}
}

// TestRotation walks the four steps and checks what a client reads
// between them.
func TestRotation(t *testing.T) {
	srv := awssmtest.New(region)
	c := client(t, srv, true)
	v1 := srv.Put("db", []byte("old-NOT-REAL"))
	r := srv.StartRotation("db")
	if err := r.CreateSecret([]byte("new-NOT-REAL")); err != nil {
		t.Fatal(err)
	}
	if err := r.CreateSecret([]byte("new-NOT-REAL")); err != nil {
		t.Fatalf("createSecret again: %v", err)
	}
	wantCurrent(t, c, "old-NOT-REAL")
	pending := get(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("db"), VersionStage: aws.String("AWSPENDING")})
	if aws.ToString(pending.VersionId) != r.Token() {
		t.Errorf("pending version %q, want the rotation's token", aws.ToString(pending.VersionId))
	}
	var set, tested bool
	if err := r.SetSecret(func(p []byte) error { set = string(p) == "new-NOT-REAL"; return nil }); err != nil || !set {
		t.Fatalf("setSecret: %v (saw the pending value: %v)", err, set)
	}
	if err := r.TestSecret(func(p []byte) error { tested = true; return nil }); err != nil || !tested {
		t.Fatalf("testSecret: %v", err)
	}
	wantCurrent(t, c, "old-NOT-REAL")
	if err := r.FinishSecret(); err != nil {
		t.Fatal(err)
	}
	wantCurrent(t, c, "new-NOT-REAL")
	wantStages(t, srv, "db", map[string][]string{v1: {"AWSPREVIOUS"}, r.Token(): {"AWSCURRENT"}})
	d, _ := c.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String("db")})
	if !aws.ToBool(d.RotationEnabled) || d.LastRotatedDate == nil {
		t.Errorf("describe after rotation: enabled %v, last rotated %v", aws.ToBool(d.RotationEnabled), d.LastRotatedDate)
	}
	if err := srv.Rotate("db", []byte("third-NOT-REAL"), nil, nil); err != nil {
		t.Fatal(err)
	}
	wantCurrent(t, c, "third-NOT-REAL")
}

func TestErrors(t *testing.T) {
	srv := awssmtest.New(region)
	c := client(t, srv, true)
	ctx := context.Background()
	srv.Put("gone", []byte("x-NOT-REAL"))
	_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("missing")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("missing secret: %v, want the SDK's ResourceNotFoundException", err)
	}
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("gone"), VersionStage: aws.String("AWSPENDING")})
	wantCode(t, err, "ResourceNotFoundException")
	srv.ScheduleDeletion("gone")
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("gone")})
	wantCode(t, err, "InvalidRequestException")
	d, err := c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("gone")})
	if err != nil || d.DeletedDate == nil {
		t.Errorf("describe of a secret scheduled for deletion: %v", err)
	}
	srv.Put("kms", []byte("y-NOT-REAL"))
	srv.SetDecryptFailure("kms", true)
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("kms")})
	wantCode(t, err, "DecryptionFailure")
}

func TestFaults(t *testing.T) {
	srv := awssmtest.New(region)
	c := client(t, srv, true)
	srv.Put("a", []byte("a-NOT-REAL"))
	srv.Put("b", []byte("b-NOT-REAL"))
	in := func(id string) *secretsmanager.GetSecretValueInput {
		return &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)}
	}
	for _, kind := range []string{awssmtest.Throttle, awssmtest.Internal, awssmtest.AccessDenied} {
		srv.SetFault(awssmtest.Fault{Kind: kind, Secrets: []string{"a"}})
		_, err := c.GetSecretValue(context.Background(), in("a"))
		wantCode(t, err, kind)
		get(t, c, in("b"))
	}
	srv.SetFault(awssmtest.Fault{Kind: awssmtest.Down, Ops: []string{"DescribeSecret"}})
	if _, err := c.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String("a")}); err == nil {
		t.Error("describe succeeded while the endpoint is down")
	}
	srv.SetFault(awssmtest.Fault{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.GetSecretValue(ctx, in("a")); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow answer: %v, want the caller's deadline", err)
	}
	srv.SetFault(awssmtest.Fault{})
	get(t, c, in("a"))
	if srv.Count(awssmtest.Rejected) != 4 {
		t.Errorf("rejected %d requests, want 4", srv.Count(awssmtest.Rejected))
	}
}

// TestSignatureRequired checks that requests without a SigV4 header for
// this region and service are refused as the service refuses them.
func TestSignatureRequired(t *testing.T) {
	srv := awssmtest.New(region)
	url := srv.Listen(t)
	for _, auth := range []string{
		"",
		"Bearer x",
		"AWS4-HMAC-SHA256 Credential=AKIAAWSSMTESTNOTREAL/20260101/us-east-1/secretsmanager/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=" + strings.Repeat("0", 64),
		"AWS4-HMAC-SHA256 Credential=AKIAAWSSMTESTNOTREAL/20260101/eu-west-1/s3/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=" + strings.Repeat("0", 64),
	} {
		req, _ := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(`{"SecretId":"a"}`))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", "secretsmanager.GetSecretValue")
		req.Header.Set("X-Amz-Date", "20260101T000000Z")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") == "" {
			t.Errorf("auth %.20q: status %d", auth, resp.StatusCode)
		}
	}
	if srv.Count(awssmtest.Unsigned) != 4 || srv.Count("GetSecretValue") != 0 {
		t.Errorf("unsigned %d, served %d", srv.Count(awssmtest.Unsigned), srv.Count("GetSecretValue"))
	}
}

func wantCurrent(t *testing.T, c *secretsmanager.Client, want string) {
	t.Helper()
	out := get(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("db")})
	if aws.ToString(out.SecretString) != want {
		t.Errorf("AWSCURRENT is not the expected value (values withheld)")
	}
}

func wantStages(t *testing.T, srv *awssmtest.Server, name string, want map[string][]string) {
	t.Helper()
	if got := srv.Stages(name); !reflect.DeepEqual(got, want) {
		t.Errorf("stages %v, want %v", got, want)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Errorf("error %v, want code %s", err, code)
	}
}
