// Tests that need no platform: the request signature's vector, the Standard Webhooks vectors (the spec's, as in
// ../shared/specs and tests/kit/test_standard_webhooks.py), the JSON reader and writer, and the retry policy, the
// last both as arithmetic and on the wire against a loopback HTTP server.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Tasks;

namespace LightSpeedPay.Tests
{
    static class UnitTests
    {
        const string SecretA = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        const string IdA = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        const long TimeA = 1614265330;
        const string BodyA = "{\"test\": 2432232314}";
        const string SignatureA = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        const string SecretB = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
        const string IdB = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
        const long TimeB = 1649367553;
        const string BodyB = "{\"email\":\"test@example.com\",\"username\":\"test_user\"}";
        const string SignatureB = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";
        const string KeySecret = "sk_unit_secret_never_shown";

        public static void Register(List<KeyValuePair<string, Func<Task>>> tests)
        {
            Add(tests, "unit: the request signature's published vector", SignatureVector);
            Add(tests, "unit: HTTP Basic for /v1", BasicAuthorization);
            Add(tests, "unit: Standard Webhooks vectors SW-A and SW-B", WebhookVectors);
            Add(tests, "unit: wrong signatures are refused", WrongSignatures);
            Add(tests, "unit: one matching signature among several is enough", SeveralSignatures);
            Add(tests, "unit: a verifier holding the old and the new secret", SeveralSecrets);
            Add(tests, "unit: the timestamp tolerance, both ways", Tolerance);
            Add(tests, "unit: missing headers, a bad timestamp, an empty secret", MalformedDeliveries);
            Add(tests, "unit: JSON reads and writes what the API sends", JsonRoundTrip);
            Add(tests, "unit: JSON refuses what is not JSON", JsonRefusals);
            Add(tests, "unit: which answers are retried", RetryableAnswers);
            Add(tests, "unit: backoff grows, is capped and jittered; Retry-After is a floor", BackoffDelays);
            Add(tests, "unit: Retry-After in seconds and as an HTTP date", RetryAfterParsing);
            Add(tests, "unit: the secret is in no ToString", SecretNeverShown);
            tests.Add(new KeyValuePair<string, Func<Task>>("unit: retried 5xx keeps one Idempotency-Key, signs anew", RetriesKeepTheKey));
            tests.Add(new KeyValuePair<string, Func<Task>>("unit: 409 IDEMPOTENCY_KEY_IN_USE is retried, other 409s and 4xx are not", ConflictsAndClientErrors));
            tests.Add(new KeyValuePair<string, Func<Task>>("unit: 429 waits for Retry-After", RateLimitWaits));
            tests.Add(new KeyValuePair<string, Func<Task>>("unit: writes without a stored key retry only 429", NonIdempotentWrites));
            tests.Add(new KeyValuePair<string, Func<Task>>("unit: connection refused and timeouts are retried, then typed", ConnectionErrors));
            tests.Add(new KeyValuePair<string, Func<Task>>("unit: the signed path is the request line, query included", SignedQuery));
        }

        static void Add(List<KeyValuePair<string, Func<Task>>> tests, string name, Action test)
        {
            tests.Add(new KeyValuePair<string, Func<Task>>(name, () => { test(); return Task.FromResult(0); }));
        }

        static void SignatureVector()
        {
            // docs/developers/signing.md
            Check.Equal("94c643f9f98bd60b1941af35a5627934b84525cabae87cf83a22667ff0b52e2b",
                RequestSigning.Sign("demo_salt", "1700000000", "POST", "/api/v1/pay",
                    "{\"amount\":49900,\"order_id\":\"ORD-1\",\"currency\":\"INR\"}"), "signature");
            Check.True(RequestSigning.Sign("demo_salt", "1700000000", "GET", "/api/v1/wallet", (byte[])null)
                == RequestSigning.Sign("demo_salt", "1700000000", "GET", "/api/v1/wallet", ""), "a GET signs an empty body");
        }

