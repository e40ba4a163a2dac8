// Standard Webhooks verification with Node's built-in crypto.
import { createHmac, timingSafeEqual } from "node:crypto";

const TOLERANCE_SECONDS = 5 * 60;

export class WebhookVerificationError extends Error {}

// Throws WebhookVerificationError unless one of the v1 signatures in `webhook-signature` is the base64
// HMAC-SHA256 of "webhook-id.webhook-timestamp.body", keyed with the whsec_ secret's decoded bytes, and the
// timestamp is within 5 minutes of now. `headers` as Node's http gives them (lower-case names); `body` is the raw
// request body (a Buffer): verify before parsing it.
export function verifyWebhook(secret, headers, body, now = Date.now() / 1000) {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"] ?? "";
  const signatures = headers["webhook-signature"];
  if (!id || !signatures || !/^[0-9]+$/.test(timestamp)) {
    throw new WebhookVerificationError("missing or malformed webhook-id, webhook-timestamp or webhook-signature");
  }
  if (Math.abs(now - Number(timestamp)) > TOLERANCE_SECONDS) {
    throw new WebhookVerificationError("webhook-timestamp is more than 5 minutes away");
  }
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest();
  for (const entry of signatures.split(" ")) {
    const [version, signature = ""] = entry.split(",", 2);
    const candidate = Buffer.from(signature, "base64");
    if (version === "v1" && candidate.length === expected.length && timingSafeEqual(candidate, expected)) return;
  }
  throw new WebhookVerificationError("no signature matches");
}
