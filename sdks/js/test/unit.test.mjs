// The SDK without a platform: the signatures against their published vectors, errors, configuration, and that the
// key secret shows nowhere. Imports the ES module build through the package's exports.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { inspect } from "node:util";

import LightSpeedPayDefault, {
  AuthenticationError, ConflictError, InvalidRequestError, LightSpeedPay, LightSpeedPayError, NotFoundError,
  RateLimitError, ServerError, signRequest, signWebhook, VERSION, verifyPaymentSignature, verifyWebhookSignature,
  WebhookVerificationError, WebhookVerifier,
} from "@lightspeedpay/sdk";

// Standard Webhooks' published vectors (the same as tests/kit/test_standard_webhooks.py)
const SW_A = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
  '{"test": 2432232314}', "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="];
const SW_B = ["whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD", "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk", 1649367553,
  '{"email":"test@example.com","username":"test_user"}', "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="];
const headers = (signature, id = SW_A[1], ts = SW_A[2]) =>
  ({ "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": signature });

test("the request signature matches signing.md's vector", () => {
  const body = '{"amount":49900,"order_id":"ORD-1","currency":"INR"}';
  assert.equal(signRequest("demo_salt", "1700000000", "POST", "/api/v1/pay", body),
    "94c643f9f98bd60b1941af35a5627934b84525cabae87cf83a22667ff0b52e2b");
});

for (const [name, vector] of [["SW-A", SW_A], ["SW-B", SW_B]]) {
  test(`Standard Webhooks vector ${name}: signed and verified`, () => {
    const [secret, id, ts, body, expected] = vector;
    assert.equal(signWebhook(secret, id, ts, body), expected);
    assert.equal(signWebhook(secret.slice("whsec_".length), id, ts, body), expected);
    const event = new WebhookVerifier(secret).verify(Buffer.from(body), headers(expected, id, ts), { now: ts });
    assert.deepEqual(event, JSON.parse(body));
    // fetch's Headers work as well as Node's header object
    verifyWebhookSignature(secret, new Headers(headers(expected, id, ts)), body, { now: ts });
  });
}

test("wrong, truncated, padded and other-version signatures are refused", () => {
  const [secret, , ts, body] = SW_A;
  for (const signature of [
    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=",
    "v1,dawfeoifkpqwoekfpqoekf",
    "v1,",
    "nocomma",
    "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=junk",
  ]) {
    assert.throws(() => new WebhookVerifier(secret).verify(body, headers(signature), { now: ts }),
      WebhookVerificationError, signature);
  }
  // the right signature over another body
  assert.throws(() => new WebhookVerifier(secret).verify('{"test": 1}', headers(SW_A[4]), { now: ts }),
    WebhookVerificationError);
});

test("any matching signature among several is accepted, and either secret of a rotation verifies", () => {
  const [secret, , ts, body, good] = SW_A;
  const decoy = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
  new WebhookVerifier(secret).verify(body, headers(`${decoy} v2,${decoy.slice(3)} ${good} ${decoy}`), { now: ts });
  const [newSecret, oldSecret] = [SW_B[0], SW_A[0]];
  const both = signWebhook([newSecret, oldSecret], "msg_1", ts, body);
  assert.equal(both.split(" ").length, 2);
  for (const held of [newSecret, oldSecret, [newSecret, oldSecret]]) {
    new WebhookVerifier(held).verify(body, headers(both, "msg_1", ts), { now: ts });
  }
  // a receiver holding both secrets accepts a delivery signed by either alone
  new WebhookVerifier([newSecret, oldSecret]).verify(body, headers(good), { now: ts });
});

test("the timestamp tolerance: 300 s either way by default, configurable", () => {
  const [secret, , ts, body, good] = SW_A;
  const verifier = new WebhookVerifier(secret);
  for (const skew of [-301, 301]) {
    assert.throws(() => verifier.verify(body, headers(good), { now: ts + skew }), /more than 300 seconds/);
    verifier.verify(body, headers(good), { now: ts + skew - Math.sign(skew) });
  }
  assert.throws(() => new WebhookVerifier(secret, { toleranceSeconds: 10 }).verify(body, headers(good), { now: ts + 11 }));
  // now, by default: the 2021 vector is far too old
  assert.throws(() => verifier.verify(body, headers(good)), WebhookVerificationError);
});