        static void BasicAuthorization()
        {
            Check.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("lsp_test_a:s3cret")),
                RequestSigning.BasicAuthorization("lsp_test_a", "s3cret"), "Authorization");
        }

        static DateTimeOffset At(long seconds) { return DateTimeOffset.FromUnixTimeSeconds(seconds); }
        static byte[] Bytes(string text) { return Encoding.UTF8.GetBytes(text); }

        static void WebhookVectors()
        {
            Check.Equal(SignatureA, WebhookVerifier.Sign(SecretA, IdA, TimeA, Bytes(BodyA)), "SW-A signed");
            Check.Equal(SignatureB, WebhookVerifier.Sign(SecretB, IdB, TimeB, Bytes(BodyB)), "SW-B signed");
            Check.Equal(SignatureA, WebhookVerifier.Sign(SecretA.Substring(6), IdA, TimeA, Bytes(BodyA)), "SW-A without whsec_");
            var a = new WebhookVerifier(SecretA).Verify(IdA, TimeA.ToString(), SignatureA, Bytes(BodyA), At(TimeA));
            Check.Equal(2432232314L, a.Raw.GetLong("test"), "SW-A body");
            Check.Equal(IdA, a.WebhookId, "SW-A id");
            var headers = new Dictionary<string, string>
            {
                { "Webhook-Id", IdB }, { "WEBHOOK-TIMESTAMP", TimeB.ToString() }, { "webhook-signature", SignatureB },
            };
            var b = new WebhookVerifier(SecretB.Substring(6)).Verify(headers, Bytes(BodyB), At(TimeB));
            Check.Equal("test_user", b.Raw.GetString("username"), "SW-B body");
        }

        static void WrongSignatures()
        {
            var verifier = new WebhookVerifier(SecretA);
            foreach (var signature in new[]
                     {
                         "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=", "v1,dawfeoifkpqwoekfpqoekf", "v1,", "nocomma",
                         "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
                     })
                Check.Throws<WebhookVerificationException>(
                    () => verifier.Verify(IdA, TimeA.ToString(), signature, Bytes(BodyA), At(TimeA)), signature);
            Check.Throws<WebhookVerificationException>(
                () => verifier.Verify(IdA, TimeA.ToString(), SignatureA, Bytes("{\"test\": 2432232315}"), At(TimeA)), "another body");
            Check.Throws<WebhookVerificationException>(
                () => verifier.Verify("msg_other", TimeA.ToString(), SignatureA, Bytes(BodyA), At(TimeA)), "another id");
            Check.Throws<WebhookVerificationException>(
                () => new WebhookVerifier(SecretB).Verify(IdA, TimeA.ToString(), SignatureA, Bytes(BodyA), At(TimeA)), "another secret");
        }

        static void SeveralSignatures()
        {
            const string decoy = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
            var header = decoy + " v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= " + SignatureA + " " + decoy;
            new WebhookVerifier(SecretA).Verify(IdA, TimeA.ToString(), header, Bytes(BodyA), At(TimeA));
        }

        static void SeveralSecrets()
        {
            // a rotation: the platform signs with both secrets; a receiver may hold either, or both while it switches
            var body = Bytes("{\"type\":\"ping\",\"data\":{}}");
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var header = WebhookVerifier.Sign(SecretB, "msg_1", now, body) + " " + WebhookVerifier.Sign(SecretA, "msg_1", now, body);
            new WebhookVerifier(SecretA).Verify("msg_1", now.ToString(), header, body);
            new WebhookVerifier(SecretB).Verify("msg_1", now.ToString(), header, body);
            var onlyOld = WebhookVerifier.Sign(SecretA, "msg_1", now, body);
            Check.Equal("ping", new WebhookVerifier(SecretB, SecretA).Verify("msg_1", now.ToString(), onlyOld, body).Type, "either secret");
        }

        static void Tolerance()
        {
            var verifier = new WebhookVerifier(SecretA);
            foreach (var skew in new[] { -301, 301 })
                Check.Throws<WebhookVerificationException>(
                    () => verifier.Verify(IdA, TimeA.ToString(), SignatureA, Bytes(BodyA), At(TimeA + skew)), "skew " + skew);
            foreach (var skew in new[] { -300, 300 })
                verifier.Verify(IdA, TimeA.ToString(), SignatureA, Bytes(BodyA), At(TimeA + skew));
            var strict = new WebhookVerifier(TimeSpan.FromSeconds(10), SecretA);
            Check.Throws<WebhookVerificationException>(
                () => strict.Verify(IdA, TimeA.ToString(), SignatureA, Bytes(BodyA), At(TimeA + 11)), "a tolerance of 10 s");
        }

        static void MalformedDeliveries()
        {
            var verifier = new WebhookVerifier(SecretA);
            Check.Throws<WebhookVerificationException>(() => verifier.Verify(
                new Dictionary<string, string> { { "webhook-id", IdA } }, Bytes(BodyA), At(TimeA)), "missing headers");
            foreach (var timestamp in new[] { "hello", "-1614265330", "1614265330.0", " 1614265330", "" })
                Check.Throws<WebhookVerificationException>(
                    () => verifier.Verify(IdA, timestamp, SignatureA, Bytes(BodyA), At(TimeA)), "timestamp " + timestamp);
            Check.Throws<ArgumentException>(() => new WebhookVerifier("whsec_"), "an empty secret");
            Check.Throws<ArgumentException>(() => new WebhookVerifier("whsec_not base64!"), "not base64");
        }

        static void JsonRoundTrip()
        {
            var text = "{\"a\":1,\"b\":-2.5,\"c\":\"x\\\"y\\\\z\\n\\u00e9\\ud83d\\ude00\",\"d\":[true,false,null,{}],\"e\":{\"f\":[]},"
                       + "\"big\":9007199254740993}";
            var json = Json.ParseObject(text);
            Check.Equal(1L, json.GetLong("a"), "a");
            Check.Equal(-2.5, (double)json["b"], "b");
            Check.Equal("x\"y\\z\n\u00e9\ud83d\ude00", json.GetString("c"), "c");
            Check.Equal(4, json.GetArray("d").Count, "d");
            Check.Equal(9007199254740993L, json.GetLong("big"), "a long beyond a double's precision");
            Check.Equal(text.Replace("\\u00e9", "\u00e9").Replace("\\ud83d\\ude00", "\ud83d\ude00"), Json.Write(json), "written back");
            var notes = new Dictionary<string, object> { { "sku", "CHAI-250" }, { "qty", 2 }, { "gift", true } };
            Check.Equal("{\"sku\":\"CHAI-250\",\"qty\":2,\"gift\":true}", Json.Write(notes), "a dictionary");
            Check.Equal("[1,\"\\u0001\"]", Json.Write(new object[] { 1, "\u0001" }), "a control character");
            // a dictionary known only as IDictionary<string, T> (ExpandoObject, an adapter of your own) is an object
            Check.Equal("{\"a\":1}", Json.Write(new List<KeyValuePair<string, object>> { new KeyValuePair<string, object>("a", 1) }), "pairs");
            Check.Equal("{\"b\":\"c\"}", Json.Write(new List<KeyValuePair<string, string>> { new KeyValuePair<string, string>("b", "c") }), "string pairs");
            var previous = System.Threading.Thread.CurrentThread.CurrentCulture;
            try
            {
                // a game on a French phone: numbers are still written with a dot
                System.Threading.Thread.CurrentThread.CurrentCulture = new CultureInfo("fr-FR");
                Check.Equal("[0.5]", Json.Write(new[] { 0.5 }), "invariant culture");
            }
            finally
            {
                System.Threading.Thread.CurrentThread.CurrentCulture = previous;
            }
        }

        static void JsonRefusals()
        {
            foreach (var text in new[] { "", "{", "{\"a\":}", "[1,]", "{\"a\":1}x", "'a'", "{a:1}", "\"\\x\"", "tru" })
                Check.Throws<JsonException>(() => Json.Parse(text), "refused: " + text);
        }

        static void RetryableAnswers()
        {
            Check.True(RetryPolicy.IsRetryable(429, "RATE_LIMITED", false), "429, even a write without a stored key");
            Check.True(RetryPolicy.IsRetryable(409, "IDEMPOTENCY_KEY_IN_USE", true), "409 in use");
            Check.True(!RetryPolicy.IsRetryable(409, "DUPLICATE_ORDER_ID", true), "another 409");
            foreach (var status in new[] { 500, 502, 503, 504 })
            {
                Check.True(RetryPolicy.IsRetryable(status, null, true), status + " of an idempotent call");
                Check.True(!RetryPolicy.IsRetryable(status, null, false), status + " of a write without a stored key");
            }
            foreach (var status in new[] { 400, 401, 403, 404, 405, 413, 415, 422 })
                Check.True(!RetryPolicy.IsRetryable(status, "X", true), status + " never");
        }

        static void BackoffDelays()
        {
            var policy = new RetryPolicy(5, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(1000), new Random(7));
            var caps = new[] { 100, 200, 400, 800, 1000, 1000 };
            var seen = new HashSet<double>();
            for (var round = 0; round < 50; round++)
                for (var retry = 1; retry <= caps.Length; retry++)
                {
                    var delay = policy.Delay(retry, null).TotalMilliseconds;
                    var cap = caps[retry - 1];
                    Check.True(delay >= cap / 2.0 && delay <= cap, "retry " + retry + ": " + delay + " ms within [" + cap / 2 + ", " + cap + "]");
                    seen.Add(delay);
                }
            Check.True(seen.Count > 100, "jittered: " + seen.Count + " different delays");
            for (var i = 0; i < 50; i++)
            {
                var delay = policy.Delay(1, TimeSpan.FromSeconds(2));
                Check.True(delay >= TimeSpan.FromSeconds(2) && delay <= TimeSpan.FromMilliseconds(2100), "Retry-After 2 s: " + delay);
            }
        }

        static void RetryAfterParsing()
        {
            Check.Equal(TimeSpan.FromSeconds(2), RetryPolicy.ParseRetryAfter("2").Value, "seconds");
            var now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
            Check.Equal(TimeSpan.FromSeconds(30), RetryPolicy.ParseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now).Value, "date");
            Check.Equal(TimeSpan.Zero, RetryPolicy.ParseRetryAfter("Wed, 31 Dec 2025 23:59:00 GMT", now).Value, "a date passed");
            Check.True(!RetryPolicy.ParseRetryAfter("soon").HasValue && !RetryPolicy.ParseRetryAfter(null).HasValue, "unreadable");
        }

        static void SecretNeverShown()
        {
            var options = new LightSpeedPayOptions { KeyId = "lsp_test_abc", KeySecret = KeySecret, BaseUrl = "http://127.0.0.1:9" };
            Check.True(!options.ToString().Contains(KeySecret) && options.ToString().Contains("lsp_test_abc"), options.ToString());
            using (var lsp = new LightSpeedPayClient(options))
                Check.True(!lsp.ToString().Contains(KeySecret), lsp.ToString());
            Check.Equal("lightspeedpay-csharp/" + LightSpeedPayClient.Version, options.UserAgent, "User-Agent");
            var raw = Json.ParseObject("{\"key_id\":\"lsp_test_abc\",\"key_secret\":\"" + KeySecret + "\"}");
            Check.True(!new Credential(raw).ToString().Contains(KeySecret), "a regenerated key's ToString");
            var endpoint = new WebhookEndpoint(Json.ParseObject("{\"id\":\"e\",\"secret\":\"whsec_abc\"}"));
            Check.True(!endpoint.ToString().Contains("whsec_abc") && endpoint.Secret == "whsec_abc", "an endpoint's ToString");
        }

        static LightSpeedPayClient Client(LoopbackServer server, List<RetryEvent> retries, int maxRetries = 3, double timeoutSeconds = 5)
        {
            return new LightSpeedPayClient(new LightSpeedPayOptions
            {
                BaseUrl = server == null ? "http://127.0.0.1:" + LoopbackServer.FreePort() : server.Url,
                KeyId = "lsp_test_unit", KeySecret = KeySecret, MaxRetries = maxRetries,
                InitialRetryDelay = TimeSpan.FromMilliseconds(20), MaxRetryDelay = TimeSpan.FromMilliseconds(100),
                Timeout = TimeSpan.FromSeconds(timeoutSeconds), OnRetry = retries == null ? (Action<RetryEvent>)null : retries.Add,
            });
        }

        static readonly string Paid = "{\"transaction_id\":\"7f0c2b7e-0000-4000-8000-000000000001\",\"payment_id\":\"pay_X\",\"status\":\"created\"}";

        static async Task RetriesKeepTheKey()
        {
            using (var server = new LoopbackServer((n, _) => n < 2 ? Reply.Error(503, "NO_GATEWAY_AVAILABLE") : new Reply { Status = 201, Body = Paid }))
            {
                var retries = new List<RetryEvent>();
                using (var lsp = Client(server, retries))
                {
                    var payment = await lsp.Payments.PayAsync(new PayRequest { Amount = 100, OrderId = "ORD-1" });
                    Check.Equal("pay_X", payment.PaymentId, "the answer after the retries");
                }
                var seen = server.All;
                Check.Equal(3, seen.Count, "attempts");
                Check.Equal(2, retries.Count, "retry events");
                var key = seen[0].Headers["Idempotency-Key"];
                Check.True(!string.IsNullOrEmpty(key), "a key was generated");
                var signatures = new HashSet<string>();
                foreach (var request in seen)
                {
                    Check.Equal(key, request.Headers["Idempotency-Key"], "the same key on every attempt");
                    Check.Equal("lightspeedpay-csharp/" + LightSpeedPayClient.Version, request.Headers["User-Agent"], "User-Agent");
                    Check.Equal("application/json", request.Headers["Content-Type"], "Content-Type");
                    var timestamp = request.Headers["X-Timestamp"];
                    Check.Equal(13, timestamp.Length, "a timestamp in milliseconds");
                    Check.Equal(RequestSigning.Sign(KeySecret, timestamp, "POST", request.RawUrl, request.Body), request.Headers["X-Signature"], "signed");
                    Check.True(request.Headers["Authorization"] == null, "no Basic auth on /api/v1");
                    signatures.Add(request.Headers["X-Signature"]);
                    Check.True(!Encoding.UTF8.GetString(request.Body).Contains(KeySecret), "the secret does not travel");
                }
                Check.Equal(3, signatures.Count, "each attempt signed anew");
                Check.Equal("{\"amount\":100,\"order_id\":\"ORD-1\",\"currency\":\"INR\"}", Encoding.UTF8.GetString(seen[0].Body), "the body");
            }
            using (var server = new LoopbackServer((n, _) => Reply.Error(503, "NO_GATEWAY_AVAILABLE")))
            using (var lsp = Client(server, null, maxRetries: 2))
            {
                var error = await Check.ThrowsAsync<LightSpeedPayException>(
                    () => lsp.Payments.PayAsync(new PayRequest { Amount = 100, OrderId = "ORD-2" }, "my-key-1"), "503 to the end");
                Check.Equal("NO_GATEWAY_AVAILABLE", error.Code, "code");
                Check.Equal(503, error.StatusCode, "status");
                Check.Equal("req_test_503", error.RequestId, "request id");
                Check.Equal(3, server.All.Count, "1 attempt + MaxRetries");
                foreach (var request in server.All) Check.Equal("my-key-1", request.Headers["Idempotency-Key"], "the caller's key");
            }
        }

        static async Task ConflictsAndClientErrors()
        {
            using (var server = new LoopbackServer((n, _) => n == 0 ? Reply.Error(409, "IDEMPOTENCY_KEY_IN_USE") : new Reply { Status = 201, Body = Paid }))
            using (var lsp = Client(server, null))
            {
                await lsp.Payments.PayAsync(new PayRequest { Amount = 100, OrderId = "ORD-1" });
                Check.Equal(2, server.All.Count, "409 in use, then the answer");
            }
            foreach (var refusal in new[] { Reply.Error(409, "DUPLICATE_ORDER_ID"), Reply.Error(422, "INVALID_AMOUNT"), Reply.Error(400, "BAD_REQUEST"), Reply.Error(404, "NOT_FOUND") })
                using (var server = new LoopbackServer((n, _) => refusal))
                using (var lsp = Client(server, null))
                {
                    var error = await Check.ThrowsAsync<LightSpeedPayException>(
                        () => lsp.Payments.PayAsync(new PayRequest { Amount = 100, OrderId = "ORD-1" }), refusal.Status.ToString());
                    Check.Equal(refusal.Status, error.StatusCode, "status");
                    Check.Equal(1, server.All.Count, refusal.Status + " is not retried");
                }
        }

        static async Task RateLimitWaits()
        {
            using (var server = new LoopbackServer((n, _) => n == 0 ? Reply.Error(429, "RATE_LIMITED", "1") : new Reply { Body = "{\"balance_due\":0}" }))
            {
                var retries = new List<RetryEvent>();
                using (var lsp = Client(server, retries))
                    await lsp.Wallet.GetAsync();
                var seen = server.All;
                Check.Equal(2, seen.Count, "attempts");
                var waited = seen[1].At - seen[0].At;
                Check.True(waited >= TimeSpan.FromMilliseconds(950), "waited " + waited.TotalMilliseconds + " ms for Retry-After: 1");
                Check.Equal(TimeSpan.FromSeconds(1), retries[0].RetryAfter.Value, "told Retry-After");
            }
        }

        static async Task NonIdempotentWrites()
        {
            using (var server = new LoopbackServer((n, _) => Reply.Error(503, "INTERNAL_ERROR")))
            using (var lsp = Client(server, null))
            {
                await Check.ThrowsAsync<LightSpeedPayException>(
                    () => lsp.WebhookEndpoints.CreateAsync(new WebhookEndpointRequest { Url = "http://127.0.0.1/x" }), "503");
                Check.Equal(1, server.All.Count, "a 503 of a webhook endpoint's creation is not retried");
            }
            using (var server = new LoopbackServer((n, _) => n == 0 ? Reply.Error(429, "RATE_LIMITED", "0") : new Reply { Status = 201, Body = "{\"id\":\"e1\"}" }))
            using (var lsp = Client(server, null))
            {
                var endpoint = await lsp.WebhookEndpoints.CreateAsync(new WebhookEndpointRequest { Url = "http://127.0.0.1/x" });
                Check.Equal("e1", endpoint.Id, "created after the 429");
                Check.Equal(2, server.All.Count, "a 429 did nothing, so it is retried");
            }
        }

        static async Task ConnectionErrors()
        {
            var retries = new List<RetryEvent>();
            using (var lsp = Client(null, retries, maxRetries: 2))
            {
                var error = await Check.ThrowsAsync<LightSpeedPayConnectionException>(() => lsp.Wallet.GetAsync(), "nobody listening");
                Check.Equal(0, error.StatusCode, "no status");
                Check.Equal("CONNECTION_ERROR", error.Code, "code");
                Check.Equal(2, retries.Count, "retried");
                Check.True(!error.ToString().Contains(KeySecret), "no secret in the exception");
            }
            using (var server = new LoopbackServer((n, _) => n == 0 ? new Reply { Delay = TimeSpan.FromSeconds(3) } : new Reply { Status = 201, Body = Paid }))
            using (var lsp = Client(server, null, timeoutSeconds: 1))
            {
                var clock = Stopwatch.StartNew();
                var payment = await lsp.Payments.PayAsync(new PayRequest { Amount = 100, OrderId = "ORD-1" });
                Check.Equal("pay_X", payment.PaymentId, "answered on the retry after a timeout");
                Check.True(clock.Elapsed < TimeSpan.FromSeconds(2.5), "the timeout cut the first attempt: " + clock.Elapsed);
                var seen = server.All;
                Check.Equal(seen[0].Headers["Idempotency-Key"], seen[1].Headers["Idempotency-Key"], "the retry after a timeout carries the key");
            }
        }

        static async Task SignedQuery()
        {
            using (var server = new LoopbackServer((n, _) => new Reply { Body = "{\"items\":[],\"next_cursor\":null}" }))
            using (var lsp = Client(server, null))
            {
                await lsp.Payments.ListPageAsync(new PaymentListOptions { Status = "paid", Search = "a b&c", PageSize = 5 }, "eyJ0IjoxfQ==+/");
                var request = server.All[0];
                Check.Equal("/api/v1/transactions?status=paid&q=a%20b%26c&limit=5&cursor=eyJ0IjoxfQ%3D%3D%2B%2F", request.RawUrl, "the request line");
                Check.Equal(RequestSigning.Sign(KeySecret, request.Headers["X-Timestamp"], "GET", request.RawUrl, new byte[0]),
                    request.Headers["X-Signature"], "signed with its query");
                Check.True(request.Headers["Idempotency-Key"] == null, "no key on a GET");
                await lsp.Orders.GetAsync("order_1");
                var basic = server.All[1];
                Check.Equal(RequestSigning.BasicAuthorization("lsp_test_unit", KeySecret), basic.Headers["Authorization"], "Basic on /v1");
                Check.True(basic.Headers["X-Signature"] == null, "no signature on /v1");
            }
        }
    }
}
