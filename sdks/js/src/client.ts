/** The client: configuration, and the API's resources on one signed, retrying transport. */
import { inspect } from "node:util";

import {
  Credentials, Orders, Payments, Refunds, Settlements, Usage, WalletResource, WebhookEndpoints,
} from "./resources.js";
import type { ClientOptions } from "./transport.js";
import { Transport } from "./transport.js";

export class LightSpeedPay {
  readonly payments: Payments;
  readonly refunds: Refunds;
  readonly orders: Orders;
  readonly wallet: WalletResource;
  readonly settlements: Settlements;
  readonly webhookEndpoints: WebhookEndpoints;
  readonly credentials: Credentials;
  readonly usage: Usage;
  readonly #http: Transport;

  constructor(options: ClientOptions) {
    this.#http = new Transport(options);
    this.payments = new Payments(this.#http);
    this.refunds = new Refunds(this.#http);
    this.orders = new Orders(this.#http);
    this.wallet = new WalletResource(this.#http);
    this.settlements = new Settlements(this.#http);
    this.webhookEndpoints = new WebhookEndpoints(this.#http);
    this.credentials = new Credentials(this.#http);
    this.usage = new Usage(this.#http);
  }

  get baseUrl(): string {
    return this.#http.baseUrl;
  }

  get keyId(): string {
    return this.#http.keyId;
  }

  /** "test" for an lsp_test_ key, "live" otherwise. */
  get mode(): "test" | "live" {
    return this.#http.keyId.startsWith("lsp_test_") ? "test" : "live";
  }

  get userAgent(): string {
    return this.#http.userAgent;
  }

  /**
   * Checks the payment signature that checkout.js hands your page ({razorpay_payment_id, razorpay_order_id,
   * razorpay_signature}) with this client's key secret. `orderId` is the one your server stored when it made
   * the order, never the one the browser sent back.
   */
  verifyPaymentSignature(orderId: string, paymentId: string, signature: string): boolean {
    return this.#http.verifyPaymentSignature(orderId, paymentId, signature);
  }

  toJSON(): object {
    return { baseUrl: this.baseUrl, keyId: this.keyId, keySecret: "[hidden]" };
  }

  [inspect.custom](): string {
    return `LightSpeedPay { baseUrl: '${this.baseUrl}', keyId: '${this.keyId}', keySecret: [hidden] }`;
  }
}