test("missing headers and a malformed timestamp are refused", () => {
  const [secret, id, ts, body, good] = SW_A;
  const verifier = new WebhookVerifier(secret);
  assert.throws(() => verifier.verify(body, { "webhook-id": id }, { now: ts }), /missing or malformed/);
  assert.throws(() => verifier.verify(body, { ...headers(good), "webhook-timestamp": "hello" }, { now: ts }), /malformed/);
  assert.throws(() => verifier.verify(body, { ...headers(good), "webhook-id": "" }, { now: ts }), /malformed/);
  assert.throws(() => new WebhookVerifier([]), TypeError);
});

test("checkout's payment signature: hex HMAC of order_id|payment_id with the key secret", () => {
  const client = new LightSpeedPay({ keyId: "lsp_test_k", keySecret: "demo_salt" });
  // the hex HMAC-SHA256 of "order_1|pay_1" keyed with demo_salt, as Python's hmac computes it
  const signature = "6cd2c14375e33daa00e2cc9d2058a4fe09d84bb3d11b4a04e66aebd5e592e9b6";
  assert.equal(verifyPaymentSignature("demo_salt", "order_1", "pay_1", signature), true);
  assert.equal(verifyPaymentSignature("demo_salt", "order_1", "pay_1", signature.toUpperCase()), true);
  assert.equal(client.verifyPaymentSignature("order_1", "pay_1", signature), true);
  assert.equal(client.verifyPaymentSignature("order_2", "pay_1", signature), false);
  assert.equal(client.verifyPaymentSignature("order_1", "pay_1", "nothex"), false);
});

test("the key secret shows in no inspect, JSON or property of the client", () => {
  const secret = "sk_very_secret_value_123";
  const client = new LightSpeedPay({ keyId: "lsp_test_abc", keySecret: secret, baseUrl: "http://127.0.0.1:9/" });
  for (const shown of [inspect(client), inspect(client, { depth: 10, showHidden: true }), JSON.stringify(client),
    inspect(client.payments, { depth: 10, showHidden: true }), JSON.stringify(client.payments), String(client)]) {
    assert.ok(!shown.includes(secret), shown);
  }
  assert.equal(client.baseUrl, "http://127.0.0.1:9");
  assert.equal(client.mode, "test");
  assert.equal(new LightSpeedPay({ keyId: "lsp_live1", keySecret: "x" }).mode, "live");
});

test("configuration: the key is required, the User-Agent names the SDK and its version", () => {
  assert.throws(() => new LightSpeedPay({ keyId: "", keySecret: "x" }), /keyId/);
  assert.throws(() => new LightSpeedPay({ keyId: "lsp_test_x" }), /keySecret/);
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url)));
  assert.equal(VERSION, pkg.version);
  const client = new LightSpeedPay({ keyId: "lsp_test_x", keySecret: "y", appInfo: "my-shop/1.2" });
  assert.match(client.userAgent, new RegExp(`^lightspeedpay-node/${pkg.version.replaceAll(".", "\\.")} node/v\\d+.* my-shop/1\\.2$`));
  assert.equal(LightSpeedPayDefault, LightSpeedPay);
});

test("typed errors carry code, message, field, status and request id", () => {
  const error = new InvalidRequestError({ code: "INVALID_AMOUNT", message: "amount: must be positive", field: "amount",
    status: 422, requestId: "req_1" });
  assert.ok(error instanceof LightSpeedPayError && error instanceof Error);
  assert.deepEqual([error.name, error.code, error.message, error.field, error.status, error.requestId],
    ["InvalidRequestError", "INVALID_AMOUNT", "amount: must be positive", "amount", 422, "req_1"]);
  for (const [cls, name] of [[AuthenticationError, "AuthenticationError"], [NotFoundError, "NotFoundError"],
    [ConflictError, "ConflictError"], [RateLimitError, "RateLimitError"], [ServerError, "ServerError"]]) {
    assert.equal(new cls({ code: "X", message: "m", status: 500 }).name, name);
  }
});
