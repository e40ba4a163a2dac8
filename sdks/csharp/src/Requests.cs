// What the calls send: each request class writes only the fields that were set, in the API's names.
using System;
using System.Collections.Generic;

namespace LightSpeedPay
{
    public sealed class Customer
    {
        public string Name { get; set; }
        public string Email { get; set; }
        public string Phone { get; set; }

        internal JsonObject ToJson()
        {
            var json = new JsonObject();
            if (Name != null) json["name"] = Name;
            if (Email != null) json["email"] = Email;
            if (Phone != null) json["phone"] = Phone;
            return json;
        }
    }

    /// <summary>POST /api/v1/pay.</summary>
    public sealed class PayRequest
    {
        /// <summary>In paise (₹499.00 is 49900).</summary>
        public long Amount { get; set; }
        /// <summary>Your order's id: letters, digits and _-.:/#, unique per payment.</summary>
        public string OrderId { get; set; }
        public string Currency { get; set; } = "INR";
        public Customer Customer { get; set; }
        /// <summary>Where the payer's browser returns after paying.</summary>
        public string RedirectUrl { get; set; }
        /// <summary>Up to 15 key-value pairs, given back in answers and webhooks.</summary>
        public IDictionary<string, object> Notes { get; set; }

        internal JsonObject ToJson()
        {
            var json = new JsonObject();
            json["amount"] = Amount;
            json["order_id"] = OrderId;
            json["currency"] = Currency;
            if (Customer != null) json["customer"] = Customer.ToJson();
            if (RedirectUrl != null) json["redirect_url"] = RedirectUrl;
            if (Notes != null) json["notes"] = Notes;
            return json;
        }
    }

    /// <summary>Filters of GET /api/v1/transactions; every one set narrows.</summary>
    public sealed class PaymentListOptions
    {
        public string Status { get; set; }
        /// <summary>Created at or after.</summary>
        public DateTimeOffset? From { get; set; }
        /// <summary>Created before.</summary>
        public DateTimeOffset? To { get; set; }
        public long? AmountMin { get; set; }
        public long? AmountMax { get; set; }
        /// <summary>A payment id, transaction id, order id, receipt, or a customer's email or phone, exactly.</summary>
        public string Search { get; set; }
        /// <summary>Items per page fetched (1 to 100).</summary>
        public int PageSize { get; set; } = 20;
    }

    /// <summary>POST /api/v1/transactions/{id}/refunds.</summary>
    public sealed class RefundRequest
    {
        /// <summary>In paise; null refunds what is left of the captured amount.</summary>
        public long? Amount { get; set; }
        /// <summary>normal (default) or optimum.</summary>
        public string Speed { get; set; }
        public IDictionary<string, object> Notes { get; set; }
        /// <summary>Your reference, 1 to 40 characters.</summary>
        public string Receipt { get; set; }

        internal JsonObject ToJson()
        {
            var json = new JsonObject();
            if (Amount.HasValue) json["amount"] = Amount.Value;
            if (Speed != null) json["speed"] = Speed;
            if (Notes != null) json["notes"] = Notes;
            if (Receipt != null) json["receipt"] = Receipt;
            return json;
        }
    }

    public sealed class RefundListOptions
    {
        /// <summary>pending, processed or failed.</summary>
        public string Status { get; set; }
        public DateTimeOffset? From { get; set; }
        public DateTimeOffset? To { get; set; }
        public int PageSize { get; set; } = 20;
    }

    /// <summary>POST /v1/orders (Razorpay's order).</summary>
    public sealed class OrderRequest
    {
        /// <summary>In paise, at least 100.</summary>
        public long Amount { get; set; }
        public string Currency { get; set; } = "INR";
        /// <summary>Your reference, up to 40 characters.</summary>
        public string Receipt { get; set; }
        public IDictionary<string, object> Notes { get; set; }

        internal JsonObject ToJson()
        {
            var json = new JsonObject();
            json["amount"] = Amount;
            json["currency"] = Currency;
            if (Receipt != null) json["receipt"] = Receipt;
            if (Notes != null) json["notes"] = Notes;
            return json;
        }
    }

    /// <summary>GET /v1/orders: Razorpay's count/skip window and filters.</summary>
    public sealed class OrderListOptions
    {
        public string Receipt { get; set; }
        /// <summary>true: orders with an authorized or captured payment; false: without.</summary>
        public bool? Authorized { get; set; }
        /// <summary>1 to 100 (the API's default: 10).</summary>
        public int? Count { get; set; }
        public int? Skip { get; set; }
        /// <summary>Unix seconds.</summary>
        public long? From { get; set; }
        public long? To { get; set; }
    }

    /// <summary>POST /api/v1/merchant/webhooks.</summary>
    public sealed class WebhookEndpointRequest
    {
        /// <summary>Where events are POSTed (http or https; redirects are not followed).</summary>
        public string Url { get; set; }
        /// <summary>The event types to receive (payment.paid, refund.processed, …); null or empty: all.</summary>
        public IList<string> EventTypes { get; set; }
        public string Description { get; set; }
        /// <summary>On Update: true re-enables a disabled endpoint, false stops deliveries; null leaves it.</summary>
        public bool? Enabled { get; set; }

        internal JsonObject ToJson()
        {
            var json = new JsonObject();
            if (Url != null) json["url"] = Url;
            if (EventTypes != null) json["event_types"] = EventTypes;
            if (Description != null) json["description"] = Description;
            if (Enabled.HasValue) json["enabled"] = Enabled.Value;
            return json;
        }
    }

    public sealed class DeliveryListOptions
    {
        public string EventType { get; set; }
        /// <summary>succeeded or failed.</summary>
        public string Status { get; set; }
        public int PageSize { get; set; } = 20;
    }
}
