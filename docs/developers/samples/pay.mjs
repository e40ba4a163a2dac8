// A test payment from start to finish: create it, pay it on the sandbox's checkout page, see it paid.
// Run with your test key: LSP_KEY_ID=lsp_test_… LSP_KEY_SECRET=… node pay.mjs
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { lspRequest } from "./signing.mjs";

const request = (method, path, payload, headers) =>
  lspRequest(process.env.LSP_KEY_ID, process.env.LSP_KEY_SECRET, method, path, payload, headers);
const orderId = `ORD-${randomUUID().slice(0, 12)}`;

// 1. The payment. The Idempotency-Key makes a retry (after a timeout, say) return this payment, not a second one.
const created = await request(
  "POST",
  "/api/v1/pay",
  { amount: 49900, currency: "INR", order_id: orderId, customer: { name: "Asha Rao" } },
  { "Idempotency-Key": `pay-${orderId}` },
);
console.log("created", created.transaction_id, created.payment_id);

async function waitFor(...statuses) {
  for (let i = 0; i < 60; i++) {
    const txn = await request("GET", `/api/v1/transactions/${created.transaction_id}`);
    if (statuses.includes(txn.status)) return txn;
    await sleep(1000);
  }
  throw new Error("the payment did not move on");
}

// 2. A worker asks a PSP for the payment page in the background: wait for its checkout_url.
let txn = await waitFor("pending", "paid", "failed", "expired");
console.log("checkout page:", txn.checkout_url);

// 3. Send your customer there. In test mode the sandbox's page has a button per outcome; press "success".
const pressed = await fetch(txn.checkout_url, { method: "POST", body: new URLSearchParams({ outcome: "success" }) });
if (!pressed.ok) throw new Error(`the checkout page answered ${pressed.status}`);

// 4. The PSP tells the platform, which marks the payment paid and sends you payment.paid.
txn = await waitFor("paid", "failed", "expired");
console.log(txn.status, txn.payment_id, txn.amount, txn.mode);
