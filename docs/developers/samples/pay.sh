#!/usr/bin/env bash
# A test payment from start to finish: create it, pay it on the sandbox's checkout page, see it paid.
# Run with your test key: LSP_KEY_ID=lsp_test_… LSP_KEY_SECRET=… ./pay.sh
set -euo pipefail
source "$(dirname "$0")/signing.sh"
ORDER_ID="ORD-$(date +%s)-$RANDOM"

# 1. The payment. The Idempotency-Key makes a retry (after a timeout, say) return this payment, not a second one.
BODY=$(jq -cn --arg order "$ORDER_ID" \
  '{amount: 49900, currency: "INR", order_id: $order, customer: {name: "Asha Rao"}}')
TXN=$(lsp_request POST /api/v1/pay "$BODY" -H "Idempotency-Key: pay-$ORDER_ID" | jq -r .transaction_id)
echo "created $TXN"

wait_for() {  # wait_for STATUS...: the transaction's JSON once its status is one of these
  for _ in $(seq 60); do
    local txn
    txn=$(lsp_request GET "/api/v1/transactions/$TXN")
    for status in "$@"; do
      if [ "$(jq -r .status <<<"$txn")" = "$status" ]; then echo "$txn"; return; fi
    done
    sleep 1
  done
  echo "the payment did not move on" >&2; return 1
}

# 2. A worker asks a PSP for the payment page in the background: wait for its checkout_url.
CHECKOUT_URL=$(wait_for pending paid failed expired | jq -r .checkout_url)
echo "checkout page: $CHECKOUT_URL"

# 3. Send your customer there. In test mode the sandbox's page has a button per outcome; press "success".
curl -sS --fail-with-body -o /dev/null "$CHECKOUT_URL" -d outcome=success

# 4. The PSP tells the platform, which marks the payment paid and sends you payment.paid.
wait_for paid failed expired | jq -r '"\(.status) \(.payment_id) \(.amount) \(.mode)"'
