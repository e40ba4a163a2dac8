// The checkout's payment signature, checked on your server (Razorpay's scheme).
import { createHmac, timingSafeEqual } from "node:crypto";

// True when `signature` is the hex HMAC-SHA256 of "order_id|payment_id", keyed with your key secret.
// `orderId` is the one your server stored when it made the order, never one taken from the browser.
export function verifyPayment(keySecret, orderId, paymentId, signature) {
  const expected = createHmac("sha256", keySecret).update(`${orderId}|${paymentId}`).digest("hex");
  const given = Buffer.from(String(signature).toLowerCase());
  return given.length === expected.length && timingSafeEqual(given, Buffer.from(expected));
}
