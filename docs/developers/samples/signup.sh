#!/usr/bin/env bash
# Sign your business up: EMAIL=you@example.in PASSWORD='at least 12 characters' ./signup.sh
# The same answer comes whether or not the address already has an account (that account gets an email instead).
set -euo pipefail
LSP_API=${LSP_API:-http://127.0.0.1:8000}
BODY=$(jq -cn --arg email "$EMAIL" --arg password "$PASSWORD" \
  '{business_name: "Asha Textiles", contact_name: "Asha Rao", email: $email, password: $password}')
curl -sS --fail-with-body "$LSP_API/api/v1/auth/signup" -H 'Content-Type: application/json' -d "$BODY"
echo
