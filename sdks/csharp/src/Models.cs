// What the API answers, as typed objects over the JSON it sent: each property reads the field of the same name
// (snake_case in the API, PascalCase here), and Raw keeps every field, including ones newer than this SDK.
using System;
using System.Collections.Generic;
using System.Text;

namespace LightSpeedPay
{
    public abstract class LspObject
    {
        static readonly string[] SecretFields = { "secret", "key_secret" };

        protected LspObject(JsonObject raw) { Raw = raw ?? new JsonObject(); }

        /// <summary>Every field of the answer.</summary>
        public JsonObject Raw { get; private set; }
        /// <summary>The platform's X-Request-Id of the answer.</summary>
        public string RequestId { get; internal set; }
        /// <summary>True when the API answered from its idempotency store (a retry of a call already done).</summary>
        public bool IdempotentReplayed { get; internal set; }

        /// <summary>The answer's JSON, secrets (a webhook secret, a key secret) masked.</summary>
        public override string ToString()
        {
            var shown = new JsonObject();
            foreach (var field in Raw)
                shown[field.Key] = Array.IndexOf(SecretFields, field.Key) >= 0 && field.Value != null ? "***" : field.Value;
            return GetType().Name + " " + Json.Write(shown);
        }

        internal static List<T> Items<T>(JsonObject raw, string name, Func<JsonObject, T> make)
        {
            var items = new List<T>();
            foreach (var item in raw.GetArray(name))
            {
                var json = item as JsonObject;
                if (json != null) items.Add(make(json));
            }
            return items;
        }
    }

    /// <summary>One page of a list, newest first; NextCursor null on the last page.</summary>
    public sealed class Page<T>
    {
        public Page(List<T> items, string nextCursor)
        {
            Items = items;
            NextCursor = nextCursor;
        }

        public List<T> Items { get; private set; }
        public string NextCursor { get; private set; }
    }

    /// <summary>A payment of the native API (a transaction). After Pay, only Id, PaymentId and Status are known:
    /// Get it again for the rest (the checkout_url comes a moment later, from the gateway).</summary>
    public sealed class Payment : LspObject
    {
        public Payment(JsonObject raw) : base(raw) { }
        /// <summary>The transaction id (a UUID).</summary>
        public string Id { get { return Raw.GetString("id") ?? Raw.GetString("transaction_id"); } }
        /// <summary>pay_…, also its id on /v1.</summary>
        public string PaymentId { get { return Raw.GetString("payment_id"); } }
        public string OrderId { get { return Raw.GetString("order_id"); } }
        public long Amount { get { return Raw.GetLong("amount"); } }
        public long AmountRefunded { get { return Raw.GetLong("amount_refunded"); } }
        public string Currency { get { return Raw.GetString("currency"); } }
        /// <summary>created, pending, authorized, paid, partially_refunded, refunded, failed or expired.</summary>
        public string Status { get { return Raw.GetString("status"); } }
        /// <summary>The page to send your payer to, once the gateway made it.</summary>
        public string CheckoutUrl { get { return Raw.GetString("checkout_url"); } }
        public string GatewayTxnId { get { return Raw.GetString("gateway_txn_id"); } }
        public string Mode { get { return Raw.GetString("mode"); } }
        public JsonObject Customer { get { return Raw.GetObject("customer"); } }
        public JsonObject Notes { get { return Raw.GetObject("notes"); } }
        public string RedirectUrl { get { return Raw.GetString("redirect_url"); } }
        public string ErrorCode { get { return Raw.GetString("error_code"); } }
        public string ErrorMessage { get { return Raw.GetString("error_message"); } }
        public DateTimeOffset? AuthorizedAt { get { return Raw.GetTime("authorized_at"); } }
        public DateTimeOffset? PaidAt { get { return Raw.GetTime("paid_at"); } }
        public DateTimeOffset? CreatedAt { get { return Raw.GetTime("created_at"); } }
        public DateTimeOffset? UpdatedAt { get { return Raw.GetTime("updated_at"); } }
    }

