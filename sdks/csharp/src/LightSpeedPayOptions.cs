// The SDK's configuration: where the API is, which key, how long to wait and how often to retry.
using System;

namespace LightSpeedPay
{
    public sealed class LightSpeedPayOptions
    {
        /// <summary>The platform's address, without /api/v1 (e.g. http://127.0.0.1:8000).</summary>
        public string BaseUrl { get; set; } = "http://127.0.0.1:8000";
        /// <summary>Your API key id: lsp_test_… (test mode, sandbox gateways) or lsp_… (live).</summary>
        public string KeyId { get; set; }
        /// <summary>The key's secret: it signs requests and never travels (HTTP Basic on /v1 aside); the SDK
        /// never puts it in a message, a ToString or an exception.</summary>
        public string KeySecret { get; set; }
        /// <summary>How long one attempt may take.</summary>
        public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
        /// <summary>Retries after the first attempt (connection errors, 409 IDEMPOTENCY_KEY_IN_USE, 429, 5xx).</summary>
        public int MaxRetries { get; set; } = 3;
        /// <summary>The first retry's delay, doubled for each next one (with jitter), up to MaxRetryDelay.</summary>
        public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);
        public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(8);
        /// <summary>How requests are sent: HttpClientTransport when null; in Unity, UnityWebRequestTransport.</summary>
        public IHttpTransport Transport { get; set; }
        /// <summary>Told before each retry (for logging): never given the secret.</summary>
        public Action<RetryEvent> OnRetry { get; set; }
        /// <summary>Appended to the User-Agent, e.g. "MyGame/1.2".</summary>
        public string UserAgentSuffix { get; set; }

        public string UserAgent
        {
            get
            {
                var agent = "lightspeedpay-csharp/" + LightSpeedPayClient.Version;
                return string.IsNullOrEmpty(UserAgentSuffix) ? agent : agent + " " + UserAgentSuffix;
            }
        }

        public override string ToString()
        {
            return "LightSpeedPayOptions(BaseUrl=" + BaseUrl + ", KeyId=" + KeyId + ", KeySecret="
                + (string.IsNullOrEmpty(KeySecret) ? "(none)" : "***") + ", Timeout=" + Timeout.TotalSeconds
                + "s, MaxRetries=" + MaxRetries + ")";
        }
    }

    /// <summary>A retry about to happen: which call, after what, and how long the SDK waits.</summary>
    public sealed class RetryEvent
    {
        public string Method { get; internal set; }
        public string Path { get; internal set; }
        /// <summary>1 for the first retry.</summary>
        public int Retry { get; internal set; }
        /// <summary>The failed attempt's status; 0 for a connection error.</summary>
        public int StatusCode { get; internal set; }
        public string Code { get; internal set; }
        public TimeSpan Delay { get; internal set; }
        public TimeSpan? RetryAfter { get; internal set; }
        public string IdempotencyKey { get; internal set; }

        public override string ToString()
        {
            return "retry " + Retry + " of " + Method + " " + Path + " after " + (StatusCode == 0 ? "no answer" : StatusCode + " " + Code)
                + ", in " + Delay.TotalMilliseconds.ToString("0") + " ms";
        }
    }
}
