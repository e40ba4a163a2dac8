// The CommonJS build, through the package's "require" export: the same client, errors and verifier as the ES
// module one, checked on the published vectors.
const assert = require("node:assert/strict");
const { test } = require("node:test");

const sdk = require("@lightspeedpay/sdk");
const checkout = require("@lightspeedpay/sdk/checkout");

test("require() gives the CommonJS build with the whole API", () => {
  assert.match(require.resolve("@lightspeedpay/sdk"), /dist[\\/]cjs[\\/]index\.js$/);
  const client = new sdk.LightSpeedPay({ keyId: "lsp_test_cjs", keySecret: "cjs-secret" });
  assert.equal(typeof client.payments.pay, "function");
  assert.equal(sdk.default, sdk.LightSpeedPay);
  assert.ok(!require("node:util").inspect(client, { depth: 10, showHidden: true }).includes("cjs-secret"));
  assert.equal(typeof checkout.loadCheckout, "function");
  assert.equal(checkout.checkoutScriptUrl("https://pay.example.com/"), "https://pay.example.com/checkout.js");
});

test("CommonJS: the signing vector and a Standard Webhooks vector", () => {
  assert.equal(
    sdk.signRequest("demo_salt", "1700000000", "POST", "/api/v1/pay", '{"amount":49900,"order_id":"ORD-1","currency":"INR"}'),
    "94c643f9f98bd60b1941af35a5627934b84525cabae87cf83a22667ff0b52e2b",
  );
  const verifier = new sdk.WebhookVerifier("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD");
  const headers = { "webhook-id": "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", "webhook-timestamp": "1649367553",
    "webhook-signature": "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=" };
  const body = '{"email":"test@example.com","username":"test_user"}';
  assert.equal(verifier.verify(body, headers, { now: 1649367553 }).username, "test_user");
  assert.throws(() => verifier.verify(body + " ", headers, { now: 1649367553 }), sdk.WebhookVerificationError);
  const error = new sdk.InvalidRequestError({ code: "VALIDATION_ERROR", message: "m", status: 422 });
  assert.ok(error instanceof sdk.LightSpeedPayError);
});
