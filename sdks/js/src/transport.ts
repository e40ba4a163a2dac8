/**
 * How every request is sent: signed (the native API) or with HTTP Basic (/v1), with a per-call Idempotency-Key
 * reused on every retry, retried with backoff and jitter when that is safe, and turned into typed errors. The
 * key secret lives in a private field here and nowhere else.
 */
import { randomUUID } from "node:crypto";

import { ConnectionError, errorFor } from "./errors.js";
import { signRequest, verifyPaymentSignature } from "./signing.js";
import { VERSION } from "./version.js";

export const DEFAULT_BASE_URL = "http://127.0.0.1:8000";

export interface ClientOptions {
  /** your API key id: lsp_test_… (test mode) or lsp_… (live) */
  keyId: string;
  /** the key's secret: never logged, never in an error, never shown by util.inspect */
  keySecret: string;
  /** the platform's address (default http://127.0.0.1:8000) */
  baseUrl?: string;
  /** milliseconds one attempt may take (default 30 000) */
  timeout?: number;
  /** retries after the first attempt when a retry is safe (default 2) */
  maxRetries?: number;
  /** the first backoff, in milliseconds, doubled on each retry (default 500) */
  retryBaseDelay?: number;
  /** the longest backoff, in milliseconds (default 8 000) */
  retryMaxDelay?: number;
  /** the longest Retry-After, in seconds, waited out; a longer one is thrown as a RateLimitError (default 60) */
  maxRetryAfter?: number;
  /** a fetch of your own (a proxy agent, say); default: the global fetch */
  fetch?: typeof fetch;
  /** told about every attempt (never the secret, the signature or a body) */
  logger?: (entry: RequestLogEntry) => void;
  /** appended to the User-Agent, e.g. "my-shop/1.2" */
  appInfo?: string;
}

export interface RequestOptions {
  /** this call's Idempotency-Key (default: a new UUID per call, reused by its retries); keep it with your order to
   * retry after a crash */
  idempotencyKey?: string;
  timeout?: number;
  maxRetries?: number;
  signal?: AbortSignal;
}

export interface RequestLogEntry {
  method: string;
  /** the path and query, as signed */
  path: string;
  /** 0 for the first attempt */
  attempt: number;
  /** null when no answer came */
  status: number | null;
  /** the error code when the attempt failed */
  code: string | null;
  requestId: string | null;
  idempotencyKey: string | null;
  /** the answer was the stored one of an earlier request with this key */
  replayed: boolean;
  durationMs: number;
  /** when another attempt follows, in how many milliseconds */
  retryInMs: number | null;
}

export type Query = Record<string, string | number | boolean | Date | null | undefined>;

export interface Call {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Query;
  body?: unknown;
  /** the /v1 (Razorpay-compatible) routes take HTTP Basic */
  auth?: "signature" | "basic";
  /** the route stores answers by Idempotency-Key: the call gets one and may be retried after any failure */
  idempotent?: boolean;
  /** the answer's body: JSON (default), text (CSV) or nothing */
  expect?: "json" | "text" | "none";
  options?: RequestOptions | undefined;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `?a=1&b=2` of the defined values; dates as ISO 8601. */
export function queryString(query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    params.append(name, value instanceof Date ? value.toISOString() : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** Seconds of a Retry-After header (seconds or an HTTP date), or null. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, (at - now) / 1000);
}

export class Transport {
  readonly baseUrl: string;
  readonly keyId: string;
  readonly userAgent: string;
  readonly timeout: number;
  readonly maxRetries: number;
  readonly retryBaseDelay: number;
  readonly retryMaxDelay: number;
  readonly maxRetryAfter: number;
  readonly #keySecret: string;
  readonly #fetch: typeof fetch;
  readonly #logger: ((entry: RequestLogEntry) => void) | undefined;

  constructor(options: ClientOptions) {
    if (!options || !options.keyId) throw new TypeError("LightSpeedPay: keyId (your API key id) is required");
    if (!options.keySecret) throw new TypeError("LightSpeedPay: keySecret (your API key's secret) is required");
    this.baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "");
    this.keyId = options.keyId;
    this.#keySecret = options.keySecret;
    this.timeout = options.timeout ?? 30_000;
    this.maxRetries = options.maxRetries ?? 2;
    this.retryBaseDelay = options.retryBaseDelay ?? 500;
    this.retryMaxDelay = options.retryMaxDelay ?? 8_000;
    this.maxRetryAfter = options.maxRetryAfter ?? 60;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#logger = options.logger;
    const runtime = typeof process !== "undefined" && process.version ? ` node/${process.version}` : "";
    this.userAgent = `lightspeedpay-node/${VERSION}${runtime}${options.appInfo ? ` ${options.appInfo}` : ""}`;
    if (typeof this.#fetch !== "function") throw new TypeError("LightSpeedPay: no fetch (Node 18 or later has one)");
  }

