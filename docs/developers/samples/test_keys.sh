#!/usr/bin/env bash
# Log in and make your test API key's secret (shown this once): EMAIL=… PASSWORD=… ./test_keys.sh
# Prints `export` lines: eval "$(./test_keys.sh)" sets LSP_KEY_ID and LSP_KEY_SECRET in your shell.
set -euo pipefail
LSP_API=${LSP_API:-http://127.0.0.1:8000}
LOGIN=$(jq -cn --arg email "$EMAIL" --arg password "$PASSWORD" '{email: $email, password: $password, mode: "token"}')
ACCESS=$(curl -sS --fail-with-body "$LSP_API/api/v1/auth/login" -H 'Content-Type: application/json' -d "$LOGIN" \
  | jq -r .access_token)
# a new secret for the test key; grace_period_seconds: how long the previous secret keeps working (none yet)
curl -sS --fail-with-body "$LSP_API/api/v1/merchant/credentials/regenerate" -H "Authorization: Bearer $ACCESS" \
  -H 'Content-Type: application/json' -d '{"mode": "test", "grace_period_seconds": 0}' \
  | jq -r '"export LSP_KEY_ID=\(.key_id)\nexport LSP_KEY_SECRET=\(.key_secret)"'
