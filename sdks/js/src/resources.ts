/** The API's resources, each a thin typed face of its routes (the api.py modules of the platform). */
import type { PagePromise, Page } from "./pagination.js";
import { cursorPages, offsetPages } from "./pagination.js";
import type { Query, RequestOptions, Transport } from "./transport.js";
import type {
  CaptureParams, Collection, CredentialList, Credential, CursorParams, DeliveryListParams, Order, OrderListParams,
  OrderParams, PayParams, PayResult, RazorpayPayment, Refund, RefundListParams, RefundParams, RegeneratedCredential,
  RetryQueued, Settlement, SettlementDetail, SettlementListParams, TestQueued, Transaction, TransactionListParams,
  TransactionStatus, UsageParams, UsageReport, Wallet, WalletEntry, WalletEntryListParams, WebhookDelivery,
  WebhookEndpoint, WebhookEndpointParams, WebhookEndpointWithSecret,
} from "./types.js";

const API = "/api/v1";
const seg = encodeURIComponent;

/** Payments on the native API: POST /api/v1/pay, capture, and reads of transactions (by id or pay_… id). */
export class Payments {
  constructor(private readonly http: Transport) {}

  /** Starts a payment; it answers at once, and a worker makes the gateway's payment page (checkout_url) next. */
  pay(params: PayParams, options?: RequestOptions): Promise<PayResult> {
    return this.http.request({ method: "POST", path: `${API}/pay`, body: params, idempotent: true, options });
  }

  /** A payment, by its transaction id or its payment id (pay_…). */
  get(id: string, options?: RequestOptions): Promise<Transaction> {
    return this.http.request({ method: "GET", path: `${API}/transactions/${seg(id)}`, options });
  }

  /** Your payments in the key's mode, newest first: await it for a page, iterate it for all of them. */
  list(params: TransactionListParams = {}, options?: RequestOptions): PagePromise<Page<Transaction>, Transaction> {
    const { cursor, ...filters } = params;
    return cursorPages(
      (next) => this.http.request({ method: "GET", path: `${API}/transactions`, query: { ...filters, cursor: next } as Query, options }),
      cursor,
    );
  }

  /** The same list as CSV text (times in IST). */
  csv(params: Omit<TransactionListParams, "limit" | "cursor"> = {}, options?: RequestOptions): Promise<string> {
    return this.http.request({ method: "GET", path: `${API}/transactions.csv`, query: params as Query, expect: "text", options });
  }

  /** Captures an authorized payment for the amount authorized; answers it, now paid. */
  capture(id: string, params: CaptureParams = {}, options?: RequestOptions): Promise<Transaction> {
    return this.http.request({
      method: "POST", path: `${API}/transactions/${seg(id)}/capture`, body: params, idempotent: true, options,
    });
  }

  /** Reads the payment every `interval` ms until its status is one of `statuses`; throws after `timeout` ms. */
  async waitFor(
    id: string,
    statuses: TransactionStatus[],
    { timeout = 60_000, interval = 500 }: { timeout?: number; interval?: number } = {},
  ): Promise<Transaction> {
    const until = Date.now() + timeout;
    for (;;) {
      const txn = await this.get(id);
      if (statuses.includes(txn.status)) return txn;
      if (Date.now() > until) throw new Error(`payment ${id} is still ${txn.status} after ${timeout} ms`);
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
  }
}

/** Refunds on the native API. */
export class Refunds {
  constructor(private readonly http: Transport) {}

  /** Refunds a paid payment (transaction id or pay_… id), fully (no amount) or in part; carried out in the background. */
  create(paymentId: string, params: RefundParams = {}, options?: RequestOptions): Promise<Refund> {
    return this.http.request({
      method: "POST", path: `${API}/transactions/${seg(paymentId)}/refunds`, body: params, idempotent: true, options,
    });
  }

  /** A refund, by its id (rfnd_…). */
  get(refundId: string, options?: RequestOptions): Promise<Refund> {
    return this.http.request({ method: "GET", path: `${API}/refunds/${seg(refundId)}`, options });
  }

