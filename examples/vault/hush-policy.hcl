# Vault policy for examples/vault/hush.yaml: read the MCP token and the
# database credentials, and manage the leases of those credentials.
# auth/token/renew-self and auth/token/lookup-self come with Vault's
# default policy; sys/internal/ui/mounts needs no grant.

path "secret/data/hush/mcp" {
  capabilities = ["read"]
}

path "database/creds/hush-readonly" {
  capabilities = ["read"]
}

path "sys/leases/renew" {
  capabilities = ["update"]
}

path "sys/leases/revoke" {
  capabilities = ["update"]
}

path "sys/leases/lookup" {
  capabilities = ["update"]
}
