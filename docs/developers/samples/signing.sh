# Signed requests to the LightSpeedPay API from the shell (bash, curl, openssl).
# Use it with `source signing.sh`, after setting LSP_KEY_ID and LSP_KEY_SECRET (your API key id and secret).
LSP_API=${LSP_API:-http://127.0.0.1:8000}

# lsp_sign SECRET TIMESTAMP METHOD PATH BODY: the hex HMAC-SHA256 of "TIMESTAMP.METHOD.PATH.BODY", keyed with
# SECRET. PATH includes the query string; BODY is the exact bytes sent (empty for a GET).
lsp_sign() {
  printf '%s' "$2.$3.$4.$5" | openssl dgst -sha256 -hmac "$1" -hex | sed 's/^.* //'
}

# lsp_request METHOD PATH [BODY [curl options...]]: a signed request; prints the answer's body and fails on
# an HTTP error status (after printing the error body).
lsp_request() {
  local method=$1 path=$2 body=${3:-} ts sig
  ts=$(date +%s)
  sig=$(lsp_sign "$LSP_KEY_SECRET" "$ts" "$method" "$path" "$body")
  local args=(-sS --fail-with-body -X "$method" "$LSP_API$path"
    -H "X-Client-Key: $LSP_KEY_ID" -H "X-Timestamp: $ts" -H "X-Signature: $sig")
  if [ -n "$body" ]; then
    args+=(-H 'Content-Type: application/json' --data-binary "$body")
  fi
  curl "${args[@]}" "${@:4}"
}