  /** Your refunds in the key's mode, newest first (await: a page; iterate: all). */
  list(params: RefundListParams = {}, options?: RequestOptions): PagePromise<Page<Refund>, Refund> {
    const { cursor, ...filters } = params;
    return cursorPages(
      (next) => this.http.request({ method: "GET", path: `${API}/refunds`, query: { ...filters, cursor: next } as Query, options }),
      cursor,
    );
  }

  /** One payment's refunds, newest first. */
  listForPayment(paymentId: string, params: CursorParams = {}, options?: RequestOptions): PagePromise<Page<Refund>, Refund> {
    return cursorPages(
      (next) => this.http.request({
        method: "GET", path: `${API}/transactions/${seg(paymentId)}/refunds`, query: { limit: params.limit, cursor: next }, options,
      }),
      params.cursor,
    );
  }
}

/** Orders on the Razorpay-compatible API (/v1, HTTP Basic): what checkout.js pays. */
export class Orders {
  constructor(private readonly http: Transport) {}

  /** An order for checkout.js to pay (currency INR unless given: /v1 requires one, as Razorpay does). */
  create(params: OrderParams, options?: RequestOptions): Promise<Order> {
    const body = { currency: "INR", ...params };
    return this.http.request({ method: "POST", path: "/v1/orders", body, auth: "basic", idempotent: true, options });
  }

  get(orderId: string, options?: RequestOptions): Promise<Order> {
    return this.http.request({ method: "GET", path: `/v1/orders/${seg(orderId)}`, auth: "basic", options });
  }

  /** Orders, newest first (await: a collection; iterate: every order, page after page of `count`). */
  list(params: OrderListParams = {}, options?: RequestOptions): PagePromise<Collection<Order>, Order> {
    const { count = 10, skip = 0, authorized, ...filters } = params;
    const query = { ...filters, count, authorized: authorized === undefined ? undefined : authorized ? 1 : 0 };
    return offsetPages(
      (from) => this.http.request({ method: "GET", path: "/v1/orders", query: { ...query, skip: from }, auth: "basic", options }),
      count,
      skip,
    );
  }

  /** The payments (attempts) of an order, in Razorpay's shape. */
  payments(orderId: string, options?: RequestOptions): Promise<Collection<RazorpayPayment>> {
    return this.http.request({ method: "GET", path: `/v1/orders/${seg(orderId)}/payments`, auth: "basic", options });
  }
}

/** Your wallet: commission due, thresholds, account status, and the entries behind balance_due. */
export class WalletResource {
  constructor(private readonly http: Transport) {}

  get(options?: RequestOptions): Promise<Wallet> {
    return this.http.request({ method: "GET", path: `${API}/wallet`, options });
  }

  entries(params: WalletEntryListParams = {}, options?: RequestOptions): PagePromise<Page<WalletEntry>, WalletEntry> {
    const { cursor, ...filters } = params;
    return cursorPages(
      (next) => this.http.request({ method: "GET", path: `${API}/wallet/entries`, query: { ...filters, cursor: next }, options }),
      cursor,
    );
  }
}

/** Your settlements in the key's mode. */
export class Settlements {
  constructor(private readonly http: Transport) {}

  list(params: SettlementListParams = {}, options?: RequestOptions): PagePromise<Page<Settlement>, Settlement> {
    const { cursor, ...filters } = params;
    return cursorPages(
      (next) => this.http.request({ method: "GET", path: `${API}/settlements`, query: { ...filters, cursor: next }, options }),
      cursor,
    );
  }

  /** One settlement with its totals per gateway and its line items. */
  get(settlementId: string, options?: RequestOptions): Promise<SettlementDetail> {
    return this.http.request({ method: "GET", path: `${API}/settlements/${seg(settlementId)}`, options });
  }

  /** A settlement's line items as CSV text. */
  csv(settlementId: string, options?: RequestOptions): Promise<string> {
    return this.http.request({ method: "GET", path: `${API}/settlements/${seg(settlementId)}.csv`, expect: "text", options });
  }
}

const HOOKS = `${API}/merchant/webhooks`;

/** Your webhook endpoints, their secrets and their delivery logs. */
export class WebhookEndpoints {
  constructor(private readonly http: Transport) {}

