#!/usr/bin/env bash
# Register the URL that receives your webhooks: WEBHOOK_URL=https://example.in/webhooks ./add_webhook_endpoint.sh
# (signed with your API key). Prints `export` lines: the endpoint's id and its signing secret, shown this once.
set -euo pipefail
source "$(dirname "$0")/signing.sh"
BODY=$(jq -cn --arg url "$WEBHOOK_URL" '{url: $url, event_types: ["payment.paid", "payment.failed"]}')
lsp_request POST /api/v1/merchant/webhooks "$BODY" \
  | jq -r '"export LSP_WEBHOOK_ENDPOINT=\(.id)\nexport LSP_WEBHOOK_SECRET=\(.secret)"'
