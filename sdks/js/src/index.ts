/**
 * LightSpeedPay for Node.js servers (18 or later): signed requests, safe retries, typed errors, webhook
 * verification. The browser's checkout.js wrapper is `@lightspeedpay/sdk/checkout`.
 */
export { LightSpeedPay } from "./client.js";
export { LightSpeedPay as default } from "./client.js";
export {
  ApiError, AuthenticationError, ConflictError, ConnectionError, InvalidRequestError, LightSpeedPayError,
  NotFoundError, PaymentRequiredError, PermissionDeniedError, RateLimitError, ServerError, WebhookVerificationError,
} from "./errors.js";
export type { ErrorDetails } from "./errors.js";
export type { Page, PagePromise } from "./pagination.js";
export {
  Credentials, Orders, Payments, Refunds, Settlements, Usage, WalletResource, WebhookEndpoints,
} from "./resources.js";
export {
  DEFAULT_TOLERANCE_SECONDS, signRequest, signWebhook, verifyPaymentSignature, verifyWebhookSignature,
} from "./signing.js";
export type { VerifyOptions, WebhookHeaders } from "./signing.js";
export { DEFAULT_BASE_URL } from "./transport.js";
export type { ClientOptions, RequestLogEntry, RequestOptions } from "./transport.js";
export type * from "./types.js";
export { VERSION } from "./version.js";
export { WebhookVerifier } from "./webhooks.js";
