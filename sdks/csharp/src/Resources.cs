// The API's resources, one class each, reached from the client (lsp.Payments, lsp.Refunds, …). Routes: the
// native API under /api/v1 (signed), the Razorpay-compatible orders under /v1 (HTTP Basic).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using static LightSpeedPay.LightSpeedPayClient;

namespace LightSpeedPay
{
    public abstract class Resource
    {
        internal readonly LightSpeedPayClient Client;

        internal Resource(LightSpeedPayClient client) { Client = client; }

        internal Task<ApiAnswer> Get(string path, CancellationToken cancellationToken)
        {
            return Client.SendAsync("GET", path, null, Auth.Signature, true, null, cancellationToken);
        }

        internal async Task<T> GetAs<T>(string path, Func<JsonObject, T> make, CancellationToken cancellationToken) where T : LspObject
        {
            return (await Get(path, cancellationToken).ConfigureAwait(false)).As(make);
        }

        internal async Task<Page<T>> PageOf<T>(string path, Func<JsonObject, T> make, CancellationToken cancellationToken) where T : LspObject
        {
            var answer = await Get(path, cancellationToken).ConfigureAwait(false);
            var json = answer.Object();
            var items = LspObject.Items(json, "items", j =>
            {
                var item = make(j);
                item.RequestId = answer.Response.Header("X-Request-Id");
                return item;
            });
            return new Page<T>(items, json.GetString("next_cursor"));
        }

        internal static string Id(string value, string name)
        {
            if (string.IsNullOrEmpty(value)) throw new ArgumentException(name + " is required", name);
            return Escape(value);
        }
    }

    public sealed class PaymentsResource : Resource
    {
        internal PaymentsResource(LightSpeedPayClient client) : base(client) { }

        /// <summary>Starts a payment (POST /api/v1/pay). The answer comes at once with the transaction id and
        /// payment id; the gateway's checkout_url follows a moment later (GetAsync). Retries reuse one
        /// Idempotency-Key: pass your own (kept with your order) to make a retry after a crash safe too.</summary>
        public async Task<Payment> PayAsync(PayRequest request, string idempotencyKey = null,
                                            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (request == null) throw new ArgumentNullException("request");
            var answer = await Client.SendAsync("POST", "/api/v1/pay", request.ToJson(), Auth.Signature, true, idempotencyKey,
                cancellationToken).ConfigureAwait(false);
            return answer.As(j => new Payment(j));
        }

        /// <summary>A payment by its transaction id or its payment id (pay_…).</summary>
        public Task<Payment> GetAsync(string id, CancellationToken cancellationToken = default(CancellationToken))
        {
            return GetAs("/api/v1/transactions/" + Id(id, "id"), j => new Payment(j), cancellationToken);
        }

        /// <summary>Captures an authorized payment for the amount authorized; answers the payment, now paid.</summary>
        public async Task<Payment> CaptureAsync(string id, long? amount = null, string idempotencyKey = null,
                                                CancellationToken cancellationToken = default(CancellationToken))
        {
            var body = new JsonObject();
            if (amount.HasValue)
            {
                body["amount"] = amount.Value;
                body["currency"] = "INR";
            }
            var answer = await Client.SendAsync("POST", "/api/v1/transactions/" + Id(id, "id") + "/capture", body, Auth.Signature,
                true, idempotencyKey, cancellationToken).ConfigureAwait(false);
            return answer.As(j => new Payment(j));
        }

        /// <summary>One page of your payments in this key's mode, newest first.</summary>
        public Task<Page<Payment>> ListPageAsync(PaymentListOptions options = null, string cursor = null,
                                                 CancellationToken cancellationToken = default(CancellationToken))
        {
            return PageOf("/api/v1/transactions" + Filter(options, cursor, true), j => new Payment(j), cancellationToken);
        }

        /// <summary>Every payment matching the filters, fetched a page at a time as you read.</summary>
        public Pager<Payment> List(PaymentListOptions options = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            return new Pager<Payment>(cursor => ListPageAsync(options, cursor, cancellationToken));
        }

        /// <summary>The same list as CSV (times in IST), as text.</summary>
        public async Task<string> ExportCsvAsync(PaymentListOptions options = null,
                                                 CancellationToken cancellationToken = default(CancellationToken))
        {
            return (await Get("/api/v1/transactions.csv" + Filter(options, null, false), cancellationToken).ConfigureAwait(false)).Text;
        }