  list(options?: RequestOptions): Promise<{ items: WebhookEndpoint[] }> {
    return this.http.request({ method: "GET", path: HOOKS, options });
  }

  /** Adds an endpoint; its whsec_ secret is in this answer only. */
  create(params: WebhookEndpointParams, options?: RequestOptions): Promise<WebhookEndpointWithSecret> {
    return this.http.request({ method: "POST", path: HOOKS, body: params, options });
  }

  get(endpointId: string, options?: RequestOptions): Promise<WebhookEndpoint> {
    return this.http.request({ method: "GET", path: `${HOOKS}/${seg(endpointId)}`, options });
  }

  /** Changes the URL, event types or description, or disables (enabled: false) or re-enables it. */
  update(endpointId: string, params: Partial<WebhookEndpointParams>, options?: RequestOptions): Promise<WebhookEndpoint> {
    return this.http.request({ method: "PATCH", path: `${HOOKS}/${seg(endpointId)}`, body: params, options });
  }

  /** Deletes it; its pending deliveries end failed. */
  delete(endpointId: string, options?: RequestOptions): Promise<void> {
    return this.http.request({ method: "DELETE", path: `${HOOKS}/${seg(endpointId)}`, expect: "none", options });
  }

  /** A new secret (in this answer only); for 24 hours deliveries carry both signatures, the new one first. */
  rotate(endpointId: string, options?: RequestOptions): Promise<WebhookEndpointWithSecret> {
    return this.http.request({ method: "POST", path: `${HOOKS}/${seg(endpointId)}/rotate`, options });
  }

  /** The endpoint's delivery log, newest first: one item per HTTP attempt (await: a page; iterate: all). */
  deliveries(endpointId: string, params: DeliveryListParams = {}, options?: RequestOptions): PagePromise<Page<WebhookDelivery>, WebhookDelivery> {
    const { cursor, ...filters } = params;
    return cursorPages(
      (next) => this.http.request({
        method: "GET", path: `${HOOKS}/${seg(endpointId)}/deliveries`, query: { ...filters, cursor: next }, options,
      }),
      cursor,
    );
  }

  /** Sends the event of a finished delivery to the endpoint again, now. */
  resend(endpointId: string, deliveryId: string, options?: RequestOptions): Promise<RetryQueued> {
    return this.http.request({
      method: "POST", path: `${HOOKS}/${seg(endpointId)}/deliveries/${seg(deliveryId)}/retry`, options,
    });
  }

  /** Sends a signed `ping` to one endpoint, or to every enabled one. */
  test(endpointId?: string, options?: RequestOptions): Promise<TestQueued> {
    return this.http.request({
      method: "POST", path: `${HOOKS}/test`, body: endpointId ? { endpoint_id: endpointId } : {}, options,
    });
  }
}

/** Your API keys: listed with their secrets masked; a new secret; an IP allowlist per key. */
export class Credentials {
  constructor(private readonly http: Transport) {}

  list(options?: RequestOptions): Promise<CredentialList> {
    return this.http.request({ method: "GET", path: `${API}/merchant/credentials`, options });
  }

  /** A new secret for the test or live key (in this answer only); the old one works for the grace period. */
  regenerate(params: { mode: "test" | "live"; grace_period_seconds?: number }, options?: RequestOptions): Promise<RegeneratedCredential> {
    return this.http.request({ method: "POST", path: `${API}/merchant/credentials/regenerate`, body: params, options });
  }

  /** Accept requests with this key only from these addresses or networks (CIDRs; empty: anywhere). */
  setIpAllowlist(mode: "test" | "live", cidrs: string[], options?: RequestOptions): Promise<Credential> {
    return this.http.request({
      method: "PUT", path: `${API}/merchant/credentials/${seg(mode)}/ip-allowlist`, body: { cidrs }, options,
    });
  }
}

/** Your API usage per IST day. */
export class Usage {
  constructor(private readonly http: Transport) {}

  get(params: UsageParams = {}, options?: RequestOptions): Promise<UsageReport> {
    return this.http.request({ method: "GET", path: `${API}/merchant/usage`, query: { ...params }, options });
  }
}
