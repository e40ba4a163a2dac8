// The two ways the API authenticates a request: the native signature on /api/v1 (docs/developers/signing.md) and
// HTTP Basic with the same key id and secret on the Razorpay-compatible /v1.
using System;
using System.Security.Cryptography;
using System.Text;

namespace LightSpeedPay
{
    public static class RequestSigning
    {
        /// <summary>The lower-case hex HMAC-SHA256, keyed with the key secret, of
        /// "timestamp.METHOD.path-with-query.body": `body` is the exact bytes sent (empty for a GET).</summary>
        public static string Sign(string secret, string timestamp, string method, string pathAndQuery, byte[] body)
        {
            var prefix = Encoding.UTF8.GetBytes(timestamp + "." + method + "." + pathAndQuery + ".");
            var message = new byte[prefix.Length + (body == null ? 0 : body.Length)];
            prefix.CopyTo(message, 0);
            if (body != null) body.CopyTo(message, prefix.Length);
            using (var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret)))
                return Hex(hmac.ComputeHash(message));
        }

        public static string Sign(string secret, string timestamp, string method, string pathAndQuery, string body)
        {
            return Sign(secret, timestamp, method, pathAndQuery, Encoding.UTF8.GetBytes(body ?? ""));
        }

        /// <summary>The Authorization header's value for /v1: "Basic base64(keyId:keySecret)".</summary>
        public static string BasicAuthorization(string keyId, string keySecret)
        {
            return "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(keyId + ":" + keySecret));
        }

        internal static string Hex(byte[] bytes)
        {
            var text = new StringBuilder(bytes.Length * 2);
            foreach (var b in bytes) text.Append(b.ToString("x2"));
            return text.ToString();
        }
    }
}
