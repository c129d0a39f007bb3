#!/usr/bin/env bash
# Rotates the quickstart's bearer token the way the kubelet updates a Secret
# volume: write a new timestamped directory, then atomically swap ..data.
# A running hush picks the new token up without a restart.
#   examples/quickstart/rotate-token.sh [NEW_TOKEN]
set -euo pipefail
dir="$(cd "$(dirname "$0")" && pwd)/secrets"
token=${1:-quickstart-demo-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')}
ts="..$(date -u +%Y_%m_%d_%H_%M_%S.%N)"
old=$(readlink "$dir/..data")
mkdir "$dir/$ts"
printf '%s' "$token" > "$dir/$ts/mcp-token"
ln -sfn "$ts" "$dir/..data_tmp"
mv -T "$dir/..data_tmp" "$dir/..data"
[ -L "$dir/mcp-token" ] || ln -s ..data/mcp-token "$dir/mcp-token"
rm -rf "${dir:?}/$old"
echo "rotated: new token in $dir/mcp-token ($(printf '%s' "$token" | wc -c) chars)"
