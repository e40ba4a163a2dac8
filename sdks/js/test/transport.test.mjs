// How requests go out, against a loopback HTTP server whose answers each test scripts: the signature, the
// User-Agent, one Idempotency-Key per call reused by its retries, backoff on 5xx, 409 IDEMPOTENCY_KEY_IN_USE and
// dropped connections, Retry-After on 429, no retry on other 4xx, timeouts, typed errors, and no secret in logs.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";

import { ConnectionError, ConflictError, InvalidRequestError, LightSpeedPay, RateLimitError, ServerError } from "@lightspeedpay/sdk";

import { scriptedServer } from "./helpers.mjs";

const SECRET = "transport-test-secret-xyz";
const PAID = { transaction_id: "5f0c2b7e-0000-4000-8000-000000000001", payment_id: "pay_1", status: "created" };

function client(url, options = {}) {
  const log = [];
  const sdk = new LightSpeedPay({ keyId: "lsp_test_t", keySecret: SECRET, baseUrl: url, retryBaseDelay: 20,
    retryMaxDelay: 100, logger: (entry) => log.push(entry), ...options });
  return { sdk, log };
}

const error = (status, code, extra = {}) => ({ status, body: { error: { code, message: `${code} happened`, field: "amount" } }, ...extra });

test("a request is signed as signing.md says, with the SDK's User-Agent and JSON body", async (t) => {
  const server = await scriptedServer([{ status: 201, body: PAID }]);
  t.after(server.close);
  const { sdk } = client(server.url);
  const answer = await sdk.payments.pay({ amount: 49900, order_id: "ORD-1", notes: { a: "b c" } });
  assert.deepEqual(answer, PAID);
  const [req] = server.requests;
  assert.equal(req.method, "POST");
  assert.equal(req.url, "/api/v1/pay");
  assert.equal(req.headers["x-client-key"], "lsp_test_t");
  assert.match(req.headers["x-timestamp"], /^\d{13}$/);
  const expected = createHmac("sha256", SECRET).update(`${req.headers["x-timestamp"]}.POST./api/v1/pay.${req.body}`).digest("hex");
  assert.equal(req.headers["x-signature"], expected);
  assert.equal(req.headers["content-type"], "application/json");
  assert.match(req.headers["user-agent"], /^lightspeedpay-node\/\d+\.\d+\.\d+ /);
  assert.match(req.headers["idempotency-key"], /^[0-9a-f-]{36}$/);
  assert.deepEqual(JSON.parse(req.body), { amount: 49900, order_id: "ORD-1", notes: { a: "b c" } });
});

test("a query is signed exactly as it is sent; a GET signs an empty body and carries no idempotency key", async (t) => {
  const server = await scriptedServer([{ body: { items: [], next_cursor: null } }]);
  t.after(server.close);
  const { sdk } = client(server.url);
  await sdk.payments.list({ status: "paid", q: "a b+c@x.in", from: new Date("2026-01-01T00:00:00Z"), limit: 5 });
  const [req] = server.requests;
  assert.equal(req.url, "/api/v1/transactions?status=paid&q=a+b%2Bc%40x.in&from=2026-01-01T00%3A00%3A00.000Z&limit=5");
  const expected = createHmac("sha256", SECRET).update(`${req.headers["x-timestamp"]}.GET.${req.url}.`).digest("hex");
  assert.equal(req.headers["x-signature"], expected);
  assert.equal(req.headers["idempotency-key"], undefined);
});

test("/v1 goes with HTTP Basic, not a signature", async (t) => {
  const server = await scriptedServer([{ body: { id: "order_1", entity: "order" } }]);
  t.after(server.close);
  const { sdk } = client(server.url);
  await sdk.orders.create({ amount: 100, receipt: "r1" });
  const [req] = server.requests;
  assert.equal(req.headers.authorization, `Basic ${Buffer.from(`lsp_test_t:${SECRET}`).toString("base64")}`);
  assert.equal(req.headers["x-signature"], undefined);
  assert.ok(req.headers["idempotency-key"]);
});