        static string Filter(PaymentListOptions options, string cursor, bool paged)
        {
            options = options ?? new PaymentListOptions();
            return Query(Q("status", options.Status), Q("from", options.From), Q("to", options.To),
                Q("amount_min", options.AmountMin), Q("amount_max", options.AmountMax), Q("q", options.Search),
                Q("limit", paged ? options.PageSize : (long?)null), Q("cursor", cursor));
        }
    }

    public sealed class RefundsResource : Resource
    {
        internal RefundsResource(LightSpeedPayClient client) : base(client) { }

        /// <summary>Refunds a paid payment (by transaction id or pay_… id), fully when request.Amount is null.
        /// The refund is pending until the gateway carries it out.</summary>
        public async Task<Refund> CreateAsync(string paymentId, RefundRequest request = null, string idempotencyKey = null,
                                              CancellationToken cancellationToken = default(CancellationToken))
        {
            var body = (request ?? new RefundRequest()).ToJson();
            var answer = await Client.SendAsync("POST", "/api/v1/transactions/" + Id(paymentId, "paymentId") + "/refunds", body,
                Auth.Signature, true, idempotencyKey, cancellationToken).ConfigureAwait(false);
            return answer.As(j => new Refund(j));
        }

        /// <summary>A refund by its id (rfnd_…).</summary>
        public Task<Refund> GetAsync(string refundId, CancellationToken cancellationToken = default(CancellationToken))
        {
            return GetAs("/api/v1/refunds/" + Id(refundId, "refundId"), j => new Refund(j), cancellationToken);
        }

        /// <summary>A payment's refunds, newest first.</summary>
        public Pager<Refund> ListForPayment(string paymentId, int pageSize = 20,
                                            CancellationToken cancellationToken = default(CancellationToken))
        {
            var path = "/api/v1/transactions/" + Id(paymentId, "paymentId") + "/refunds";
            return new Pager<Refund>(cursor => PageOf(path + Query(Q("limit", pageSize), Q("cursor", cursor)),
                j => new Refund(j), cancellationToken));
        }

        /// <summary>All your refunds in this key's mode, newest first.</summary>
        public Pager<Refund> List(RefundListOptions options = null, CancellationToken cancellationToken = default(CancellationToken))
        {
            options = options ?? new RefundListOptions();
            return new Pager<Refund>(cursor => PageOf("/api/v1/refunds" + Query(Q("status", options.Status),
                Q("from", options.From), Q("to", options.To), Q("limit", options.PageSize), Q("cursor", cursor)),
                j => new Refund(j), cancellationToken));
        }
    }

    /// <summary>Orders on the Razorpay-compatible /v1, authenticated with HTTP Basic (key id and secret).</summary>
    public sealed class OrdersResource : Resource
    {
        internal OrdersResource(LightSpeedPayClient client) : base(client) { }

        public async Task<Order> CreateAsync(OrderRequest request, string idempotencyKey = null,
                                             CancellationToken cancellationToken = default(CancellationToken))
        {
            if (request == null) throw new ArgumentNullException("request");
            var answer = await Client.SendAsync("POST", "/v1/orders", request.ToJson(), Auth.Basic, true, idempotencyKey,
                cancellationToken).ConfigureAwait(false);
            return answer.As(j => new Order(j));
        }

        public async Task<Order> GetAsync(string orderId, CancellationToken cancellationToken = default(CancellationToken))
        {
            return (await V1("/v1/orders/" + Id(orderId, "orderId"), cancellationToken).ConfigureAwait(false)).As(j => new Order(j));
        }

        /// <summary>Orders, newest first, in Razorpay's count/skip window.</summary>
        public async Task<List<Order>> ListAsync(OrderListOptions options = null,
                                                 CancellationToken cancellationToken = default(CancellationToken))
        {
            options = options ?? new OrderListOptions();
            var query = Query(Q("receipt", options.Receipt),
                Q("authorized", options.Authorized.HasValue ? (options.Authorized.Value ? "1" : "0") : null),
                Q("count", options.Count), Q("skip", options.Skip), Q("from", options.From), Q("to", options.To));
            var json = (await V1("/v1/orders" + query, cancellationToken).ConfigureAwait(false)).Object();
            return LspObject.Items(json, "items", j => new Order(j));
        }

        /// <summary>The payments (attempts) of an order, as /v1 shows them.</summary>
        public async Task<List<OrderPayment>> PaymentsAsync(string orderId, CancellationToken cancellationToken = default(CancellationToken))
        {
            var json = (await V1("/v1/orders/" + Id(orderId, "orderId") + "/payments", cancellationToken).ConfigureAwait(false)).Object();
            return LspObject.Items(json, "items", j => new OrderPayment(j));
        }