  /** Checkout's payment signature, checked with this client's key secret. */
  verifyPaymentSignature(orderId: string, paymentId: string, signature: string): boolean {
    return verifyPaymentSignature(this.#keySecret, orderId, paymentId, signature);
  }

  async request<T>(call: Call): Promise<T> {
    const options = call.options ?? {};
    const url = new URL(this.baseUrl + call.path + queryString(call.query));
    const target = url.pathname + url.search; // what the request line carries, so what is signed
    const body = call.body === undefined ? "" : JSON.stringify(call.body);
    const idempotencyKey = call.idempotent ? (options.idempotencyKey ?? randomUUID()) : null;
    const maxRetries = options.maxRetries ?? this.maxRetries;
    const timeout = options.timeout ?? this.timeout;
    // a request the API does not deduplicate is retried only when it surely did nothing
    const retriesAnything = call.method === "GET" || idempotencyKey !== null;

    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { "User-Agent": this.userAgent, Accept: "application/json, text/csv" };
      if (body) headers["Content-Type"] = "application/json";
      if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
      if (call.auth === "basic") {
        headers.Authorization = `Basic ${Buffer.from(`${this.keyId}:${this.#keySecret}`).toString("base64")}`;
      } else {
        // milliseconds: each attempt is signed anew and differs from the last, so it is never taken for a replay
        const timestamp = String(Date.now());
        headers["X-Client-Key"] = this.keyId;
        headers["X-Timestamp"] = timestamp;
        headers["X-Signature"] = signRequest(this.#keySecret, timestamp, call.method, target, body);
      }
      const started = Date.now();
      const signals = [AbortSignal.timeout(timeout), ...(options.signal ? [options.signal] : [])];
      let answer: Response;
      let text: string;
      try {
        answer = await this.#fetch(url.toString(), {
          method: call.method,
          headers,
          body: body || undefined,
          signal: signals.length > 1 ? anySignal(signals) : signals[0],
          redirect: "manual",
        });
        text = await answer.text();
      } catch (cause) {
        const timedOut = (cause as Error)?.name === "TimeoutError";
        const error = new ConnectionError({
          code: timedOut ? "TIMEOUT" : "CONNECTION_ERROR",
          message: timedOut
            ? `${call.method} ${url.pathname}: no answer within ${timeout} ms`
            : `${call.method} ${url.pathname}: ${describe(cause)}`,
        });
        const aborted = options.signal?.aborted ?? false;
        const retryIn = !aborted && retriesAnything && attempt < maxRetries ? this.#backoff(attempt) : null;
        this.#log({ method: call.method, path: target, attempt, status: null, code: error.code, requestId: null,
          idempotencyKey, replayed: false, durationMs: Date.now() - started, retryInMs: retryIn });
        if (retryIn === null) throw error;
        await sleep(retryIn);
        continue;
      }
      const requestId = answer.headers.get("x-request-id");
      const replayed = answer.headers.get("idempotent-replayed") === "true";
      if (answer.ok) {
        this.#log({ method: call.method, path: target, attempt, status: answer.status, code: null, requestId,
          idempotencyKey, replayed, durationMs: Date.now() - started, retryInMs: null });
        if (call.expect === "text") return text as T;
        if (call.expect === "none" || text === "") return undefined as T;
        return JSON.parse(text) as T;
      }
      const retryAfter = parseRetryAfter(answer.headers.get("retry-after"));
      const error = errorFor({ ...errorBody(text, answer.status), status: answer.status, requestId, retryAfter });
      let retryIn: number | null = null;
      if (attempt < maxRetries) {
        if (answer.status === 429) {
          // the limiter refused before any work: safe for every request, after the wait it asks for
          if (retryAfter === null) retryIn = this.#backoff(attempt);
          else if (retryAfter <= this.maxRetryAfter) retryIn = retryAfter * 1000 + Math.random() * 100;
        } else if (answer.status === 409 && error.code === "IDEMPOTENCY_KEY_IN_USE") {
          retryIn = Math.max(this.#backoff(attempt), (retryAfter ?? 0) * 1000);
        } else if (answer.status >= 500 && retriesAnything) {
          retryIn = Math.max(this.#backoff(attempt), Math.min(retryAfter ?? 0, this.maxRetryAfter) * 1000);
        }
      }
      this.#log({ method: call.method, path: target, attempt, status: answer.status, code: error.code, requestId,
        idempotencyKey, replayed, durationMs: Date.now() - started, retryInMs: retryIn });
      if (retryIn === null) throw error;
      await sleep(retryIn);
    }
  }

  /** Exponential backoff with "equal jitter": half the delay fixed, half random. */
  #backoff(attempt: number): number {
    const delay = Math.min(this.retryMaxDelay, this.retryBaseDelay * 2 ** attempt);
    return delay / 2 + Math.random() * (delay / 2);
  }

  #log(entry: RequestLogEntry): void {
    if (this.#logger) this.#logger(entry);
  }
}

/** The API's error body as the error's details: native {error: {code, message, field}}, or /v1's Razorpay shape
 * {error: {code, description, field, reason}} whose `reason` is the platform's code, lower-cased. */
export function errorBody(text: string, status: number): { code: string; message: string; field: string | null; body: unknown } {
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: a proxy's page, say
  }
  const error = (parsed as { error?: Record<string, unknown> } | null)?.error;
  if (error && typeof error === "object") {
    const reason = typeof error.reason === "string" && error.reason ? error.reason.toUpperCase() : null;
    return {
      code: reason ?? String(error.code ?? `HTTP_${status}`),
      message: String(error.message ?? error.description ?? `HTTP ${status}`),
      field: typeof error.field === "string" ? error.field : null,
      body: parsed,
    };
  }
  return { code: `HTTP_${status}`, message: `HTTP ${status}: ${text.slice(0, 200)}`, field: null, body: parsed };
}

function describe(cause: unknown): string {
  const error = cause as { message?: string; cause?: { code?: string; message?: string } };
  return [error?.message, error?.cause?.code ?? error?.cause?.message].filter(Boolean).join(": ") || "request failed";
}

/** AbortSignal.any, which Node 18 lacks. */
function anySignal(signals: AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  for (const signal of signals) {
    if (signal.aborted) {
      controller.abort(signal.reason);
      break;
    }
    signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  }
  return controller.signal;
}
