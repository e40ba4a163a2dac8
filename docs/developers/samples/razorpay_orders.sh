#!/usr/bin/env bash
# Razorpay's API with curl: HTTP Basic with your key id and secret, the same paths under /v1.
# LSP_KEY_ID=lsp_test_… LSP_KEY_SECRET=… ./razorpay_orders.sh
set -euo pipefail
LSP_API=${LSP_API:-http://127.0.0.1:8000}
RECEIPT="rcpt-$(date +%s)-$RANDOM"
ORDER=$(curl -sS --fail-with-body -u "$LSP_KEY_ID:$LSP_KEY_SECRET" "$LSP_API/v1/orders" \
  -H 'Content-Type: application/json' -H "Idempotency-Key: order-$RECEIPT" \
  -d "$(jq -cn --arg receipt "$RECEIPT" '{amount: 49900, currency: "INR", receipt: $receipt}')")
ORDER_ID=$(jq -r .id <<<"$ORDER")
echo "created $ORDER_ID"
curl -sS --fail-with-body -u "$LSP_KEY_ID:$LSP_KEY_SECRET" "$LSP_API/v1/orders/$ORDER_ID" | jq -c '{id, status, amount, receipt}'
curl -sS --fail-with-body -u "$LSP_KEY_ID:$LSP_KEY_SECRET" "$LSP_API/v1/orders?receipt=$RECEIPT" | jq -c '{count, ids: [.items[].id]}'
