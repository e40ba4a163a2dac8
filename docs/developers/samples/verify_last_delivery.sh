#!/usr/bin/env bash
# Check the signature of the last webhook sent to your endpoint, as recorded in its delivery log (every attempt's
# request: URL, headers and body). LSP_WEBHOOK_ENDPOINT=… LSP_WEBHOOK_SECRET=whsec_… ./verify_last_delivery.sh
set -euo pipefail
source "$(dirname "$0")/signing.sh"
source "$(dirname "$0")/verify_webhook.sh"
LAST=$(lsp_request GET "/api/v1/merchant/webhooks/$LSP_WEBHOOK_ENDPOINT/deliveries?limit=1" | jq '.items[0]')
if [ "$LAST" = null ]; then echo "no delivery yet" >&2; exit 1; fi
BODY_FILE=$(mktemp)
trap 'rm -f "$BODY_FILE"' EXIT
jq -j .request.body <<<"$LAST" >"$BODY_FILE"
header() { jq -r --arg name "$1" '.request.headers[$name]' <<<"$LAST"; }
# the delivery was signed when it was sent: check it against that moment, not against now
SENT=$(header webhook-timestamp)
verify_webhook "$LSP_WEBHOOK_SECRET" "$(header webhook-id)" "$SENT" "$(header webhook-signature)" "$BODY_FILE" "$SENT"
echo "verified $(jq -r .type "$BODY_FILE") $(header webhook-id): $(jq -c .data "$BODY_FILE")"
