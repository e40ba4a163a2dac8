// When a failed attempt is tried again, and after how long: exponential backoff with jitter, at least the API's
// Retry-After. Retrying is safe because every attempt of a call carries the same Idempotency-Key.
using System;
using System.Globalization;

namespace LightSpeedPay
{
    public sealed class RetryPolicy
    {
        readonly Random random;
        readonly object randomLock = new object();

        public RetryPolicy(int maxRetries, TimeSpan? initialDelay = null, TimeSpan? maxDelay = null, Random random = null)
        {
            if (maxRetries < 0) throw new ArgumentOutOfRangeException("maxRetries");
            MaxRetries = maxRetries;
            InitialDelay = initialDelay ?? TimeSpan.FromMilliseconds(500);
            MaxDelay = maxDelay ?? TimeSpan.FromSeconds(8);
            this.random = random ?? new Random();
        }

        public int MaxRetries { get; private set; }
        public TimeSpan InitialDelay { get; private set; }
        public TimeSpan MaxDelay { get; private set; }
        /// <summary>A Retry-After longer than this is not waited for: the error is raised instead.</summary>
        public static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(60);

        /// <summary>Whether an answer is worth another attempt. 429 (the rate limit refused before doing anything)
        /// always is; 409 IDEMPOTENCY_KEY_IN_USE (the first attempt still runs) and 5xx only when the call is
        /// idempotent (its key is stored by the API, or it is a read); other 4xx never: the same request would fail
        /// the same way.</summary>
        public static bool IsRetryable(int statusCode, string code, bool idempotent)
        {
            if (statusCode == 429) return true;
            if (!idempotent) return false;
            if (statusCode == 409) return code == "IDEMPOTENCY_KEY_IN_USE";
            return statusCode >= 500 && statusCode <= 599;
        }

        /// <summary>How long to wait before retry number `retry` (1 for the first retry): InitialDelay doubled per
        /// retry, capped at MaxDelay, with "equal jitter" (half fixed, half random) so that clients that failed
        /// together do not retry together; never less than the API's Retry-After.</summary>
        public TimeSpan Delay(int retry, TimeSpan? retryAfter)
        {
            var exponential = InitialDelay.TotalMilliseconds * Math.Pow(2, Math.Max(0, retry - 1));
            var capped = Math.Min(exponential, MaxDelay.TotalMilliseconds);
            double share;
            lock (randomLock) share = random.NextDouble();
            var delay = TimeSpan.FromMilliseconds(capped / 2 + share * capped / 2);
            if (retryAfter.HasValue && retryAfter.Value > TimeSpan.Zero)
            {
                // the limit's window opens at Retry-After: a little jitter after it, so that waiters spread out
                var jitter = TimeSpan.FromMilliseconds(share * Math.Min(250, InitialDelay.TotalMilliseconds));
                delay = retryAfter.Value + jitter;
            }
            return delay;
        }

        /// <summary>Retry-After as seconds ("2") or as an HTTP date; null when absent or unreadable.</summary>
        public static TimeSpan? ParseRetryAfter(string value, DateTimeOffset? now = null)
        {
            if (string.IsNullOrWhiteSpace(value)) return null;
            double seconds;
            if (double.TryParse(value.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out seconds))
                return seconds < 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(seconds);
            DateTimeOffset at;
            if (DateTimeOffset.TryParseExact(value.Trim(), "r", CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal, out at))
            {
                var wait = at - (now ?? DateTimeOffset.UtcNow);
                return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
            }
            return null;
        }
    }
}
