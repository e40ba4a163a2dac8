# Standard Webhooks verification in bash (openssl, base64, od). Use it with `source verify_webhook.sh`.
#
# verify_webhook SECRET WEBHOOK_ID WEBHOOK_TIMESTAMP WEBHOOK_SIGNATURE BODY_FILE [NOW]
#   SECRET: your endpoint's whsec_… secret; the three header values as received; BODY_FILE: the raw body.
#   Succeeds when one of the space-separated v1 signatures is the base64 HMAC-SHA256 of "id.timestamp.body",
#   keyed with the secret's base64-decoded bytes, and the timestamp is within 5 minutes of NOW (default: now).
verify_webhook() {
  local secret=$1 id=$2 ts=$3 body_file=$5 now=${6:-$(date +%s)} key expected entry signatures
  read -r -a signatures <<<"$4"
  case $ts in '' | *[!0-9]*) echo "webhook-timestamp is not a number" >&2; return 1 ;; esac
  if [ $((now - ts)) -gt 300 ] || [ $((ts - now)) -gt 300 ]; then
    echo "webhook-timestamp is more than 5 minutes away" >&2; return 1
  fi
  key=$(printf '%s' "${secret#whsec_}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
  expected=$({ printf '%s.%s.' "$id" "$ts"; cat "$body_file"; } \
    | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" -binary | base64)
  for entry in "${signatures[@]}"; do
    if [ "$entry" = "v1,$expected" ]; then return 0; fi
  done
  echo "no signature matches" >&2; return 1
}