        Task<ApiAnswer> V1(string path, CancellationToken cancellationToken)
        {
            return Client.SendAsync("GET", path, null, Auth.Basic, true, null, cancellationToken);
        }
    }

    public sealed class WalletResource : Resource
    {
        internal WalletResource(LightSpeedPayClient client) : base(client) { }

        /// <summary>Commission due, the thresholds and the account's status.</summary>
        public Task<Wallet> GetAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return GetAs("/api/v1/wallet", j => new Wallet(j), cancellationToken);
        }

        /// <summary>The entries behind balance_due, newest first.</summary>
        public Pager<WalletEntry> Entries(string type = null, int pageSize = 20,
                                          CancellationToken cancellationToken = default(CancellationToken))
        {
            return new Pager<WalletEntry>(cursor => PageOf("/api/v1/wallet/entries" + Query(Q("type", type),
                Q("limit", pageSize), Q("cursor", cursor)), j => new WalletEntry(j), cancellationToken));
        }
    }

    public sealed class SettlementsResource : Resource
    {
        internal SettlementsResource(LightSpeedPayClient client) : base(client) { }

        /// <summary>Your settlements in this key's mode, newest first.</summary>
        public Pager<Settlement> List(string status = null, int pageSize = 20,
                                      CancellationToken cancellationToken = default(CancellationToken))
        {
            return new Pager<Settlement>(cursor => PageOf("/api/v1/settlements" + Query(Q("status", status),
                Q("limit", pageSize), Q("cursor", cursor)), j => new Settlement(j), cancellationToken));
        }

        /// <summary>One settlement with its totals per gateway and its line items.</summary>
        public Task<Settlement> GetAsync(string settlementId, CancellationToken cancellationToken = default(CancellationToken))
        {
            return GetAs("/api/v1/settlements/" + Id(settlementId, "settlementId"), j => new Settlement(j), cancellationToken);
        }

        /// <summary>A settlement's line items as CSV text.</summary>
        public async Task<string> CsvAsync(string settlementId, CancellationToken cancellationToken = default(CancellationToken))
        {
            return (await Get("/api/v1/settlements/" + Id(settlementId, "settlementId") + ".csv", cancellationToken)
                .ConfigureAwait(false)).Text;
        }
    }

    public sealed class WebhookEndpointsResource : Resource
    {
        const string Base = "/api/v1/merchant/webhooks";

        internal WebhookEndpointsResource(LightSpeedPayClient client) : base(client) { }

        public async Task<List<WebhookEndpoint>> ListAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            var json = (await Get(Base, cancellationToken).ConfigureAwait(false)).Object();
            return LspObject.Items(json, "items", j => new WebhookEndpoint(j));
        }

        /// <summary>Adds an endpoint; its whsec_… Secret is in this answer only. Not retried after a 5xx or a
        /// lost answer (it would add a second endpoint), only after a 429.</summary>
        public async Task<WebhookEndpoint> CreateAsync(WebhookEndpointRequest request,
                                                       CancellationToken cancellationToken = default(CancellationToken))
        {
            if (request == null) throw new ArgumentNullException("request");
            return (await Client.SendAsync("POST", Base, request.ToJson(), Auth.Signature, false, null, cancellationToken)
                .ConfigureAwait(false)).As(j => new WebhookEndpoint(j));
        }

        public Task<WebhookEndpoint> GetAsync(string endpointId, CancellationToken cancellationToken = default(CancellationToken))
        {
            return GetAs(Base + "/" + Id(endpointId, "endpointId"), j => new WebhookEndpoint(j), cancellationToken);
        }

        /// <summary>Changes what is set in `request` (URL, event types, description, enabled).</summary>
        public async Task<WebhookEndpoint> UpdateAsync(string endpointId, WebhookEndpointRequest request,
                                                       CancellationToken cancellationToken = default(CancellationToken))
        {
            if (request == null) throw new ArgumentNullException("request");
            return (await Client.SendAsync("PATCH", Base + "/" + Id(endpointId, "endpointId"), request.ToJson(), Auth.Signature,
                true, null, cancellationToken).ConfigureAwait(false)).As(j => new WebhookEndpoint(j));
        }

        public async Task DeleteAsync(string endpointId, CancellationToken cancellationToken = default(CancellationToken))
        {
            await Client.SendAsync("DELETE", Base + "/" + Id(endpointId, "endpointId"), null, Auth.Signature, true, null,
                cancellationToken).ConfigureAwait(false);
        }

        /// <summary>A new signing secret (in this answer only). For 24 hours deliveries carry two signatures, the
        /// new secret's and the old one's, so a receiver holding either accepts them.</summary>
        public async Task<WebhookEndpoint> RotateSecretAsync(string endpointId,
                                                             CancellationToken cancellationToken = default(CancellationToken))
        {
            return (await Client.SendAsync("POST", Base + "/" + Id(endpointId, "endpointId") + "/rotate", null, Auth.Signature,
                false, null, cancellationToken).ConfigureAwait(false)).As(j => new WebhookEndpoint(j));
        }

        /// <summary>The endpoint's delivery log, newest first: one item per HTTP attempt.</summary>
        public Pager<WebhookDelivery> Deliveries(string endpointId, DeliveryListOptions options = null,
                                                 CancellationToken cancellationToken = default(CancellationToken))
        {
            options = options ?? new DeliveryListOptions();
            var path = Base + "/" + Id(endpointId, "endpointId") + "/deliveries";
            return new Pager<WebhookDelivery>(cursor => PageOf(path + Query(Q("event_type", options.EventType),
                Q("status", options.Status), Q("limit", options.PageSize), Q("cursor", cursor)),
                j => new WebhookDelivery(j), cancellationToken));
        }

        /// <summary>Sends the event of a finished delivery to the endpoint again, now.</summary>
        public async Task<WebhookQueued> ResendAsync(string endpointId, string deliveryId,
                                                     CancellationToken cancellationToken = default(CancellationToken))
        {
            var path = Base + "/" + Id(endpointId, "endpointId") + "/deliveries/" + Id(deliveryId, "deliveryId") + "/retry";
            return (await Client.SendAsync("POST", path, null, Auth.Signature, false, null, cancellationToken)
                .ConfigureAwait(false)).As(j => new WebhookQueued(j));
        }

        /// <summary>A signed `ping` event to one endpoint, or to every enabled one when endpointId is null.</summary>
        public async Task<WebhookQueued> SendTestAsync(string endpointId = null,
                                                       CancellationToken cancellationToken = default(CancellationToken))
        {
            var body = new JsonObject();
            if (endpointId != null) body["endpoint_id"] = endpointId;
            return (await Client.SendAsync("POST", Base + "/test", body, Auth.Signature, false, null, cancellationToken)
                .ConfigureAwait(false)).As(j => new WebhookQueued(j));
        }
    }

    public sealed class CredentialsResource : Resource
    {
        const string Base = "/api/v1/merchant/credentials";

        internal CredentialsResource(LightSpeedPayClient client) : base(client) { }

        /// <summary>Your test and live keys, secrets masked.</summary>
        public Task<CredentialList> ListAsync(CancellationToken cancellationToken = default(CancellationToken))
        {
            return GetAs(Base, j => new CredentialList(j), cancellationToken);
        }

        /// <summary>A new secret for the test or live key (in this answer only: KeySecret); the old one keeps
        /// working for `gracePeriodSeconds` (0 to 86400).</summary>
        public async Task<Credential> RegenerateAsync(string mode, int gracePeriodSeconds = 0,
                                                      CancellationToken cancellationToken = default(CancellationToken))
        {
            var body = new JsonObject();
            body["mode"] = mode;
            body["grace_period_seconds"] = gracePeriodSeconds;
            return (await Client.SendAsync("POST", Base + "/regenerate", body, Auth.Signature, false, null, cancellationToken)
                .ConfigureAwait(false)).As(j => new Credential(j));
        }

        /// <summary>Accept this key only from these addresses or CIDR networks (empty: from anywhere).</summary>
        public async Task<Credential> SetIpAllowlistAsync(string mode, IList<string> cidrs,
                                                          CancellationToken cancellationToken = default(CancellationToken))
        {
            var body = new JsonObject();
            body["cidrs"] = cidrs ?? new List<string>();
            return (await Client.SendAsync("PUT", Base + "/" + Id(mode, "mode") + "/ip-allowlist", body, Auth.Signature, true, null,
                cancellationToken).ConfigureAwait(false)).As(j => new Credential(j));
        }
    }

    public sealed class UsageResource : Resource
    {
        internal UsageResource(LightSpeedPayClient client) : base(client) { }

        /// <summary>Your API requests per IST day (from and to included; default: the last 7 days).</summary>
        public Task<UsageReport> GetAsync(DateTime? from = null, DateTime? to = null,
                                          CancellationToken cancellationToken = default(CancellationToken))
        {
            var query = Query(Q("from", from.HasValue ? from.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : null),
                Q("to", to.HasValue ? to.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : null));
            return GetAs("/api/v1/merchant/usage" + query, j => new UsageReport(j), cancellationToken);
        }
    }
}
