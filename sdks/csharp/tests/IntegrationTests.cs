// Tests against the platform the test session started (tests/sdks/conftest.py gives the variables): a payment
// paid on the sandbox's checkout page, a capture, a refund, a payment.paid webhook received on a loopback
// HttpListener and verified by the SDK, a secret rotation, a real 429 retried after Retry-After, an idempotent
// retry, typed errors, pagination, and every other resource read once.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;

namespace LightSpeedPay.Tests
{
    static class IntegrationTests
    {
        static string Env(string name)
        {
            var value = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrEmpty(value))
                throw new InvalidOperationException(name + " is not set: run the suite from tests/sdks (or pass --unit)");
            return value;
        }

        static LightSpeedPayClient lsp;
        static LoopbackServer receiver;
        static WebhookEndpoint endpoint;
        static Payment paid;
        static string paidWebhookId;
        static string runId;
        static readonly List<string> created = new List<string>();

        public static void Register(List<KeyValuePair<string, Func<Task>>> tests)
        {
            tests.Add(T("integration: a webhook endpoint registered through the SDK", RegisterEndpoint));
            tests.Add(T("integration: a payment paid on the sandbox's checkout page", PayThroughSimulator));
            tests.Add(T("integration: payment.paid received and verified by the SDK's verifier", PaymentPaidWebhook));
            tests.Add(T("integration: a partial refund, read back and listed", RefundIt));
            tests.Add(T("integration: an authorized payment captured", Capture));
            tests.Add(T("integration: a retry with the same Idempotency-Key returns the same payment", SameKeySamePayment));
            tests.Add(T("integration: typed errors for bad input", TypedErrors));
            tests.Add(T("integration: pagination goes through every page", Pagination));
            tests.Add(T("integration: orders on /v1 with HTTP Basic", Orders));
            tests.Add(T("integration: a 429 retried after Retry-After, then answered", RateLimited));
            tests.Add(T("integration: webhook deliveries, a resend, a test ping after a secret rotation", DeliveriesAndRotation));
            tests.Add(T("integration: wallet, settlements, credentials, usage, CSV", Reads));
            tests.Add(T("integration: a webhook endpoint updated and deleted", UpdateAndDeleteEndpoint));
        }

        static KeyValuePair<string, Func<Task>> T(string name, Func<Task> test)
        {
            return new KeyValuePair<string, Func<Task>>(name, async () =>
            {
                if (lsp == null) Setup();
                await test();
            });
        }

        static void Setup()
        {
            lsp = new LightSpeedPayClient(new LightSpeedPayOptions
            {
                BaseUrl = Env("LSP_API"), KeyId = Env("LSP_KEY_ID"), KeySecret = Env("LSP_KEY_SECRET"),
                Timeout = TimeSpan.FromSeconds(30), MaxRetries = 3,
            });
            runId = Guid.NewGuid().ToString("N").Substring(0, 10);
            var port = int.Parse(Env("LSP_WEBHOOK_PORT"));
            // the receiver answers 204 to everything; the tests verify what it received
            receiver = new LoopbackServer((n, _) => new Reply { Status = 204, Body = "" }, port, "/webhooks/");
        }

        static string NewOrderId(string what) { return "ORD-" + what + "-" + runId + "-" + created.Count; }

        static async Task<Payment> NewPayment(string what, long amount = 49900)
        {
            var orderId = NewOrderId(what);
            created.Add(orderId);
            return await lsp.Payments.PayAsync(new PayRequest
            {
                Amount = amount, OrderId = orderId, Customer = new Customer { Name = "Asha Rao", Email = "asha@example.com" },
                Notes = new Dictionary<string, object> { { "sdk", "csharp" } },
            });
        }

