// Signed requests to the LightSpeedPay API from Node 20 or later (built-in fetch and crypto; no packages).
import { createHmac } from "node:crypto";

export const API = process.env.LSP_API ?? "http://127.0.0.1:8000";

// The hex HMAC-SHA256 of "timestamp.METHOD.path.body", keyed with your key secret. `path` includes the query
// string; `body` is the exact string you send (empty for a GET).
export function sign(secret, timestamp, method, path, body) {
  return createHmac("sha256", secret).update(`${timestamp}.${method}.${path}.${body}`).digest("hex");
}

// A signed request; resolves to the answer's JSON, or throws with the API's error.
export async function lspRequest(keyId, keySecret, method, path, payload, headers = {}) {
  const body = payload === undefined ? "" : JSON.stringify(payload);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signed = {
    "X-Client-Key": keyId,
    "X-Timestamp": timestamp,
    "X-Signature": sign(keySecret, timestamp, method, path, body),
  };
  if (body) signed["Content-Type"] = "application/json";
  const answer = await fetch(API + path, { method, headers: { ...headers, ...signed }, body: body || undefined });
  const text = await answer.text();
  if (!answer.ok) throw new Error(`${method} ${path}: ${answer.status} ${text}`); // {"error": {"code", ...}}
  return JSON.parse(text);
}
