package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hushmcp/hush/config"
	"github.com/hushmcp/hush/internal/boot"
)

const awsExamples = "../../examples/aws"

// examples/aws parses with the parts the binary ships, without warnings,
// reads its credentials from Secrets Manager (one with an environment
// fallback), and nothing there holds an AWS key.
func TestAWSExamples(t *testing.T) {
	cfg, err := config.Load(filepath.Join(awsExamples, "hush.yaml"), boot.Kinds(nil))
	if err != nil {
		t.Fatalf("examples/aws/hush.yaml: %v", err)
	}
	if len(cfg.Warnings) > 0 {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
	refs := map[string][]string{}
	for _, d := range cfg.Secrets {
		refs[d.Name] = append([]string{d.From}, d.Also...)
	}
	want := map[string][]string{
		"DB":        {"awssm://prod/hush/db"},
		"MCP_TOKEN": {"awssm://prod/hush/app#MCP_TOKEN"},
		"REDIS_URL": {"awssm://prod/hush/app#REDIS_URL", "env://REDIS_URL"},
	}
	for name, w := range want {
		if !slices.Equal(refs[name], w) {
			t.Errorf("secret %s: references %q, want %q", name, refs[name], w)
		}
	}
	if _, ok := cfg.Providers["awssm"]; !ok {
		t.Error("no awssm: block decoded")
	}
	checkNoAWSKeys(t)
}

// The policy grants the two Secrets Manager actions Hush calls, on named
// secrets only, and kms:Decrypt only through Secrets Manager.
func TestAWSExamplePolicy(t *testing.T) {
	var policy struct {
		Statement []struct {
			Action    any
			Resource  any
			Condition map[string]map[string]string
		}
	}
	readJSON(t, "iam-policy.json", &policy)
	var actions []string
	for _, st := range policy.Statement {
		list := strings.Fields(strings.Trim(strings.ReplaceAll(jsonText(st.Action), ",", " "), "[]"))
		for _, a := range list {
			actions = append(actions, strings.Trim(a, `"`))
		}
		if strings.Contains(jsonText(st.Resource), "*\"") {
			t.Errorf("a statement grants on every resource: %s", jsonText(st.Resource))
		}
		if strings.Contains(jsonText(st.Action), "kms:") && st.Condition["StringEquals"]["kms:ViaService"] == "" {
			t.Error("kms:Decrypt is not limited to Secrets Manager")
		}
	}
	slices.Sort(actions)
	if want := []string{"kms:Decrypt", "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}; !slices.Equal(actions, want) {
		t.Errorf("actions %q, want %q", actions, want)
	}
	var task struct {
		TaskRoleArn string
	}
	readJSON(t, "ecs-task-definition.json", &task)
	if !strings.HasPrefix(task.TaskRoleArn, "arn:aws:iam::") {
		t.Errorf("the ECS task has no task role: %q", task.TaskRoleArn)
	}
	sa, err := os.ReadFile(filepath.Join(awsExamples, "eks-service-account.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sa), "eks.amazonaws.com/role-arn: arn:aws:iam::") {
		t.Error("the EKS service account is not annotated with a role")
	}
}

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(awsExamples, name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// checkNoAWSKeys fails on any access key in the examples: the point of
// them is a role.
func checkNoAWSKeys(t *testing.T) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(awsExamples, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ToLower(string(b))
		for _, key := range []string{"aws_access_key_id", "aws_secret_access_key", "access_key", "akia"} {
			if strings.Contains(text, key) {
				t.Errorf("%s mentions %s", filepath.Base(f), key)
			}
		}
	}
}
