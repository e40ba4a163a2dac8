# The checkout's payment signature, checked in bash (openssl). Use it with `source verify_payment.sh`.
#
# verify_payment KEY_SECRET ORDER_ID PAYMENT_ID SIGNATURE: succeeds when SIGNATURE is the hex HMAC-SHA256 of
# "ORDER_ID|PAYMENT_ID" keyed with your key secret. ORDER_ID is the one you stored, not one from the browser.
verify_payment() {
  local expected
  expected=$(printf '%s' "$2|$3" | openssl dgst -sha256 -hmac "$1" -hex | sed 's/^.* //')
  [ "$expected" = "$(printf '%s' "$4" | tr 'A-F' 'a-f')" ]
}
