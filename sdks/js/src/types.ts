/**
 * The API's bodies as TypeScript types, with the API's own (snake_case) field names: what you read here is what
 * the API reference and the webhooks carry. Money is integer paise; times are ISO 8601 strings.
 */

export type Notes = Record<string, string | number | boolean>;

export type TransactionStatus =
  | "created" | "pending" | "authorized" | "paid" | "failed" | "expired" | "partially_refunded" | "refunded";

export interface Customer {
  name?: string;
  email?: string;
  phone?: string;
}

/** POST /api/v1/pay */
export interface PayParams {
  /** paise (₹499.00 is 49900) */
  amount: number;
  /** your order's id, unique in your account */
  order_id: string;
  currency?: "INR";
  customer?: Customer;
  /** where the payer comes back to after paying */
  redirect_url?: string;
  notes?: Notes;
}

export interface PayResult {
  transaction_id: string;
  payment_id: string;
  status: TransactionStatus;
}

/** A payment as GET /api/v1/transactions/{id} answers it. */
export interface Transaction {
  id: string;
  payment_id: string;
  order_id: string;
  amount: number;
  amount_refunded: number;
  currency: string;
  status: TransactionStatus;
  /** the gateway's payment page, once a worker has made it (status pending) */
  checkout_url: string | null;
  gateway_txn_id: string | null;
  customer: Record<string, unknown> | null;
  notes: Record<string, unknown> | null;
  redirect_url: string | null;
  error_code: string | null;
  error_message: string | null;
  authorized_at: string | null;
  paid_at: string | null;
  created_at: string;
  updated_at: string;
  mode: "test" | "live";
}

export type DateLike = Date | string;

export interface TransactionListParams {
  status?: TransactionStatus;
  /** created at or after */
  from?: DateLike;
  /** created before */
  to?: DateLike;
  amount_min?: number;
  amount_max?: number;
  /** a payment id, transaction id, order id or receipt, or a customer's email or phone, matched exactly */
  q?: string;
  /** a page's size, 1 to 100 (default 20); iterating fetches every page */
  limit?: number;
  cursor?: string;
}

export interface CaptureParams {
  amount?: number;
  currency?: "INR";
}

export type RefundStatus = "pending" | "processed" | "failed";

export interface RefundParams {
  /** paise; omit to refund what is left */
  amount?: number;
  speed?: "normal" | "optimum";
  notes?: Notes;
  receipt?: string;
}

export interface Refund {
  id: string;
  transaction_id: string;
  payment_id: string;
  amount: number;
  currency: string;
  status: RefundStatus;
  kind: string;
  speed: string;
  notes: Record<string, unknown> | null;
  receipt: string | null;
  gateway_refund_id: string | null;
  error_code: string | null;
  error_message: string | null;
  processed_at: string | null;
  created_at: string;
}

export interface RefundListParams {
  status?: RefundStatus;
  from?: DateLike;
  to?: DateLike;
  limit?: number;
  cursor?: string;
}

export interface CursorParams {
  limit?: number;
  cursor?: string;
}

/** POST /v1/orders (Razorpay's shape) */
export interface OrderParams {
  amount: number;
  /** default INR */
  currency?: "INR";
  receipt?: string;
  notes?: Notes;
}

export interface Order {
  id: string;
  entity: "order";
  amount: number;
  amount_paid: number;
  amount_due: number;
  currency: string;
  receipt: string | null;
  offer_id: null;
  status: "created" | "attempted" | "paid";
  attempts: number;
  notes: Notes | [];
  /** Unix seconds */
  created_at: number;
}

/** /v1 lists: Razorpay's count and skip, from and to in Unix seconds */
export interface OrderListParams {
  /** a page's size, 1 to 100 (default 10); iterating fetches every page */
  count?: number;
  skip?: number;
  from?: number;
  to?: number;
  receipt?: string;
  authorized?: boolean;
}

/** A payment in Razorpay's shape (GET /v1/orders/{id}/payments). */
export interface RazorpayPayment {
  id: string;
  entity: "payment";
  amount: number;
  currency: string;
  status: string;
  order_id: string | null;
  [field: string]: unknown;
}

export interface Collection<T> {
  entity: "collection";
  count: number;
  items: T[];
}

export interface Wallet {
  merchant_id: string;
  currency: string;
  balance_due: number;
  warn_threshold: number;
  suspend_threshold: number;
  status: "active" | "suspended" | "disabled";
  suspension_reason: string | null;
  /** a decimal, as a string ("2.50") */
  fee_percent: string;
  settle_dues_from_settlement: boolean;
  last_notice_at: string | null;
}

export interface WalletEntry {
  id: string;
  type: string;
  amount: number;
  posting_id: string;
  transaction_id: string | null;
  refund_id: string | null;
  settlement_id: string | null;
  reference: string | null;
  reason: string | null;
  created_at: string;
}