test("5xx, a dropped connection and 409 IDEMPOTENCY_KEY_IN_USE are retried with the same key, each signed anew", async (t) => {
  const server = await scriptedServer([error(503, "NO_GATEWAY_AVAILABLE"), "drop", error(409, "IDEMPOTENCY_KEY_IN_USE"), { status: 201, body: PAID }]);
  t.after(server.close);
  const { sdk, log } = client(server.url, { maxRetries: 3 });
  assert.deepEqual(await sdk.payments.pay({ amount: 100, order_id: "ORD-2" }), PAID);
  assert.equal(server.requests.length, 4);
  const keys = new Set(server.requests.map((r) => r.headers["idempotency-key"]));
  assert.equal(keys.size, 1);
  assert.equal(new Set(server.requests.map((r) => r.headers["x-timestamp"])).size, 4);
  assert.deepEqual(log.map((e) => [e.attempt, e.status, e.code]),
    [[0, 503, "NO_GATEWAY_AVAILABLE"], [1, null, "CONNECTION_ERROR"], [2, 409, "IDEMPOTENCY_KEY_IN_USE"], [3, 201, null]]);
  assert.ok(log.slice(0, 3).every((e) => e.retryInMs >= 10 && e.retryInMs <= 100), JSON.stringify(log));
});

test("an idempotency key of the caller's is the one sent, on every attempt", async (t) => {
  const server = await scriptedServer([error(500, "INTERNAL_ERROR"), { status: 201, body: PAID }]);
  t.after(server.close);
  const { sdk } = client(server.url);
  await sdk.refunds.create("pay_1", { amount: 100 }, { idempotencyKey: "refund-ORD-9-1" });
  assert.deepEqual(server.requests.map((r) => r.headers["idempotency-key"]), ["refund-ORD-9-1", "refund-ORD-9-1"]);
  assert.equal(server.requests[0].url, "/api/v1/transactions/pay_1/refunds");
});

test("429 waits out Retry-After before the retry", async (t) => {
  const server = await scriptedServer([error(429, "RATE_LIMITED", { headers: { "retry-after": "1" } }), { body: { balance_due: 0 } }]);
  t.after(server.close);
  const { sdk } = client(server.url);
  await sdk.wallet.get();
  const [first, second] = server.requests;
  assert.ok(second.at - first.at >= 1000, `${second.at - first.at} ms`);
});

test("a Retry-After past maxRetryAfter, or retries used up, end in the typed error", async (t) => {
  const server = await scriptedServer([error(429, "RATE_LIMITED", { headers: { "retry-after": "120" } })]);
  t.after(server.close);
  const { sdk } = client(server.url);
  const thrown = await sdk.wallet.get().catch((e) => e);
  assert.ok(thrown instanceof RateLimitError);
  assert.equal(thrown.retryAfter, 120);
  assert.equal(server.requests.length, 1);

  const failing = await scriptedServer([error(502, "PSP_UNAVAILABLE", { headers: { "x-request-id": "req-502" } })]);
  t.after(failing.close);
  const { sdk: sdk2 } = client(failing.url, { maxRetries: 2 });
  const gaveUp = await sdk2.payments.get("pay_1").catch((e) => e);
  assert.ok(gaveUp instanceof ServerError);
  assert.deepEqual([gaveUp.status, gaveUp.code, gaveUp.requestId], [502, "PSP_UNAVAILABLE", "req-502"]);
  assert.equal(failing.requests.length, 3);
});