    public sealed class Refund : LspObject
    {
        public Refund(JsonObject raw) : base(raw) { }
        /// <summary>rfnd_…</summary>
        public string Id { get { return Raw.GetString("id"); } }
        public string TransactionId { get { return Raw.GetString("transaction_id"); } }
        public string PaymentId { get { return Raw.GetString("payment_id"); } }
        public long Amount { get { return Raw.GetLong("amount"); } }
        public string Currency { get { return Raw.GetString("currency"); } }
        /// <summary>pending until the gateway carries it out, then processed or failed.</summary>
        public string Status { get { return Raw.GetString("status"); } }
        public string Kind { get { return Raw.GetString("kind"); } }
        public string Speed { get { return Raw.GetString("speed"); } }
        public JsonObject Notes { get { return Raw.GetObject("notes"); } }
        public string Receipt { get { return Raw.GetString("receipt"); } }
        public string GatewayRefundId { get { return Raw.GetString("gateway_refund_id"); } }
        public string ErrorCode { get { return Raw.GetString("error_code"); } }
        public string ErrorMessage { get { return Raw.GetString("error_message"); } }
        public DateTimeOffset? ProcessedAt { get { return Raw.GetTime("processed_at"); } }
        public DateTimeOffset? CreatedAt { get { return Raw.GetTime("created_at"); } }
    }

    /// <summary>An order of the Razorpay-compatible /v1 (Razorpay's entity: times are Unix seconds).</summary>
    public sealed class Order : LspObject
    {
        public Order(JsonObject raw) : base(raw) { }
        /// <summary>order_…</summary>
        public string Id { get { return Raw.GetString("id"); } }
        public long Amount { get { return Raw.GetLong("amount"); } }
        public long AmountPaid { get { return Raw.GetLong("amount_paid"); } }
        public long AmountDue { get { return Raw.GetLong("amount_due"); } }
        public string Currency { get { return Raw.GetString("currency"); } }
        public string Receipt { get { return Raw.GetString("receipt"); } }
        /// <summary>created, attempted or paid.</summary>
        public string Status { get { return Raw.GetString("status"); } }
        public long Attempts { get { return Raw.GetLong("attempts"); } }
        public object Notes { get { return Raw["notes"]; } }
        public long CreatedAt { get { return Raw.GetLong("created_at"); } }
    }

    /// <summary>A payment as /v1 shows it (Razorpay's entity).</summary>
    public sealed class OrderPayment : LspObject
    {
        public OrderPayment(JsonObject raw) : base(raw) { }
        public string Id { get { return Raw.GetString("id"); } }
        public string OrderId { get { return Raw.GetString("order_id"); } }
        public long Amount { get { return Raw.GetLong("amount"); } }
        public string Currency { get { return Raw.GetString("currency"); } }
        /// <summary>created, authorized, captured, refunded or failed.</summary>
        public string Status { get { return Raw.GetString("status"); } }
        public bool Captured { get { return Raw.GetBool("captured"); } }
    }

    public sealed class Wallet : LspObject
    {
        public Wallet(JsonObject raw) : base(raw) { }
        public string MerchantId { get { return Raw.GetString("merchant_id"); } }
        public string Currency { get { return Raw.GetString("currency"); } }
        /// <summary>Commission owed, in paise.</summary>
        public long BalanceDue { get { return Raw.GetLong("balance_due"); } }
        public long WarnThreshold { get { return Raw.GetLong("warn_threshold"); } }
        public long SuspendThreshold { get { return Raw.GetLong("suspend_threshold"); } }
        /// <summary>The account's status (active, suspended, …).</summary>
        public string Status { get { return Raw.GetString("status"); } }
        public string SuspensionReason { get { return Raw.GetString("suspension_reason"); } }
        /// <summary>A decimal as text, e.g. "2.50".</summary>
        public string FeePercent { get { return Raw.GetString("fee_percent"); } }
    }

    public sealed class WalletEntry : LspObject
    {
        public WalletEntry(JsonObject raw) : base(raw) { }
        public string Id { get { return Raw.GetString("id"); } }
        public string Type { get { return Raw.GetString("type"); } }
        public long Amount { get { return Raw.GetLong("amount"); } }
        public string TransactionId { get { return Raw.GetString("transaction_id"); } }
        public string RefundId { get { return Raw.GetString("refund_id"); } }
        public string SettlementId { get { return Raw.GetString("settlement_id"); } }
        public string Reason { get { return Raw.GetString("reason"); } }
        public DateTimeOffset? CreatedAt { get { return Raw.GetTime("created_at"); } }
    }

