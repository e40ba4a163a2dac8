// The SDK against the platform started by tests/sdks/test_js_sdk.py (the variables of tests/sdks/conftest.py):
// a payment paid on the sandbox, a refund, a webhook received and verified, a 429 retried after Retry-After, a
// retry with the same Idempotency-Key answered with the same payment, typed errors, pagination, and the other
// resources. Skipped when LSP_API is not set.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { after, before, describe, test } from "node:test";

import {
  AuthenticationError, ConflictError, InvalidRequestError, LightSpeedPay, NotFoundError, WebhookVerificationError,
  WebhookVerifier,
} from "@lightspeedpay/sdk";

import { env, SKIP_WITHOUT_PLATFORM } from "./helpers.mjs";

const orderId = (tag) => `ORD-js-${tag}-${randomUUID().slice(0, 8)}`;
const log = [];
const lsp = env.LSP_API
  ? new LightSpeedPay({ baseUrl: env.LSP_API, keyId: env.LSP_KEY_ID, keySecret: env.LSP_KEY_SECRET, logger: (e) => log.push(e) })
  : null;

/** A payment created with the SDK and answered on the sandbox's checkout page, as a customer would: paid by
 * default, or `authorize` to leave it authorized for a capture. */
async function paidPayment(amount = 49900, outcome = "success") {
  const created = await lsp.payments.pay({ amount, currency: "INR", order_id: orderId("pay"), customer: { name: "Asha Rao" } });
  let txn = await lsp.payments.waitFor(created.transaction_id, ["pending", "paid", "failed", "expired"], { timeout: 60_000 });
  assert.equal(txn.status, "pending");
  assert.match(txn.checkout_url, /^http:\/\/127\.0\.0\.1:\d+\//);
  const pressed = await fetch(txn.checkout_url, { method: "POST", body: new URLSearchParams({ outcome }) });
  assert.ok(pressed.ok, `the checkout page answered ${pressed.status}`);
  const want = outcome === "authorize" ? "authorized" : "paid";
  txn = await lsp.payments.waitFor(created.transaction_id, [want, "paid", "failed", "expired"], { timeout: 60_000 });
  assert.equal(txn.status, want);
  return txn;
}

/** A receiver on LSP_WEBHOOK_PORT: every delivery, raw, with its headers. */
function receiver() {
  const deliveries = [];
  const waiters = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const delivery = { path: req.url, headers: req.headers, body: Buffer.concat(chunks) };
      deliveries.push(delivery);
      res.writeHead(204).end();
      for (const w of [...waiters]) if (w.match(delivery)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(delivery); }
    });
  });
  return {
    deliveries,
    listen: () => new Promise((resolve) => server.listen(Number(env.LSP_WEBHOOK_PORT), "127.0.0.1", resolve)),
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
    /** the first delivery (already received or to come) for which match(delivery) holds */
    next(match, timeoutMs = 60_000) {
      const seen = deliveries.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no such webhook arrived")), timeoutMs);
        waiters.push({ match, resolve: (d) => { clearTimeout(timer); resolve(d); } });
      });
    },
  };
}

const eventOf = (delivery) => JSON.parse(delivery.body.toString());

