// Typed errors: what the API said (its stable code, message and field), the HTTP status and the request id that
// the platform's logs are searchable by. Never the key secret: it is not in any request the SDK reports.
using System;
using System.Globalization;

namespace LightSpeedPay
{
    public class LightSpeedPayException : Exception
    {
        public LightSpeedPayException(string code, string message, string field, int statusCode, string requestId,
                                      TimeSpan? retryAfter = null, Exception inner = null)
            : base(message, inner)
        {
            Code = code;
            Field = field;
            StatusCode = statusCode;
            RequestId = requestId;
            RetryAfter = retryAfter;
        }

        /// <summary>The API's stable error code (INVALID_AMOUNT, NOT_FOUND, RATE_LIMITED, …; docs/developers/errors.md).
        /// On /v1 it is the code Razorpay's body carries in `reason`, upper-cased (VALIDATION_ERROR for bad input).</summary>
        public string Code { get; private set; }
        /// <summary>The request field at fault, when the API named one.</summary>
        public string Field { get; private set; }
        /// <summary>The HTTP status; 0 when no answer came.</summary>
        public int StatusCode { get; private set; }
        /// <summary>The platform's X-Request-Id of the last attempt: quote it to support.</summary>
        public string RequestId { get; private set; }
        /// <summary>The API's Retry-After, when it sent one (429).</summary>
        public TimeSpan? RetryAfter { get; private set; }

        public override string ToString()
        {
            return string.Format(CultureInfo.InvariantCulture, "{0}: {1} {2}{3}: {4}{5}", GetType().FullName, StatusCode,
                Code, Field != null ? " (field " + Field + ")" : "", Message,
                RequestId != null ? " [request " + RequestId + "]" : "");
        }
    }

    /// <summary>No answer came after every retry: the connection failed or timed out.</summary>
    public sealed class LightSpeedPayConnectionException : LightSpeedPayException
    {
        public LightSpeedPayConnectionException(string message, Exception inner)
            : base("CONNECTION_ERROR", message, null, 0, null, null, inner) { }
    }
}
