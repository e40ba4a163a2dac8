/**
 * The platform's signatures, with node:crypto: the native API's request signature (signing.md), Standard
 * Webhooks verification (webhooks.md), and checkout's payment signature (checkout-js.md).
 */
import { createHmac, timingSafeEqual } from "node:crypto";

import { WebhookVerificationError } from "./errors.js";

/** The hex HMAC-SHA256 of "timestamp.METHOD.path.body" keyed with the key secret; `path` with its query. */
export function signRequest(secret: string, timestamp: string, method: string, path: string, body: string): string {
  return createHmac("sha256", secret).update(`${timestamp}.${method}.${path}.${body}`).digest("hex");
}

/** True when `signature` is the hex HMAC-SHA256 of "order_id|payment_id" keyed with the key secret. `orderId` is
 * the one your server stored when it made the order, never one the browser sent back. */
export function verifyPaymentSignature(keySecret: string, orderId: string, paymentId: string, signature: string): boolean {
  const expected = Buffer.from(createHmac("sha256", keySecret).update(`${orderId}|${paymentId}`).digest("hex"));
  const given = Buffer.from(String(signature).toLowerCase());
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

/** Header values as Node's http gives them (lower-case names, maybe arrays), a plain object, or fetch's Headers. */
export type WebhookHeaders =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === "function") {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(" ") : value;
}

function secretBytes(secret: string): Buffer {
  const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice(6) : secret, "base64");
  if (key.length === 0) throw new WebhookVerificationError("the webhook secret is empty");
  return key;
}

/** The `webhook-signature` value for one delivery: a `v1,<base64>` per secret, space-separated (Standard
 * Webhooks' signer; the platform's own and the one the tests use to make deliveries of their own). */
export function signWebhook(secrets: string | string[], id: string, timestamp: number, body: string | Uint8Array): string {
  return (Array.isArray(secrets) ? secrets : [secrets])
    .map((s) => `v1,${createHmac("sha256", secretBytes(s)).update(`${id}.${timestamp}.`).update(body).digest("base64")}`)
    .join(" ");
}

export interface VerifyOptions {
  /** seconds between the delivery's webhook-timestamp and now that are accepted (default 300) */
  toleranceSeconds?: number;
  /** now, in Unix seconds (default: the clock) */
  now?: number;
}

/**
 * Throws WebhookVerificationError unless one of the `v1` signatures in `webhook-signature` is the base64
 * HMAC-SHA256 of "webhook-id.webhook-timestamp.body" keyed with one of `secrets` (whsec_…; several while you
 * switch to a rotated secret), and the timestamp is within the tolerance of now. `body` is the raw body.
 */
export function verifyWebhookSignature(
  secrets: string | string[],
  headers: WebhookHeaders,
  body: string | Uint8Array,
  options: VerifyOptions = {},
): void {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp") ?? "";
  const signatures = header(headers, "webhook-signature");
  if (!id || !signatures || !/^[0-9]+$/.test(timestamp)) {
    throw new WebhookVerificationError("missing or malformed webhook-id, webhook-timestamp or webhook-signature");
  }
  const now = options.now ?? Date.now() / 1000;
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(now - Number(timestamp)) > tolerance) {
    throw new WebhookVerificationError(`webhook-timestamp is more than ${tolerance} seconds away`);
  }
  const keys = (Array.isArray(secrets) ? secrets : [secrets]).map(secretBytes);
  // compared as base64 text: decoding first would let trailing junk after the padding pass
  const expected = keys.map((key) =>
    Buffer.from(createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest("base64")),
  );
  for (const entry of signatures.split(" ")) {
    const comma = entry.indexOf(",");
    if (comma < 0 || entry.slice(0, comma) !== "v1") continue;
    const candidate = Buffer.from(entry.slice(comma + 1));
    for (const digest of expected) {
      if (candidate.length === digest.length && timingSafeEqual(candidate, digest)) return;
    }
  }
  throw new WebhookVerificationError("no signature matches");
}