        static async Task<Payment> WaitFor(string id, Func<Payment, bool> done, string what, int seconds = 60)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                var payment = await lsp.Payments.GetAsync(id);
                if (done(payment)) return payment;
                if (clock.Elapsed > TimeSpan.FromSeconds(seconds))
                    throw new CheckFailed("the payment did not become " + what + ": " + payment);
                await Task.Delay(300);
            }
        }

        /// <summary>What the payer does: press an outcome on the sandbox's checkout page.</summary>
        static async Task PressOnCheckoutPage(string checkoutUrl, string outcome)
        {
            using (var browser = new HttpClient())
            {
                var form = new FormUrlEncodedContent(new Dictionary<string, string> { { "outcome", outcome } });
                var answer = await browser.PostAsync(checkoutUrl, form);
                Check.True(answer.IsSuccessStatusCode, "the checkout page answered " + (int)answer.StatusCode);
            }
        }

        static async Task<Payment> PayOnCheckoutPage(string what, string outcome, string finalStatus)
        {
            var payment = await NewPayment(what);
            var pending = await WaitFor(payment.Id, p => p.CheckoutUrl != null, "pending with a checkout_url");
            await PressOnCheckoutPage(pending.CheckoutUrl, outcome);
            return await WaitFor(payment.Id, p => p.Status == finalStatus, finalStatus);
        }

        static async Task RegisterEndpoint()
        {
            endpoint = await lsp.WebhookEndpoints.CreateAsync(new WebhookEndpointRequest
            {
                Url = "http://127.0.0.1:" + Env("LSP_WEBHOOK_PORT") + "/webhooks/csharp-sdk",
                EventTypes = new List<string> { "payment.paid", "refund.created", "refund.processed" },
                Description = "C# SDK tests",
            });
            Check.True(endpoint.Secret != null && endpoint.Secret.StartsWith("whsec_"), "the secret, shown once");
            Check.True(endpoint.Enabled, "enabled");
            Check.True(!endpoint.ToString().Contains(endpoint.Secret), "its ToString masks the secret");
            var listed = await lsp.WebhookEndpoints.ListAsync();
            Check.True(listed.Any(e => e.Id == endpoint.Id), "listed");
            var read = await lsp.WebhookEndpoints.GetAsync(endpoint.Id);
            Check.Equal(endpoint.Url, read.Url, "read back");
            Check.True(read.Secret == null, "the secret is not shown again");
        }

        static async Task PayThroughSimulator()
        {
            paid = await PayOnCheckoutPage("paid", "success", "paid");
            Check.Equal(49900L, paid.Amount, "amount");
            Check.Equal("test", paid.Mode, "test mode");
            Check.True(paid.PaymentId.StartsWith("pay_"), "pay_ id");
            Check.True(paid.PaidAt.HasValue, "paid_at");
            Check.Equal("csharp", paid.Notes.GetString("sdk"), "notes kept");
            var byPaymentId = await lsp.Payments.GetAsync(paid.PaymentId);
            Check.Equal(paid.Id, byPaymentId.Id, "found by its pay_ id too");
            Check.True(byPaymentId.RequestId != null, "a request id");
        }

        /// <summary>The deliveries the receiver got, verified with `verifier`; those that do not verify are left out.</summary>
        static List<WebhookEvent> Verified(WebhookVerifier verifier)
        {
            var events = new List<WebhookEvent>();
            foreach (var delivery in receiver.All)
            {
                try
                {
                    events.Add(verifier.Verify(delivery.Headers, delivery.Body));
                }
                catch (WebhookVerificationException)
                {
                }
            }
            return events;
        }

        static async Task<WebhookEvent> WaitForEvent(WebhookVerifier verifier, Func<WebhookEvent, bool> wanted, string what, int seconds = 60)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                var found = Verified(verifier).FirstOrDefault(wanted);
                if (found != null) return found;
                await Task.Delay(300);
            }
            throw new CheckFailed("no verified " + what + " within " + seconds + " s; received " + receiver.All.Count + " deliveries");
        }

        static async Task PaymentPaidWebhook()
        {
            var verifier = new WebhookVerifier(endpoint.Secret);
            var paidEvent = await WaitForEvent(verifier,
                e => e.Type == "payment.paid" && e.Data.GetString("transaction_id") == paid.Id, "payment.paid");
            Check.Equal(paid.PaymentId, paidEvent.Data.GetString("payment_id"), "payment_id");
            Check.Equal(49900L, paidEvent.Data.GetLong("amount"), "amount");
            Check.True(!paidEvent.Livemode, "a test-mode event");
            Check.True(paidEvent.WebhookId.StartsWith("msg_"), "webhook-id");
            paidWebhookId = paidEvent.WebhookId;
            // the same delivery with another secret, or altered, does not verify
            var delivery = receiver.All.First(d => d.Headers["webhook-id"] == paidEvent.WebhookId);
            Check.Throws<WebhookVerificationException>(() => new WebhookVerifier("whsec_" + Convert.ToBase64String(new byte[24]))
                .Verify(delivery.Headers, delivery.Body), "another secret");
            var altered = (byte[])delivery.Body.Clone();
            altered[altered.Length - 2] ^= 1;
            Check.Throws<WebhookVerificationException>(() => verifier.Verify(delivery.Headers, altered), "an altered body");
        }

        static async Task RefundIt()
        {
            var refund = await lsp.Refunds.CreateAsync(paid.PaymentId, new RefundRequest { Amount = 10000, Receipt = "RF-" + runId });
            Check.True(refund.Id.StartsWith("rfnd_"), "rfnd_ id");
            Check.Equal(10000L, refund.Amount, "amount");
            Check.Equal(paid.Id, refund.TransactionId, "its payment");
            var read = await lsp.Refunds.GetAsync(refund.Id);
            Check.Equal(refund.Id, read.Id, "read back");
            var ofPayment = await lsp.Refunds.ListForPayment(paid.Id).ToListAsync();
            Check.True(ofPayment.Any(r => r.Id == refund.Id), "in the payment's refunds");
            var all = await lsp.Refunds.List().ToListAsync();
            Check.True(all.Any(r => r.Id == refund.Id), "in all refunds");
            var clock = Stopwatch.StartNew();
            while (read.Status == "pending" && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(500);
                read = await lsp.Refunds.GetAsync(refund.Id);
            }
            Check.Equal("processed", read.Status, "carried out by the sandbox");
            var payment = await lsp.Payments.GetAsync(paid.Id);
            Check.Equal(10000L, payment.AmountRefunded, "amount_refunded");
            Check.Equal("partially_refunded", payment.Status, "status");
            // more than what is left: a typed error, not retried
            var error = await Check.ThrowsAsync<LightSpeedPayException>(
                () => lsp.Refunds.CreateAsync(paid.Id, new RefundRequest { Amount = 100000 }), "too much");
            Check.Equal("REFUND_EXCEEDS_PAID", error.Code, "code");
        }

        static async Task Capture()
        {
            var authorized = await PayOnCheckoutPage("auth", "authorize", "authorized");
            var captured = await lsp.Payments.CaptureAsync(authorized.Id);
            Check.Equal("paid", captured.Status, "captured");
            var again = await Check.ThrowsAsync<LightSpeedPayException>(() => lsp.Payments.CaptureAsync(authorized.Id), "twice");
            Check.Equal("PAYMENT_NOT_CAPTURABLE", again.Code, "a paid payment is not capturable");
        }

        static async Task SameKeySamePayment()
        {
            var orderId = NewOrderId("idem");
            created.Add(orderId);
            var key = "pay-" + orderId;
            var request = new PayRequest { Amount = 25000, OrderId = orderId };
            var first = await lsp.Payments.PayAsync(request, key);
            var retry = await lsp.Payments.PayAsync(request, key);
            Check.Equal(first.Id, retry.Id, "the same transaction");
            Check.Equal(first.PaymentId, retry.PaymentId, "the same payment");
            Check.True(!first.IdempotentReplayed && retry.IdempotentReplayed, "the retry was answered from the store");
            var reused = await Check.ThrowsAsync<LightSpeedPayException>(
                () => lsp.Payments.PayAsync(new PayRequest { Amount = 26000, OrderId = orderId }, key), "another request, same key");
            Check.Equal("IDEMPOTENCY_KEY_REUSED", reused.Code, "code");
            Check.Equal(422, reused.StatusCode, "status");
            var page = await lsp.Payments.ListPageAsync(new PaymentListOptions { Search = orderId });
            Check.Equal(1, page.Items.Count, "one payment for the order");
        }

        static async Task TypedErrors()
        {
            var retries = new List<RetryEvent>();
            var counted = new LightSpeedPayClient(new LightSpeedPayOptions
            {
                BaseUrl = Env("LSP_API"), KeyId = Env("LSP_KEY_ID"), KeySecret = Env("LSP_KEY_SECRET"), OnRetry = retries.Add,
            });
            var bad = await Check.ThrowsAsync<LightSpeedPayException>(
                () => counted.Payments.PayAsync(new PayRequest { Amount = -5, OrderId = NewOrderId("bad") }), "a negative amount");
            Check.Equal(422, bad.StatusCode, "status");
            Check.True(bad.Code == "INVALID_AMOUNT" || bad.Code == "VALIDATION_ERROR", "code " + bad.Code);
            Check.Equal("amount", bad.Field, "field");
            Check.True(!string.IsNullOrEmpty(bad.Message) && bad.RequestId != null, "message and request id: " + bad);
            var missing = await Check.ThrowsAsync<LightSpeedPayException>(
                () => counted.Payments.GetAsync(Guid.NewGuid().ToString()), "an unknown payment");
            Check.Equal(404, missing.StatusCode, "404");
            Check.Equal("NOT_FOUND", missing.Code, "NOT_FOUND");
            var order = await Check.ThrowsAsync<LightSpeedPayException>(
                () => counted.Orders.CreateAsync(new OrderRequest { Amount = 50 }), "an order under ₹1");
            Check.Equal(400, order.StatusCode, "/v1 answers 400");
            Check.Equal("VALIDATION_ERROR", order.Code, "/v1's reason as the code");
            Check.Equal("amount", order.Field, "/v1's field");
            Check.Equal(0, retries.Count, "no 4xx was retried");
            const string wrong = "wrong-secret-for-this-test";
            var stranger = new LightSpeedPayClient(Env("LSP_KEY_ID"), wrong, Env("LSP_API"));
            var refused = await Check.ThrowsAsync<LightSpeedPayException>(() => stranger.Wallet.GetAsync(), "a wrong secret");
            Check.Equal(401, refused.StatusCode, "401");
            Check.Equal("INVALID_SIGNATURE", refused.Code, "INVALID_SIGNATURE");
            Check.True(!refused.ToString().Contains(wrong) && !refused.Message.Contains(wrong), "the secret is not in the error");
            var basic = await Check.ThrowsAsync<LightSpeedPayException>(() => stranger.Orders.ListAsync(), "a wrong secret on /v1");
            Check.Equal(401, basic.StatusCode, "401 on /v1");
            Check.True(!basic.ToString().Contains(wrong), "nor in /v1's");
        }

        static async Task Pagination()
        {
            for (var i = 0; i < 3; i++) await NewPayment("page", 10000 + i);
            var pager = lsp.Payments.List(new PaymentListOptions { PageSize = 2 });
            var all = await pager.ToListAsync();
            Check.True(pager.PagesFetched >= 3, "pages fetched: " + pager.PagesFetched);
            Check.Equal(all.Count, all.Select(p => p.Id).Distinct().Count(), "no payment twice");
            foreach (var orderId in created)
                Check.True(all.Any(p => p.OrderId == orderId), orderId + " listed");
            for (var i = 1; i < all.Count; i++)
                Check.True(all[i - 1].CreatedAt >= all[i].CreatedAt, "newest first");
            var filtered = await lsp.Payments.List(new PaymentListOptions { AmountMin = 10000, AmountMax = 10002, PageSize = 1 }).ToListAsync();
            Check.Equal(3, filtered.Count, "a filter across pages");
            var first = await lsp.Payments.ListPageAsync(new PaymentListOptions { PageSize = 2 });
            var second = await lsp.Payments.ListPageAsync(new PaymentListOptions { PageSize = 2 }, first.NextCursor);
            Check.Equal(all[2].Id, second.Items[0].Id, "the cursor continues where the first page ended");
        }

        static async Task Orders()
        {
            var receipt = "rcpt-" + runId;
            var order = await lsp.Orders.CreateAsync(new OrderRequest
            {
                Amount = 50000, Receipt = receipt, Notes = new Dictionary<string, object> { { "sku", "CHAI-250" } },
            });
            Check.True(order.Id.StartsWith("order_"), "order_ id");
            Check.Equal("created", order.Status, "status");
            var read = await lsp.Orders.GetAsync(order.Id);
            Check.Equal(50000L, read.Amount, "read back");
            var listed = await lsp.Orders.ListAsync(new OrderListOptions { Receipt = receipt });
            Check.Equal(1, listed.Count, "by receipt");
            Check.Equal(order.Id, listed[0].Id, "the order");
            Check.Equal(0, (await lsp.Orders.PaymentsAsync(order.Id)).Count, "no payment yet");
            var byPaid = await lsp.Payments.GetAsync(paid.PaymentId);
            Check.Equal(paid.Id, byPaid.Id, "the same key reads native payments");
        }

        static async Task RateLimited()
        {
            var api = Env("LSP_THROTTLED_API");
            var keyId = Env("LSP_THROTTLED_KEY_ID");
            var secret = Env("LSP_THROTTLED_KEY_SECRET");
            // without retries the 429 is the caller's, typed, with its Retry-After
            var impatient = new LightSpeedPayClient(new LightSpeedPayOptions { BaseUrl = api, KeyId = keyId, KeySecret = secret, MaxRetries = 0 });
            LightSpeedPayException limited = null;
            for (var i = 0; i < 3 && limited == null; i++)
            {
                try
                {
                    await impatient.Wallet.GetAsync();
                }
                catch (LightSpeedPayException refused)
                {
                    limited = refused;
                }
            }
            Check.True(limited != null, "1 request a window: a 429 within 3");
            Check.Equal(429, limited.StatusCode, "status");
            Check.Equal("RATE_LIMITED", limited.Code, "code");
            Check.True(limited.RetryAfter.HasValue && limited.RetryAfter.Value > TimeSpan.Zero, "Retry-After");
            // with retries, the SDK waits for Retry-After and the call succeeds
            var retries = new List<RetryEvent>();
            var patient = new LightSpeedPayClient(new LightSpeedPayOptions
            {
                BaseUrl = api, KeyId = keyId, KeySecret = secret, MaxRetries = 3, OnRetry = retries.Add,
            });
            for (var i = 0; i < 3 && retries.Count == 0; i++)
            {
                var clock = Stopwatch.StartNew();
                var wallet = await patient.Wallet.GetAsync();
                Check.True(wallet.MerchantId != null, "answered");
                if (retries.Count > 0)
                {
                    var retry = retries[0];
                    Check.Equal(429, retry.StatusCode, "retried after a 429");
                    Check.True(retry.RetryAfter.HasValue && retry.Delay >= retry.RetryAfter.Value, "waited at least Retry-After: " + retry);
                    Check.True(clock.Elapsed >= retry.RetryAfter.Value, "the call took " + clock.Elapsed);
                }
            }
            Check.True(retries.Count > 0, "a 429 was met and retried");
        }

        static async Task DeliveriesAndRotation()
        {
            var deliveries = await lsp.WebhookEndpoints.Deliveries(endpoint.Id, new DeliveryListOptions { EventType = "payment.paid" }).ToListAsync();
            // the webhook-id is msg_ and the event's id
            var delivered = deliveries.FirstOrDefault(d => "msg_" + d.EventId.Replace("-", "") == paidWebhookId);
            Check.True(delivered != null, "payment.paid's delivery is in the log: " + deliveries.Count);
            Check.Equal("succeeded", delivered.Status, "delivered");
            Check.Equal(204L, delivered.ResponseStatusCode ?? 0, "our receiver's answer");
            var resent = await lsp.WebhookEndpoints.ResendAsync(endpoint.Id, delivered.Id);
            Check.Equal("queued", resent.Status, "resend queued");
            var oldSecret = endpoint.Secret;
            var verifier = new WebhookVerifier(oldSecret);
            var clock = Stopwatch.StartNew();
            while (Verified(verifier).Count(e => e.WebhookId == paidWebhookId && e.Data.GetString("transaction_id") == paid.Id) < 2)
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(60))
                {
                    var log = await lsp.WebhookEndpoints.Deliveries(endpoint.Id).ToListAsync();
                    throw new CheckFailed("the resent payment.paid did not arrive (" + resent + "); the log: "
                        + string.Join("; ", log.Select(d => d.EventType + " " + d.Trigger + " " + d.Status + " " + d.ResponseStatusCode + " " + d.Error))
                        + "; received: " + string.Join(", ", receiver.All.Select(r => r.Headers["webhook-id"])));
                }
                await Task.Delay(300);
            }
            var rotated = await lsp.WebhookEndpoints.RotateSecretAsync(endpoint.Id);
            Check.True(rotated.Secret != null && rotated.Secret != oldSecret, "a new secret");
            Check.True(rotated.PreviousSecretExpiresAt.HasValue, "the old one signs for a grace period");
            var before = receiver.All.Count;
            var ping = await lsp.WebhookEndpoints.SendTestAsync(endpoint.Id);
            Check.True(ping.EndpointIds.Contains(endpoint.Id), "pinged our endpoint");
            var pinged = await WaitForEvent(new WebhookVerifier(rotated.Secret), e => e.Type == "ping", "ping with the new secret");
            var delivery = receiver.All.First(d => d.Headers["webhook-id"] == pinged.WebhookId);
            Check.Equal(2, delivery.Headers["webhook-signature"].Split(' ').Length, "two signatures during the rotation");
            new WebhookVerifier(oldSecret).Verify(delivery.Headers, delivery.Body);
            new WebhookVerifier(oldSecret, rotated.Secret).Verify(delivery.Headers, delivery.Body);
            endpoint = rotated;
        }

        static async Task Reads()
        {
            var wallet = await lsp.Wallet.GetAsync();
            Check.True(wallet.MerchantId != null && wallet.Status != null, "wallet: " + wallet);
            await lsp.Wallet.Entries(pageSize: 5).ToListAsync(10);
            var settlements = await lsp.Settlements.List().ToListAsync();
            Check.True(settlements.All(s => s.Id != null), "settlements listed: " + settlements.Count);
            var unknown = Guid.NewGuid().ToString();
            var missing = await Check.ThrowsAsync<LightSpeedPayException>(() => lsp.Settlements.GetAsync(unknown), "an unknown settlement");
            Check.Equal(404, missing.StatusCode, "404");
            var missingCsv = await Check.ThrowsAsync<LightSpeedPayException>(() => lsp.Settlements.CsvAsync(unknown), "its CSV");
            Check.Equal(404, missingCsv.StatusCode, "404 for the CSV");
            var credentials = await lsp.Credentials.ListAsync();
            Check.True(credentials.Items.Any(c => c.KeyId == lsp.KeyId && c.Mode == "test"), "our test key: " + credentials);
            var usage = await lsp.Usage.GetAsync(DateTime.UtcNow.AddDays(-1), DateTime.UtcNow.AddDays(1));
            Check.True(usage.Raw.ContainsKey("days") && usage.Raw.ContainsKey("routes"), "usage: " + usage);
            var csv = await lsp.Payments.ExportCsvAsync(new PaymentListOptions { Search = paid.OrderId });
            Check.True(csv.Contains(paid.OrderId), "the CSV has our payment");
        }

        static async Task UpdateAndDeleteEndpoint()
        {
            var updated = await lsp.WebhookEndpoints.UpdateAsync(endpoint.Id, new WebhookEndpointRequest
            {
                Description = "C# SDK tests, updated", EventTypes = new List<string> { "payment.failed" },
            });
            Check.Equal("C# SDK tests, updated", updated.Description, "description");
            Check.Equal("payment.failed", string.Join(",", updated.EventTypes), "event types");
            var disabled = await lsp.WebhookEndpoints.UpdateAsync(endpoint.Id, new WebhookEndpointRequest { Enabled = false });
            Check.True(!disabled.Enabled, "disabled");
            await lsp.WebhookEndpoints.DeleteAsync(endpoint.Id);
            var gone = await Check.ThrowsAsync<LightSpeedPayException>(() => lsp.WebhookEndpoints.GetAsync(endpoint.Id), "deleted");
            Check.Equal("NOT_FOUND", gone.Code, "NOT_FOUND");
            receiver.Dispose();
        }
    }
}
