// The client: configuration, the resources, and the one path every call takes (authenticate, send, retry with
// the same Idempotency-Key, turn an error answer into a LightSpeedPayException).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace LightSpeedPay
{
    public sealed class LightSpeedPayClient : IDisposable
    {
        public const string Version = "0.1.0";

        readonly LightSpeedPayOptions options;
        readonly IHttpTransport transport;
        readonly bool ownsTransport;
        readonly RetryPolicy retryPolicy;
        readonly Uri baseUri;

        public LightSpeedPayClient(string keyId, string keySecret, string baseUrl = null)
            : this(new LightSpeedPayOptions { KeyId = keyId, KeySecret = keySecret, BaseUrl = baseUrl ?? "http://127.0.0.1:8000" })
        {
        }

        public LightSpeedPayClient(LightSpeedPayOptions options)
        {
            if (options == null) throw new ArgumentNullException("options");
            if (string.IsNullOrEmpty(options.KeyId)) throw new ArgumentException("KeyId is required (lsp_test_… or lsp_…)", "options");
            if (string.IsNullOrEmpty(options.KeySecret)) throw new ArgumentException("KeySecret is required", "options");
            if (!Uri.TryCreate((options.BaseUrl ?? "").TrimEnd('/') + "/", UriKind.Absolute, out baseUri)
                    || (baseUri.Scheme != "http" && baseUri.Scheme != "https"))
                throw new ArgumentException("BaseUrl must be an absolute http(s) URL", "options");
            this.options = options;
            retryPolicy = new RetryPolicy(options.MaxRetries, options.InitialRetryDelay, options.MaxRetryDelay);
            transport = options.Transport;
            if (transport == null)
            {
                transport = new HttpClientTransport();
                ownsTransport = true;
            }
            Payments = new PaymentsResource(this);
            Orders = new OrdersResource(this);
            Refunds = new RefundsResource(this);
            Wallet = new WalletResource(this);
            Settlements = new SettlementsResource(this);
            WebhookEndpoints = new WebhookEndpointsResource(this);
            Credentials = new CredentialsResource(this);
            Usage = new UsageResource(this);
        }

        public PaymentsResource Payments { get; private set; }
        /// <summary>Orders of the Razorpay-compatible /v1 (HTTP Basic).</summary>
        public OrdersResource Orders { get; private set; }
        public RefundsResource Refunds { get; private set; }
        public WalletResource Wallet { get; private set; }
        public SettlementsResource Settlements { get; private set; }
        public WebhookEndpointsResource WebhookEndpoints { get; private set; }
        public CredentialsResource Credentials { get; private set; }
        public UsageResource Usage { get; private set; }

        public string KeyId { get { return options.KeyId; } }
        /// <summary>test for lsp_test_… keys, live otherwise.</summary>
        public string Mode { get { return options.KeyId.StartsWith("lsp_test_", StringComparison.Ordinal) ? "test" : "live"; } }

        public override string ToString() { return "LightSpeedPayClient(" + options + ")"; }

        public void Dispose()
        {
            var disposable = transport as IDisposable;
            if (ownsTransport && disposable != null) disposable.Dispose();
        }

        internal enum Auth { Signature, Basic }

        /// <summary>A call: `idempotent` says a retry cannot do the work twice (a read, or a POST whose
        /// Idempotency-Key the API stores); other writes are retried only after a 429, which did nothing.</summary>
        internal async Task<ApiAnswer> SendAsync(string method, string pathAndQuery, object body, Auth auth, bool idempotent,
                                                string idempotencyKey, CancellationToken cancellationToken)
        {
            var url = new Uri(baseUri, pathAndQuery.TrimStart('/'));
            byte[] bytes = body == null ? null : Encoding.UTF8.GetBytes(Json.Write(body));
            // one key for the call, the same on every attempt: a retry gets the first attempt's answer
            if (method == "POST" && idempotencyKey == null) idempotencyKey = Guid.NewGuid().ToString();
            var retry = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var request = Build(method, url, bytes, auth, idempotencyKey);
                TransportResponse answer;
                try
                {
                    answer = await transport.SendAsync(request, cancellationToken).ConfigureAwait(false);
                }
                catch (TransportException failed)
                {
                    if (!idempotent || retry >= retryPolicy.MaxRetries)
                        throw new LightSpeedPayConnectionException(method + " " + url.AbsolutePath + ": " + failed.Message, failed);
                    retry++;
                    await WaitAsync(method, url, retry, 0, null, null, idempotencyKey, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                var text = Encoding.UTF8.GetString(answer.Body);
                if (answer.StatusCode >= 200 && answer.StatusCode < 300)
                    return new ApiAnswer(answer, text);
                var error = ErrorOf(answer, text);
                if (retry < retryPolicy.MaxRetries && RetryPolicy.IsRetryable(answer.StatusCode, error.Code, idempotent)
                        && !(error.RetryAfter.HasValue && error.RetryAfter.Value > RetryPolicy.MaxRetryAfter))
                {
                    retry++;
                    await WaitAsync(method, url, retry, answer.StatusCode, error.Code, error.RetryAfter, idempotencyKey,
                        cancellationToken).ConfigureAwait(false);
                    continue;
                }
                throw error;
            }
        }

        async Task WaitAsync(string method, Uri url, int retry, int status, string code, TimeSpan? retryAfter,
                             string idempotencyKey, CancellationToken cancellationToken)
        {
            var delay = retryPolicy.Delay(retry, retryAfter);
            var told = options.OnRetry;
            if (told != null)
                told(new RetryEvent
                {
                    Method = method, Path = url.AbsolutePath, Retry = retry, StatusCode = status, Code = code,
                    Delay = delay, RetryAfter = retryAfter, IdempotencyKey = idempotencyKey,
                });
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
        }

        TransportRequest Build(string method, Uri url, byte[] body, Auth auth, string idempotencyKey)
        {
            var request = new TransportRequest { Method = method, Url = url.AbsoluteUri, Body = body, Timeout = options.Timeout };
            request.Headers["User-Agent"] = options.UserAgent;
            request.Headers["Accept"] = "application/json";
            if (body != null) request.Headers["Content-Type"] = "application/json";
            if (idempotencyKey != null) request.Headers["Idempotency-Key"] = idempotencyKey;
            if (auth == Auth.Basic)
            {
                request.Headers["Authorization"] = RequestSigning.BasicAuthorization(options.KeyId, options.KeySecret);
            }
            else
            {
                // signed anew on every attempt, in milliseconds: two identical calls within a second differ
                var timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
                request.Headers["X-Client-Key"] = options.KeyId;
                request.Headers["X-Timestamp"] = timestamp;
                request.Headers["X-Signature"] = RequestSigning.Sign(options.KeySecret, timestamp, method, url.PathAndQuery, body);
            }
            return request;
        }

        /// <summary>The exception an error answer stands for: the native body {"error": {"code", "message",
        /// "field"}}, or /v1's Razorpay body, whose own code is in `reason`.</summary>
        internal static LightSpeedPayException ErrorOf(TransportResponse answer, string text)
        {
            var requestId = answer.Header("X-Request-Id");
            var retryAfter = RetryPolicy.ParseRetryAfter(answer.Header("Retry-After"));
            string code = null, message = null, field = null;
            try
            {
                var error = Json.ParseObject(text).GetObject("error");
                if (error != null)
                {
                    code = error.GetString("code");
                    message = error.GetString("message") ?? error.GetString("description");
                    field = error.GetString("field");
                    var reason = error.GetString("reason");
                    if (reason != null && error.ContainsKey("description"))
                        code = reason == "input_validation_failed" ? "VALIDATION_ERROR" : reason.ToUpperInvariant();
                }
            }
            catch (JsonException)
            {
                // not our JSON (a proxy's page): the status says what happened
            }
            if (code == null) code = "HTTP_" + answer.StatusCode.ToString(CultureInfo.InvariantCulture);
            if (message == null) message = "HTTP " + answer.StatusCode + (text.Length > 0 && text.Length <= 200 ? ": " + text : "");
            return new LightSpeedPayException(code, message, field, answer.StatusCode, requestId, retryAfter);
        }

        internal static string Escape(string value) { return Uri.EscapeDataString(value); }

        /// <summary>"?a=1&amp;b=2" of the pairs whose value is not null; "" when none is.</summary>
        internal static string Query(params KeyValuePair<string, string>[] pairs)
        {
            var query = new StringBuilder();
            foreach (var pair in pairs)
            {
                if (pair.Value == null) continue;
                query.Append(query.Length == 0 ? '?' : '&').Append(Escape(pair.Key)).Append('=').Append(Escape(pair.Value));
            }
            return query.ToString();
        }

        internal static KeyValuePair<string, string> Q(string name, string value) { return new KeyValuePair<string, string>(name, value); }

        internal static KeyValuePair<string, string> Q(string name, long? value)
        {
            return new KeyValuePair<string, string>(name, value.HasValue ? value.Value.ToString(CultureInfo.InvariantCulture) : null);
        }

        internal static KeyValuePair<string, string> Q(string name, DateTimeOffset? value)
        {
            return new KeyValuePair<string, string>(name, value.HasValue ? value.Value.ToString("o", CultureInfo.InvariantCulture) : null);
        }
    }

    /// <summary>A successful answer.</summary>
    internal sealed class ApiAnswer
    {
        public ApiAnswer(TransportResponse response, string text)
        {
            Response = response;
            Text = text;
        }

        public TransportResponse Response { get; private set; }
        public string Text { get; private set; }

        public JsonObject Object()
        {
            return Text.Trim().Length == 0 ? new JsonObject() : Json.ParseObject(Text);
        }

        public T As<T>(Func<JsonObject, T> make) where T : LspObject
        {
            var made = make(Object());
            made.RequestId = Response.Header("X-Request-Id");
            made.IdempotentReplayed = string.Equals(Response.Header("Idempotent-Replayed"), "true", StringComparison.OrdinalIgnoreCase);
            return made;
        }
    }
}
