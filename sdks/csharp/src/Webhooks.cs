// Verifying the platform's webhooks (Standard Webhooks): the HMAC-SHA256 of "webhook-id.webhook-timestamp.body",
// keyed with the whsec_ secret's decoded bytes, base64, compared in constant time with each v1 signature the
// webhook-signature header carries (two during a secret rotation), and a timestamp within the tolerance.
using System;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace LightSpeedPay
{
    public sealed class WebhookVerificationException : Exception
    {
        public WebhookVerificationException(string message) : base(message) { }
    }

    /// <summary>A verified event: {"id", "type", "timestamp", "livemode", "data"}.</summary>
    public sealed class WebhookEvent : LspObject
    {
        public WebhookEvent(JsonObject raw, string webhookId) : base(raw) { WebhookId = webhookId; }
        /// <summary>The webhook-id header (msg_…): the same on every retry of the event; handle each once.</summary>
        public string WebhookId { get; private set; }
        /// <summary>evt_…</summary>
        public string Id { get { return Raw.GetString("id"); } }
        /// <summary>payment.paid, refund.processed, ping, …</summary>
        public string Type { get { return Raw.GetString("type"); } }
        public DateTimeOffset? Timestamp { get { return Raw.GetTime("timestamp"); } }
        public bool Livemode { get { return Raw.GetBool("livemode"); } }
        public JsonObject Data { get { return Raw.GetObject("data") ?? new JsonObject(); } }
    }

    public sealed class WebhookVerifier
    {
        public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

        readonly List<byte[]> keys = new List<byte[]>();

        /// <summary>A verifier for an endpoint's secret(s): give both the old and the new secret while you switch
        /// after a rotation, and a delivery signed with either verifies.</summary>
        public WebhookVerifier(params string[] secrets) : this(DefaultTolerance, secrets) { }

        public WebhookVerifier(TimeSpan tolerance, params string[] secrets)
        {
            if (secrets == null || secrets.Length == 0) throw new ArgumentException("a whsec_… secret is required", "secrets");
            foreach (var secret in secrets) keys.Add(Key(secret));
            Tolerance = tolerance;
        }

        public TimeSpan Tolerance { get; private set; }

        /// <summary>Verifies a delivery from its three headers and raw body, then parses the event. Throws
        /// WebhookVerificationException when it is not the platform's or is too old (or too new). Verify the raw
        /// bytes before parsing them, never a re-serialisation.</summary>
        public WebhookEvent Verify(string webhookId, string webhookTimestamp, string webhookSignature, byte[] body,
                                   DateTimeOffset? now = null)
        {
            if (body == null) throw new ArgumentNullException("body");
            long sentAt;
            if (string.IsNullOrEmpty(webhookId) || string.IsNullOrEmpty(webhookSignature) || string.IsNullOrEmpty(webhookTimestamp)
                    || !IsDigits(webhookTimestamp)
                    || !long.TryParse(webhookTimestamp, NumberStyles.None, CultureInfo.InvariantCulture, out sentAt))
                throw new WebhookVerificationException("missing or malformed webhook-id, webhook-timestamp or webhook-signature");
            var skew = Math.Abs((now ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds() - sentAt);
            if (skew > (long)Tolerance.TotalSeconds)
                throw new WebhookVerificationException("webhook-timestamp is more than " + (long)Tolerance.TotalSeconds + " s away");
            var prefix = Encoding.UTF8.GetBytes(webhookId + "." + webhookTimestamp + ".");
            var signed = new byte[prefix.Length + body.Length];
            prefix.CopyTo(signed, 0);
            body.CopyTo(signed, prefix.Length);
            var expected = new List<byte[]>();
            foreach (var key in keys)
                using (var hmac = new HMACSHA256(key)) expected.Add(hmac.ComputeHash(signed));
            var matched = false;
            foreach (var entry in webhookSignature.Split(' '))
            {
                var comma = entry.IndexOf(',');
                if (comma < 0 || entry.Substring(0, comma) != "v1") continue;
                var given = Base64OrNull(entry.Substring(comma + 1));
                if (given == null) continue;
                foreach (var digest in expected) matched |= FixedTimeEquals(given, digest);
            }
            if (!matched) throw new WebhookVerificationException("no signature matches");
            JsonObject json;
            try
            {
                json = Json.ParseObject(Encoding.UTF8.GetString(body));
            }
            catch (JsonException)
            {
                throw new WebhookVerificationException("the body is not a JSON object");
            }
            return new WebhookEvent(json, webhookId);
        }

        /// <summary>The same, with the headers as a dictionary (names in any case).</summary>
        public WebhookEvent Verify(IDictionary<string, string> headers, byte[] body, DateTimeOffset? now = null)
        {
            var lowered = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var header in headers) lowered[header.Key] = header.Value;
            string id, timestamp, signature;
            lowered.TryGetValue("webhook-id", out id);
            lowered.TryGetValue("webhook-timestamp", out timestamp);
            lowered.TryGetValue("webhook-signature", out signature);
            return Verify(id, timestamp, signature, body, now);
        }

        /// <summary>The same, with HttpListener's or ASP.NET's header collection.</summary>
        public WebhookEvent Verify(NameValueCollection headers, byte[] body, DateTimeOffset? now = null)
        {
            return Verify(headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"], body, now);
        }

        /// <summary>The v1 signature of a message ("v1,base64"): for tests of your own receiver.</summary>
        public static string Sign(string secret, string webhookId, long timestamp, byte[] body)
        {
            var prefix = Encoding.UTF8.GetBytes(webhookId + "." + timestamp.ToString(CultureInfo.InvariantCulture) + ".");
            var signed = new byte[prefix.Length + body.Length];
            prefix.CopyTo(signed, 0);
            body.CopyTo(signed, prefix.Length);
            using (var hmac = new HMACSHA256(Key(secret))) return "v1," + Convert.ToBase64String(hmac.ComputeHash(signed));
        }

        static byte[] Key(string secret)
        {
            var encoded = secret == null ? "" : secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret.Substring(6) : secret;
            var key = Base64OrNull(encoded);
            if (key == null || key.Length == 0) throw new ArgumentException("the webhook secret is empty or not whsec_ + base64");
            return key;
        }

        static byte[] Base64OrNull(string text)
        {
            var padded = text.Trim();
            if (padded.Length == 0) return null;
            if (padded.Length % 4 != 0) padded += new string('=', 4 - padded.Length % 4);
            try
            {
                return Convert.FromBase64String(padded);
            }
            catch (FormatException)
            {
                return null;
            }
        }

        static bool IsDigits(string text)
        {
            foreach (var c in text) if (c < '0' || c > '9') return false;
            return true;
        }

        // the time taken does not depend on where the first difference is
        static bool FixedTimeEquals(byte[] a, byte[] b)
        {
            if (a.Length != b.Length) return false;
            var difference = 0;
            for (var i = 0; i < a.Length; i++) difference |= a[i] ^ b[i];
            return difference == 0;
        }
    }
}
