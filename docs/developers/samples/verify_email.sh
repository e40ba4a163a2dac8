#!/usr/bin/env bash
# Confirm your address with the token from the email's link (…/auth/verify-email?token=lspe_…):
# TOKEN=lspe_… ./verify_email.sh
set -euo pipefail
LSP_API=${LSP_API:-http://127.0.0.1:8000}
curl -sS --fail-with-body "$LSP_API/api/v1/auth/verify-email" -H 'Content-Type: application/json' \
  -d "$(jq -cn --arg token "$TOKEN" '{token: $token}')"
echo