    public sealed class Settlement : LspObject
    {
        public Settlement(JsonObject raw) : base(raw) { }
        public string Id { get { return Raw.GetString("id"); } }
        /// <summary>The IST day settled, yyyy-MM-dd.</summary>
        public string PeriodDate { get { return Raw.GetString("period_date"); } }
        /// <summary>pending, processing, completed or failed.</summary>
        public string Status { get { return Raw.GetString("status"); } }
        public string Currency { get { return Raw.GetString("currency"); } }
        public long PaymentCount { get { return Raw.GetLong("payment_count"); } }
        public long RefundCount { get { return Raw.GetLong("refund_count"); } }
        public long GrossAmount { get { return Raw.GetLong("gross_amount"); } }
        public long RefundsAmount { get { return Raw.GetLong("refunds_amount"); } }
        public long CommissionAmount { get { return Raw.GetLong("commission_amount"); } }
        public long NetAmount { get { return Raw.GetLong("net_amount"); } }
        public long DuesDeducted { get { return Raw.GetLong("dues_deducted"); } }
        public long PayableAmount { get { return Raw.GetLong("payable_amount"); } }
        /// <summary>Totals per gateway (Get only).</summary>
        public List<JsonObject> Gateways { get { return Items(Raw, "gateways", j => j); } }
        /// <summary>The payments and refunds settled (Get only).</summary>
        public List<JsonObject> LineItems { get { return Items(Raw, "line_items", j => j); } }
        public DateTimeOffset? CreatedAt { get { return Raw.GetTime("created_at"); } }
        public DateTimeOffset? CompletedAt { get { return Raw.GetTime("completed_at"); } }
    }

    public sealed class WebhookEndpoint : LspObject
    {
        public WebhookEndpoint(JsonObject raw) : base(raw) { }
        public string Id { get { return Raw.GetString("id"); } }
        public string Url { get { return Raw.GetString("url"); } }
        public string Description { get { return Raw.GetString("description"); } }
        /// <summary>Empty: every type.</summary>
        public List<string> EventTypes { get { return Raw.GetStrings("event_types"); } }
        public bool Enabled { get { return Raw.GetBool("enabled"); } }
        public string DisabledReason { get { return Raw.GetString("disabled_reason"); } }
        public long ConsecutiveFailures { get { return Raw.GetLong("consecutive_failures"); } }
        public bool IsDefault { get { return Raw.GetBool("is_default"); } }
        public string SecretHint { get { return Raw.GetString("secret_hint"); } }
        /// <summary>The whsec_… signing secret: only in the answers of Create and RotateSecret. Store it then.</summary>
        public string Secret { get { return Raw.GetString("secret"); } }
        public DateTimeOffset? PreviousSecretExpiresAt { get { return Raw.GetTime("previous_secret_expires_at"); } }
        public DateTimeOffset? CreatedAt { get { return Raw.GetTime("created_at"); } }
        public DateTimeOffset? UpdatedAt { get { return Raw.GetTime("updated_at"); } }
    }

    /// <summary>One HTTP attempt to deliver an event to an endpoint.</summary>
    public sealed class WebhookDelivery : LspObject
    {
        public WebhookDelivery(JsonObject raw) : base(raw) { }
        public string Id { get { return Raw.GetString("id"); } }
        public string EventId { get { return Raw.GetString("event_id"); } }
        public string EventType { get { return Raw.GetString("event_type"); } }
        public long Attempt { get { return Raw.GetLong("attempt"); } }
        /// <summary>scheduled, manual (a resend) or test (a ping).</summary>
        public string Trigger { get { return Raw.GetString("trigger"); } }
        /// <summary>This attempt's outcome: succeeded or failed.</summary>
        public string Status { get { return Raw.GetString("status"); } }
        /// <summary>The event's delivery to this endpoint now: pending, delivered or failed.</summary>
        public string DeliveryStatus { get { return Raw.GetString("delivery_status"); } }
        public long? ResponseStatusCode
        {
            get { var response = Raw.GetObject("response"); return response == null ? null : response.GetNullableLong("status_code"); }
        }
        public long LatencyMs { get { return Raw.GetLong("latency_ms"); } }
        public string Error { get { return Raw.GetString("error"); } }
        public DateTimeOffset? CreatedAt { get { return Raw.GetTime("created_at"); } }
    }