test("other 4xx are never retried, and become typed errors", async (t) => {
  const server = await scriptedServer([error(422, "INVALID_AMOUNT", { headers: { "x-request-id": "req-422" } })]);
  t.after(server.close);
  const { sdk } = client(server.url, { maxRetries: 5 });
  const thrown = await sdk.payments.pay({ amount: -1, order_id: "ORD-3" }).catch((e) => e);
  assert.ok(thrown instanceof InvalidRequestError);
  assert.deepEqual([thrown.status, thrown.code, thrown.field, thrown.requestId, thrown.message],
    [422, "INVALID_AMOUNT", "amount", "req-422", "INVALID_AMOUNT happened"]);
  assert.equal(server.requests.length, 1);

  const conflict = await scriptedServer([error(409, "DUPLICATE_ORDER_ID")]);
  t.after(conflict.close);
  const { sdk: sdk2 } = client(conflict.url, { maxRetries: 5 });
  assert.ok((await sdk2.payments.pay({ amount: 1, order_id: "x" }).catch((e) => e)) instanceof ConflictError);
  assert.equal(conflict.requests.length, 1);
});

test("/v1's Razorpay-shaped error becomes the platform's code (its reason, upper-cased)", async (t) => {
  const server = await scriptedServer([{ status: 400, body: { error: { code: "BAD_REQUEST_ERROR", description: "The amount must be at least INR 1.00.", field: "amount", reason: "input_validation_failed" } } }]);
  t.after(server.close);
  const { sdk } = client(server.url);
  const thrown = await sdk.orders.create({ amount: 0 }).catch((e) => e);
  assert.ok(thrown instanceof InvalidRequestError);
  assert.deepEqual([thrown.code, thrown.message, thrown.field], ["INPUT_VALIDATION_FAILED", "The amount must be at least INR 1.00.", "amount"]);
});

test("a request the API does not deduplicate is not retried after a 5xx or a dropped connection", async (t) => {
  const server = await scriptedServer(["drop"]);
  t.after(server.close);
  const { sdk } = client(server.url, { maxRetries: 3 });
  const thrown = await sdk.webhookEndpoints.create({ url: "https://shop.example.com/hooks" }).catch((e) => e);
  assert.ok(thrown instanceof ConnectionError);
  assert.equal(thrown.code, "CONNECTION_ERROR");
  assert.equal(server.requests.length, 1);
});

test("a timeout is a ConnectionError TIMEOUT, retried for a GET", async (t) => {
  const server = await scriptedServer([{ body: {}, delayMs: 500 }]);
  t.after(server.close);
  const { sdk, log } = client(server.url, { timeout: 100, maxRetries: 1 });
  const thrown = await sdk.payments.get("pay_1").catch((e) => e);
  assert.ok(thrown instanceof ConnectionError);
  assert.equal(thrown.code, "TIMEOUT");
  assert.equal(log.length, 2);
});

test("pages are followed by cursor when iterated; awaited, the list is one page", async (t) => {
  const item = (id) => ({ id });
  const server = await scriptedServer([
    { body: { items: [item(1), item(2)], next_cursor: "c2" } },
    { body: { items: [item(3)], next_cursor: null } },
  ]);
  t.after(server.close);
  const { sdk } = client(server.url);
  const ids = [];
  for await (const txn of sdk.payments.list({ limit: 2 })) ids.push(txn.id);
  assert.deepEqual(ids, [1, 2, 3]);
  assert.deepEqual(server.requests.map((r) => r.url), ["/api/v1/transactions?limit=2", "/api/v1/transactions?limit=2&cursor=c2"]);
});

test("neither the logger, an error nor its message ever holds the secret or a signature", async (t) => {
  const server = await scriptedServer([error(401, "INVALID_SIGNATURE"), "drop"]);
  t.after(server.close);
  const { sdk, log } = client(server.url, { maxRetries: 0 });
  const errors = [await sdk.wallet.get().catch((e) => e), await sdk.wallet.get().catch((e) => e)];
  const signatures = server.requests.map((r) => r.headers["x-signature"]).filter(Boolean);
  const shown = JSON.stringify(log) + errors.map((e) => `${e.stack} ${JSON.stringify(e)} ${e.message}`).join(" ");
  for (const secret of [SECRET, ...signatures]) assert.ok(!shown.includes(secret));
  assert.equal(errors[0].name, "AuthenticationError");
});