export interface WalletEntryListParams extends CursorParams {
  type?: string;
}

export interface Settlement {
  id: string;
  merchant_id: string;
  period_date: string;
  period_start: string;
  period_end: string;
  cutoff_at: string | null;
  status: "pending" | "processing" | "completed" | "failed";
  failure_reason: string | null;
  currency: string;
  payment_count: number;
  refund_count: number;
  gross_amount: number;
  refunds_amount: number;
  commission_amount: number;
  net_amount: number;
  dues_deducted: number;
  payable_amount: number;
  created_at: string;
  completed_at: string | null;
}

export interface SettlementDetail extends Settlement {
  gateways: Array<{
    gateway_id: string; name: string; provider: string; payment_count: number; refund_count: number;
    gross_amount: number; refunds_amount: number; commission_amount: number; net_amount: number;
  }>;
  line_items: Array<{
    kind: "payment" | "refund"; transaction_id: string; order_id: string; refund_id: string | null;
    gateway_id: string; gateway: string; amount: number; commission: number; net: number; occurred_at: string;
  }>;
}

export interface SettlementListParams extends CursorParams {
  status?: Settlement["status"];
}

export type EventType =
  | "payment.paid" | "payment.failed" | "payment.expired" | "payment.authorized" | "order.paid"
  | "refund.created" | "refund.processed" | "refund.failed" | "settlement.created" | "settlement.completed"
  | "merchant.suspended" | "merchant.resumed" | "ping";

export interface WebhookEndpointParams {
  url: string;
  /** none: every event */
  event_types?: EventType[];
  description?: string;
  enabled?: boolean;
}

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string | null;
  event_types: EventType[];
  enabled: boolean;
  disabled_reason: string | null;
  disabled_at: string | null;
  consecutive_failures: number;
  is_default: boolean;
  secret_hint: string;
  previous_secret_expires_at: string | null;
  created_at: string;
  updated_at: string;
}

/** An endpoint as created or rotated: with its whsec_ secret, shown this once. */
export interface WebhookEndpointWithSecret extends WebhookEndpoint {
  secret: string;
}

export interface WebhookDelivery {
  id: string;
  event_id: string;
  event_type: EventType;
  attempt: number;
  trigger: "scheduled" | "manual" | "test";
  status: "succeeded" | "failed";
  delivery_status: string | null;
  request: { url: string; headers: Record<string, string> | null; body: string | null };
  response: { status_code: number | null; body_excerpt: string | null };
  latency_ms: number;
  error: string | null;
  retry_at: string | null;
  created_at: string;
}

export interface DeliveryListParams extends CursorParams {
  event_type?: EventType;
  status?: "succeeded" | "failed";
}

export interface TestQueued {
  event_id: string;
  type: "ping";
  endpoint_ids: string[];
  status: "queued";
}

export interface RetryQueued {
  delivery_id: string;
  event_id: string;
  endpoint_id: string;
  attempt: number;
  status: "queued";
}

export interface Credential {
  mode: "test" | "live";
  key_id: string;
  secrets: Array<{
    masked: string; created_at: string; expires_at: string | null; current: boolean; revealed_at: string | null;
    revealable: boolean;
  }>;
  ip_allowlist: string[];
  usable: boolean;
  created_at: string;
}

export interface CredentialList {
  kyc_status: string;
  items: Credential[];
}

export interface RegeneratedCredential {
  mode: "test" | "live";
  key_id: string;
  /** the new secret: shown this once */
  key_secret: string;
  created_at: string;
  previous_secret_expires_at: string | null;
}

export interface UsageParams {
  /** first IST day, YYYY-MM-DD (default: 6 days before `to`) */
  from?: string;
  /** last IST day, included (default: today) */
  to?: string;
}

/** GET /api/v1/merchant/usage: requests per IST day by route and status, error rate and latency. */
export interface UsageReport {
  merchant_id: string;
  from: string;
  to: string;
  requests: number;
  errors: number;
  error_rate: number;
  /** estimated from a histogram: within about ±12 % */
  p50_ms: number | null;
  p95_ms: number | null;
  days: Array<Record<string, unknown>>;
  /** over the whole range, busiest first */
  routes: Array<Record<string, unknown>>;
  /** requests per day, route and status */
  rows: Array<Record<string, unknown>>;
}

/** A webhook's body: {id, type, timestamp, livemode, data}. */
export interface WebhookEvent<D = Record<string, unknown>> {
  id: string;
  type: EventType;
  timestamp: string;
  livemode: boolean;
  data: D;
}

/** `data` of payment.* events */
export interface PaymentEventData {
  transaction_id: string;
  payment_id: string;
  order_id: string;
  amount: number;
  currency: string;
  status: TransactionStatus;
  notes: Record<string, unknown> | null;
  error_code: string | null;
  error_message: string | null;
  paid_at: string | null;
}