    /// <summary>The answer to a test ping or a resend: queued.</summary>
    public sealed class WebhookQueued : LspObject
    {
        public WebhookQueued(JsonObject raw) : base(raw) { }
        public string EventId { get { return Raw.GetString("event_id"); } }
        public List<string> EndpointIds
        {
            get
            {
                var ids = Raw.GetStrings("endpoint_ids");
                var one = Raw.GetString("endpoint_id");
                if (ids.Count == 0 && one != null) ids.Add(one);
                return ids;
            }
        }
        public string DeliveryId { get { return Raw.GetString("delivery_id"); } }
        public long Attempt { get { return Raw.GetLong("attempt"); } }
        public string Status { get { return Raw.GetString("status"); } }
    }

    public sealed class Credential : LspObject
    {
        public Credential(JsonObject raw) : base(raw) { }
        /// <summary>test or live.</summary>
        public string Mode { get { return Raw.GetString("mode"); } }
        public string KeyId { get { return Raw.GetString("key_id"); } }
        /// <summary>The key's secrets, masked (…last4), with when each expires.</summary>
        public List<JsonObject> Secrets { get { return Items(Raw, "secrets", j => j); } }
        public List<string> IpAllowlist { get { return Raw.GetStrings("ip_allowlist"); } }
        public bool Usable { get { return Raw.GetBool("usable"); } }
        /// <summary>Only in Regenerate's answer: the new secret, shown once.</summary>
        public string KeySecret { get { return Raw.GetString("key_secret"); } }
        public DateTimeOffset? PreviousSecretExpiresAt { get { return Raw.GetTime("previous_secret_expires_at"); } }
    }

    public sealed class CredentialList : LspObject
    {
        public CredentialList(JsonObject raw) : base(raw) { }
        public string KycStatus { get { return Raw.GetString("kyc_status"); } }
        public List<Credential> Items { get { return Items(Raw, "items", j => new Credential(j)); } }
    }

    /// <summary>API requests per IST day and route, with error rates and latency.</summary>
    public sealed class UsageReport : LspObject
    {
        public UsageReport(JsonObject raw) : base(raw) { }
        public string From { get { return Raw.GetString("from"); } }
        public string To { get { return Raw.GetString("to"); } }
        public long Requests { get { return Raw.GetLong("requests"); } }
        public long Errors { get { return Raw.GetLong("errors"); } }
        public List<JsonObject> Days { get { return Items(Raw, "days", j => j); } }
        public List<JsonObject> Routes { get { return Items(Raw, "routes", j => j); } }
    }

    /// <summary>A list read page by page as you go (keyset pagination: each page's next_cursor fetches the next):
    /// <c>while (await pager.MoveNextAsync()) Use(pager.Current);</c></summary>
    public sealed class Pager<T>
    {
        readonly Func<string, System.Threading.Tasks.Task<Page<T>>> fetch;
        List<T> page;
        int index;
        string cursor;
        bool finished;

        internal Pager(Func<string, System.Threading.Tasks.Task<Page<T>>> fetch) { this.fetch = fetch; }

        public T Current { get; private set; }
        /// <summary>How many pages were fetched so far.</summary>
        public int PagesFetched { get; private set; }

        public async System.Threading.Tasks.Task<bool> MoveNextAsync()
        {
            while (page == null || index >= page.Count)
            {
                if (finished) return false;
                var next = await fetch(cursor).ConfigureAwait(false);
                PagesFetched++;
                page = next.Items;
                index = 0;
                cursor = next.NextCursor;
                finished = cursor == null;
            }
            Current = page[index++];
            return true;
        }

        /// <summary>Everything left, up to `max` items.</summary>
        public async System.Threading.Tasks.Task<List<T>> ToListAsync(int max = int.MaxValue)
        {
            var all = new List<T>();
            while (all.Count < max && await MoveNextAsync().ConfigureAwait(false)) all.Add(Current);
            return all;
        }
    }
}
