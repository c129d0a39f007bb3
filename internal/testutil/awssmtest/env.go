package awssmtest

import (
	"path/filepath"
	"testing"
)

// Test credentials. They are fake, and the secret key carries the marker
// leak checks look for, so a test can assert it never appears in output.
const (
	AccessKeyID     = "AKIAAWSSMTESTNOTREAL"
	SecretAccessKey = "awssmtest-secret-access-key-NOT-REAL"
)

// SetEnv makes the SDK's default credential chain find the test
// credentials in the environment and nothing else: shared config files,
// profiles, web identity, container and instance-metadata credentials are
// all switched off for the rest of the test. It sets the region to the
// server's. Tests that call it cannot run in parallel (t.Setenv).
func (s *Server) SetEnv(t testing.TB) {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":                      AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":                  SecretAccessKey,
		"AWS_REGION":                             s.region,
		"AWS_CONFIG_FILE":                        none,
		"AWS_SHARED_CREDENTIALS_FILE":            none,
		"AWS_EC2_METADATA_DISABLED":              "true",
		"AWS_SESSION_TOKEN":                      "",
		"AWS_PROFILE":                            "",
		"AWS_DEFAULT_REGION":                     "",
		"AWS_ROLE_ARN":                           "",
		"AWS_WEB_IDENTITY_TOKEN_FILE":            "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI":     "",
		"AWS_ENDPOINT_URL":                       "",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER":       "",
	} {
		t.Setenv(k, v)
	}
}
