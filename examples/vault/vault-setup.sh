#!/bin/sh
# Sets up the Vault side of examples/vault/hush.yaml with the Vault CLI:
# the policy, the database secrets engine and its role, the KV v2 secret
# holding the MCP token, and the AppRole role Hush logs in as.
# Run it as a Vault operator (VAULT_ADDR and VAULT_TOKEN set). It needs a
# PostgreSQL user for Vault that may create roles: set VAULT_DB_PASSWORD.
# See docs/vault.md, "Setting up the Vault side".
set -eu
: "${VAULT_DB_PASSWORD:?set VAULT_DB_PASSWORD to the password of the PostgreSQL user vault}"
cd "$(dirname "$0")"

vault policy write hush hush-policy.hcl

# Dynamic database credentials: one role per lease, valid for an hour and
# renewable up to a day. Revocation stops the role's sessions before it
# drops the role, so revoked credentials stop working at once.
vault secrets enable database
vault write database/config/orders plugin_name=postgresql-database-plugin \
    connection_url='postgresql://{{username}}:{{password}}@db.internal:5432/orders?sslmode=verify-full' \
    allowed_roles=hush-readonly username=vault password="$VAULT_DB_PASSWORD"
vault write database/roles/hush-readonly db_name=orders default_ttl=1h max_ttl=24h \
    creation_statements='CREATE ROLE "{{name}}" LOGIN PASSWORD '\''{{password}}'\'' VALID UNTIL '\''{{expiration}}'\'';
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";' \
    renew_statements='ALTER ROLE "{{name}}" VALID UNTIL '\''{{expiration}}'\'';' \
    revocation_statements='ALTER ROLE "{{name}}" NOLOGIN;
        SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '\''{{name}}'\'';
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{{name}}";
        DROP ROLE IF EXISTS "{{name}}";'

# The bearer token MCP clients present, in KV v2 (re-read every 5 minutes:
# a new version takes effect without a restart).
vault secrets enable -path=secret -version=2 kv
# The value comes from stdin (token=-), so it never shows in a process list.
head -c 48 /dev/urandom | base64 | tr -d '/+=\n' | vault kv put secret/hush/mcp token=-

# AppRole: the role_id goes into a file, the secret_id into VAULT_SECRET_ID
# (deliver both through your deployment system, not in the image).
vault auth enable approle
vault write auth/approle/role/hush token_policies=hush token_ttl=1h token_max_ttl=24h \
    secret_id_ttl=720h
echo "role_id:   vault read -field=role_id auth/approle/role/hush/role-id > /run/vault/role-id"
echo "secret_id: export VAULT_SECRET_ID=\$(vault write -f -field=secret_id auth/approle/role/hush/secret-id)"
