/**
 * Verifying the platform's webhook deliveries (Standard Webhooks): the signature over the raw body with your
 * endpoint's whsec_ secret (or secrets, while you switch after a rotation), and the timestamp's tolerance.
 */
import { WebhookVerificationError } from "./errors.js";
import type { VerifyOptions, WebhookHeaders } from "./signing.js";
import { DEFAULT_TOLERANCE_SECONDS, verifyWebhookSignature } from "./signing.js";
import type { WebhookEvent } from "./types.js";

export class WebhookVerifier {
  readonly #secrets: string[];
  readonly toleranceSeconds: number;

  /** `secrets`: your endpoint's whsec_… secret, or a list of them (the new and the old during a rotation). */
  constructor(secrets: string | string[], options: { toleranceSeconds?: number } = {}) {
    this.#secrets = Array.isArray(secrets) ? [...secrets] : [secrets];
    if (this.#secrets.length === 0 || this.#secrets.some((s) => !s)) {
      throw new TypeError("WebhookVerifier: a whsec_ secret is required");
    }
    this.toleranceSeconds = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  }

  /**
   * The delivery's event once it verifies; throws WebhookVerificationError otherwise. `body` is the raw request
   * body (a Buffer or the exact string), read before any JSON parsing; `headers` as Node's http or fetch give them.
   */
  verify<D = Record<string, unknown>>(body: string | Uint8Array, headers: WebhookHeaders, options: Pick<VerifyOptions, "now"> = {}): WebhookEvent<D> {
    verifyWebhookSignature(this.#secrets, headers, body, { toleranceSeconds: this.toleranceSeconds, now: options.now });
    const text = typeof body === "string" ? body : Buffer.from(body).toString("utf8");
    try {
      return JSON.parse(text) as WebhookEvent<D>;
    } catch {
      throw new WebhookVerificationError("the body is not JSON");
    }
  }

  toJSON(): object {
    return { toleranceSeconds: this.toleranceSeconds };
  }
}