describe("against the platform", { skip: SKIP_WITHOUT_PLATFORM }, () => {
  const hooks = receiver();
  let endpoint;

  before(async () => {
    await hooks.listen();
    endpoint = await lsp.webhookEndpoints.create({
      url: `http://127.0.0.1:${env.LSP_WEBHOOK_PORT}/webhooks`,
      event_types: ["payment.paid", "refund.created", "ping"],
      description: "the JS SDK's tests",
    });
  });
  after(async () => {
    await hooks.close();
  });

  test("a payment paid on the sandbox, then refunded in part; its payment.paid webhook verified by the SDK", async () => {
    assert.match(endpoint.secret, /^whsec_/);
    const txn = await paidPayment(49900);
    assert.equal(txn.amount, 49900);
    assert.equal(txn.mode, "test");
    assert.deepEqual(await lsp.payments.get(txn.payment_id), await lsp.payments.get(txn.id));

    const delivery = await hooks.next((d) => eventOf(d).type === "payment.paid" && eventOf(d).data.transaction_id === txn.id);
    assert.equal(delivery.path, "/webhooks");
    const event = new WebhookVerifier(endpoint.secret).verify(delivery.body, delivery.headers);
    assert.equal(event.type, "payment.paid");
    assert.deepEqual([event.data.payment_id, event.data.amount, event.data.status, event.livemode], [txn.payment_id, 49900, "paid", false]);
    // a byte changed, or another endpoint's secret: refused
    const tampered = Buffer.from(delivery.body.toString().replace("49900", "49901"));
    assert.throws(() => new WebhookVerifier(endpoint.secret).verify(tampered, delivery.headers), WebhookVerificationError);
    assert.throws(() => new WebhookVerifier("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").verify(delivery.body, delivery.headers),
      WebhookVerificationError);

    const refund = await lsp.refunds.create(txn.payment_id, { amount: 10000, notes: { reason: "one item returned" } });
    assert.match(refund.id, /^rfnd_/);
    assert.deepEqual([refund.amount, refund.payment_id, refund.transaction_id], [10000, txn.payment_id, txn.id]);
    assert.ok(["pending", "processed"].includes(refund.status), refund.status);
    assert.equal((await lsp.refunds.get(refund.id)).id, refund.id);
    const ofPayment = await lsp.refunds.listForPayment(txn.id);
    assert.deepEqual(ofPayment.items.map((r) => r.id), [refund.id]);
    const all = [];
    for await (const r of lsp.refunds.list({ limit: 1 })) all.push(r.id);
    assert.ok(all.includes(refund.id));
    // refunding more than is left is the API's typed refusal
    const tooMuch = await lsp.refunds.create(txn.id, { amount: 49900 }).catch((e) => e);
    assert.ok(tooMuch instanceof InvalidRequestError, String(tooMuch));
    assert.equal(tooMuch.code, "REFUND_EXCEEDS_PAID");
    assert.equal(tooMuch.field, "amount");
    // a paid payment cannot be captured
    const capture = await lsp.payments.capture(txn.id).catch((e) => e);
    assert.ok(capture instanceof ConflictError, String(capture));
    assert.equal(capture.code, "PAYMENT_NOT_CAPTURABLE");

    const refundHook = await hooks.next((d) => eventOf(d).type === "refund.created" && eventOf(d).data.refund_id === refund.id);
    new WebhookVerifier(endpoint.secret).verify(refundHook.body, refundHook.headers);
    const csv = await lsp.payments.csv({ q: txn.order_id });
    assert.ok(csv.split("\n")[0].length > 0 && csv.includes(txn.payment_id), csv.slice(0, 300));
  });

  test("webhook endpoints: get, list, update, deliveries, resend, test ping, rotate (two signatures), delete", async () => {
    assert.equal((await lsp.webhookEndpoints.get(endpoint.id)).url, endpoint.url);
    assert.ok((await lsp.webhookEndpoints.list()).items.some((e) => e.id === endpoint.id));
    const updated = await lsp.webhookEndpoints.update(endpoint.id, { description: "renamed" });
    assert.equal(updated.description, "renamed");

    const ping = await lsp.webhookEndpoints.test(endpoint.id);
    assert.deepEqual(ping.endpoint_ids, [endpoint.id]);
    const pinged = await hooks.next((d) => eventOf(d).type === "ping");
    new WebhookVerifier(endpoint.secret).verify(pinged.body, pinged.headers);

    // the delivery log, page by page; a finished delivery sent again carries the same webhook-id
    let logged;
    for (let i = 0; i < 50 && !logged; i++) {
      for await (const d of lsp.webhookEndpoints.deliveries(endpoint.id, { limit: 1 })) {
        if (d.event_type === "ping" && d.status === "succeeded") { logged = d; break; }
      }
      if (!logged) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(logged, "the ping is in the delivery log");
    const before = hooks.deliveries.filter((d) => d.headers["webhook-id"] === pinged.headers["webhook-id"]).length;
    const resent = await lsp.webhookEndpoints.resend(endpoint.id, logged.id);
    assert.equal(resent.status, "queued");
    await hooks.next((d) => d.headers["webhook-id"] === pinged.headers["webhook-id"]
      && hooks.deliveries.filter((x) => x.headers["webhook-id"] === pinged.headers["webhook-id"]).length > before);

    const rotated = await lsp.webhookEndpoints.rotate(endpoint.id);
    assert.notEqual(rotated.secret, endpoint.secret);
    const count = hooks.deliveries.length;
    await lsp.webhookEndpoints.test(endpoint.id);
    const afterRotation = await hooks.next((d) => hooks.deliveries.indexOf(d) >= count && eventOf(d).type === "ping");
    assert.equal(afterRotation.headers["webhook-signature"].split(" ").length, 2);
    for (const held of [rotated.secret, endpoint.secret, [rotated.secret, endpoint.secret]]) {
      new WebhookVerifier(held).verify(afterRotation.body, afterRotation.headers);
    }

    const other = await lsp.webhookEndpoints.create({ url: "http://127.0.0.1:9/elsewhere", enabled: false });
    await lsp.webhookEndpoints.delete(other.id);
    const gone = await lsp.webhookEndpoints.get(other.id).catch((e) => e);
    assert.ok(gone instanceof NotFoundError);
    assert.equal(gone.status, 404);
  });

  test("a retry whose first answer was lost gets the same payment, by the same Idempotency-Key", async (t) => {
    // a loopback proxy that passes the first POST /api/v1/pay to the platform and then drops the connection, as if
    // the answer had been lost on the way; the SDK retries, signed anew, with the same key
    let dropped = 0;
    const proxy = createServer(async (req, res) => {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !["host", "connection", "content-length"].includes(k)));
      const answer = await fetch(env.LSP_API + req.url, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
      const body = Buffer.from(await answer.arrayBuffer());
      if (req.url === "/api/v1/pay" && dropped++ === 0) return req.socket.destroy();
      res.writeHead(answer.status, Object.fromEntries(answer.headers)).end(body);
    });
    await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    t.after(() => new Promise((resolve) => { proxy.closeAllConnections(); proxy.close(resolve); }));
    const proxied = [];
    const viaProxy = new LightSpeedPay({ baseUrl: `http://127.0.0.1:${proxy.address().port}`, keyId: env.LSP_KEY_ID,
      keySecret: env.LSP_KEY_SECRET, retryBaseDelay: 50, logger: (e) => proxied.push(e) });
    const order = orderId("lost");
    const payment = await viaProxy.payments.pay({ amount: 12300, order_id: order });
    assert.deepEqual(proxied.map((e) => [e.attempt, e.status, e.code, e.replayed]), [[0, null, "CONNECTION_ERROR", false], [1, 201, null, true]]);
    assert.equal(proxied[0].idempotencyKey, proxied[1].idempotencyKey);
    const found = await lsp.payments.list({ q: order });
    assert.deepEqual(found.items.map((p) => p.id), [payment.transaction_id]);

    // the same key given by the caller: the same payment again; with other parameters, a bug refused
    const again = await lsp.payments.pay({ amount: 12300, order_id: order }, { idempotencyKey: proxied[0].idempotencyKey });
    assert.equal(again.transaction_id, payment.transaction_id);
    assert.equal(log.at(-1).replayed, true);
    const reused = await lsp.payments.pay({ amount: 999, order_id: order }, { idempotencyKey: proxied[0].idempotencyKey }).catch((e) => e);
    assert.ok(reused instanceof InvalidRequestError);
    assert.equal(reused.code, "IDEMPOTENCY_KEY_REUSED");
    // a second payment of the same order id with a new key is the API's conflict
    const duplicate = await lsp.payments.pay({ amount: 12300, order_id: order }).catch((e) => e);
    assert.ok(duplicate instanceof ConflictError);
    assert.equal(duplicate.code, "DUPLICATE_ORDER_ID");
  });

  test("a 429 on the throttled API is retried after its Retry-After, then succeeds", async () => {
    const throttledLog = [];
    const throttled = new LightSpeedPay({ baseUrl: env.LSP_THROTTLED_API, keyId: env.LSP_THROTTLED_KEY_ID,
      keySecret: env.LSP_THROTTLED_KEY_SECRET, maxRetries: 4, logger: (e) => throttledLog.push(e) });
    const started = Date.now();
    const [first, second] = await Promise.all([throttled.wallet.get(), throttled.wallet.get()]);
    assert.equal(first.merchant_id, second.merchant_id);
    const limited = throttledLog.filter((e) => e.status === 429);
    assert.ok(limited.length >= 1, JSON.stringify(throttledLog));
    assert.ok(limited.every((e) => e.code === "RATE_LIMITED" && e.retryInMs >= 1000), JSON.stringify(limited));
    assert.equal(throttledLog.filter((e) => e.status === 200).length, 2);
    assert.ok(Date.now() - started >= 1000);
  });

  test("bad input is a typed error with the API's code, field, status and request id", async () => {
    const bad = await lsp.payments.pay({ amount: -5, order_id: orderId("bad") }).catch((e) => e);
    assert.ok(bad instanceof InvalidRequestError, String(bad));
    assert.equal(bad.status, 422);
    assert.equal(bad.field, "amount");
    assert.match(bad.code, /^[A-Z_]+$/);
    assert.ok(bad.message.length > 0);
    assert.ok(bad.requestId, "the answer's X-Request-Id");
    assert.equal(log.filter((e) => e.requestId === bad.requestId).length, 1, "a 422 is not retried");

    const missing = await lsp.payments.get("pay_doesnotexist").catch((e) => e);
    assert.ok(missing instanceof NotFoundError);
    assert.equal(missing.code, "NOT_FOUND");

    const wrongKey = new LightSpeedPay({ baseUrl: env.LSP_API, keyId: env.LSP_KEY_ID, keySecret: "not-the-secret-at-all" });
    const refused = await wrongKey.wallet.get().catch((e) => e);
    assert.ok(refused instanceof AuthenticationError);
    assert.equal(refused.code, "INVALID_SIGNATURE");
    assert.ok(!`${refused.stack}${JSON.stringify(refused)}`.includes("not-the-secret-at-all"));

    const badOrder = await lsp.orders.create({ amount: 0 }).catch((e) => e);
    assert.ok(badOrder instanceof InvalidRequestError, String(badOrder));
    assert.equal(badOrder.status, 400);
    assert.equal(badOrder.field, "amount");
  });

  test("lists page by keyset cursor when iterated: every payment once, newest first", async () => {
    for (let i = 0; i < 3; i++) await lsp.payments.pay({ amount: 100 + i, order_id: orderId(`page${i}`) });
    const whole = await lsp.payments.list({ limit: 100 });
    assert.equal(whole.next_cursor, null);
    assert.ok(whole.items.length >= 3);
    const first = await lsp.payments.list({ limit: 1 });
    assert.equal(first.items.length, 1);
    assert.ok(first.next_cursor);
    const seen = [];
    for await (const txn of lsp.payments.list({ limit: 1 })) seen.push(txn.id);
    assert.deepEqual(seen, whole.items.map((t) => t.id));
    const pages = log.filter((e) => e.path.startsWith("/api/v1/transactions?limit=1"));
    assert.ok(pages.length >= whole.items.length, `${pages.length} pages`);
  });

  test("orders on /v1 with HTTP Basic: create, get, list by count and skip, an order's payments", async () => {
    const receipt = orderId("rcpt");
    const order = await lsp.orders.create({ amount: 50000, currency: "INR", receipt, notes: { customer: "Asha" } });
    assert.match(order.id, /^order_/);
    assert.deepEqual([order.amount, order.status, order.receipt], [50000, "created", receipt]);
    assert.equal((await lsp.orders.get(order.id)).id, order.id);
    await lsp.orders.create({ amount: 100, receipt: orderId("rcpt2") });
    const ids = [];
    for await (const o of lsp.orders.list({ count: 1 })) ids.push(o.id);
    assert.ok(ids.length >= 2 && ids.includes(order.id));
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual((await lsp.orders.list({ receipt })).items.map((o) => o.id), [order.id]);
    assert.deepEqual((await lsp.orders.payments(order.id)).items, []);
    // checkout's payment signature, checked with the client's own secret
    assert.equal(lsp.verifyPaymentSignature(order.id, "pay_x", "0".repeat(64)), false);
  });

  test("an authorized payment captured once; a second capture is the API's typed refusal", async () => {
    const authorized = await paidPayment(30000, "authorize");
    const captured = await lsp.payments.capture(authorized.id);
    assert.equal(captured.status, "paid");
    assert.equal((await lsp.payments.get(authorized.id)).status, "paid");
    const again = await lsp.payments.capture(authorized.id).catch((e) => e);
    assert.ok(again instanceof ConflictError, String(again));
    assert.equal(again.code, "PAYMENT_NOT_CAPTURABLE");
  });

  test("wallet, settlements, usage and credentials", async () => {
    const wallet = await lsp.wallet.get();
    assert.equal(wallet.currency, "INR");
    assert.equal(typeof wallet.balance_due, "number");
    const entries = await lsp.wallet.entries({ limit: 5 });
    assert.ok(Array.isArray(entries.items));
    const settlements = [];
    for await (const s of lsp.settlements.list()) settlements.push(s);
    for (const s of settlements.slice(0, 1)) {
      assert.equal((await lsp.settlements.get(s.id)).id, s.id);
      assert.equal(typeof (await lsp.settlements.csv(s.id)), "string");
    }
    const missing = await lsp.settlements.get(randomUUID()).catch((e) => e);
    assert.ok(missing instanceof NotFoundError);
    const usage = await lsp.usage.get();
    assert.equal(typeof usage.requests, "number");
    const credentials = await lsp.credentials.list();
    const test = credentials.items.find((c) => c.mode === "test");
    assert.equal(test.key_id, env.LSP_KEY_ID);
    assert.ok(!JSON.stringify(credentials).includes(env.LSP_KEY_SECRET));
  });
});
