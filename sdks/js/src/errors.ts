/**
 * The errors the SDK throws: every answer the API refuses becomes an {@link ApiError} (a subclass per kind of
 * refusal) carrying the API's stable `code`, its `message`, the `field` at fault, the HTTP status and the request
 * id to quote to support; a request that got no answer becomes a {@link ConnectionError}. None of them ever holds
 * the key secret or a request's signature.
 */

export interface ErrorDetails {
  code: string;
  message: string;
  field?: string | null;
  status?: number | null;
  requestId?: string | null;
  /** the answer's parsed body, as the API sent it */
  body?: unknown;
}

/** The base of every error the SDK throws about a request. */
export class LightSpeedPayError extends Error {
  /** the API's machine-readable code (`REFUND_EXCEEDS_PAID`); act on this, never on the wording */
  readonly code: string;
  /** the request field at fault (`amount`, `customer.email`), when one is */
  readonly field: string | null;
  /** the HTTP status, or null when no answer came */
  readonly status: number | null;
  /** the platform's X-Request-Id of the failed request */
  readonly requestId: string | null;
  readonly body: unknown;

  constructor(details: ErrorDetails) {
    super(details.message);
    this.name = new.target.name;
    this.code = details.code;
    this.field = details.field ?? null;
    this.status = details.status ?? null;
    this.requestId = details.requestId ?? null;
    this.body = details.body;
  }
}

/** The API answered with an error status. */
export class ApiError extends LightSpeedPayError {
  declare readonly status: number;
}

/** 400 or 422: the request is wrong (VALIDATION_ERROR, INVALID_AMOUNT, IDEMPOTENCY_KEY_REUSED, …); fix it. */
export class InvalidRequestError extends ApiError {}

/** 401: the key or the signature was refused (UNAUTHORIZED, INVALID_SIGNATURE, STALE_TIMESTAMP, …). */
export class AuthenticationError extends ApiError {}

/** 403: the key may not do this (IP_NOT_ALLOWED, LIVE_MODE_NOT_ACTIVATED, FORBIDDEN, …). */
export class PermissionDeniedError extends ApiError {}

/** 402: the payment or the account cannot go on (MERCHANT_SUSPENDED, PSP_DECLINED). */
export class PaymentRequiredError extends ApiError {}

/** 404: no such payment, refund, endpoint, … in this mode of your account. */
export class NotFoundError extends ApiError {}

/** 409: the request conflicts with the state of things (DUPLICATE_ORDER_ID, REFUND_NOT_ALLOWED, …). */
export class ConflictError extends ApiError {}

/** 429: too many requests; `retryAfter` says when to come back (the SDK already waited and retried). */
export class RateLimitError extends ApiError {
  /** seconds, from the answer's Retry-After */
  readonly retryAfter: number | null;

  constructor(details: ErrorDetails & { retryAfter?: number | null }) {
    super(details);
    this.retryAfter = details.retryAfter ?? null;
  }
}

/** 5xx: nothing was changed; a retry with the same Idempotency-Key is safe (the SDK already retried). */
export class ServerError extends ApiError {}

/** No answer: the connection failed or the timeout passed (code CONNECTION_ERROR or TIMEOUT). */
export class ConnectionError extends LightSpeedPayError {}

/** A webhook delivery that does not verify: never act on its body. */
export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WebhookVerificationError";
  }
}

/** The error class for an answer's HTTP status. */
export function errorFor(details: ErrorDetails & { status: number; retryAfter?: number | null }): ApiError {
  const { status } = details;
  if (status === 400 || status === 422) return new InvalidRequestError(details);
  if (status === 401) return new AuthenticationError(details);
  if (status === 402) return new PaymentRequiredError(details);
  if (status === 403) return new PermissionDeniedError(details);
  if (status === 404) return new NotFoundError(details);
  if (status === 409) return new ConflictError(details);
  if (status === 429) return new RateLimitError(details);
  if (status >= 500) return new ServerError(details);
  return new ApiError(details);
}
