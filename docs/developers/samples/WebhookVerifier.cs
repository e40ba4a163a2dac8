// Standard Webhooks verification in C# (HMACSHA256; no packages).
using System;
using System.Security.Cryptography;
using System.Text;

public class WebhookVerificationException : Exception
{
    public WebhookVerificationException(string message) : base(message) { }
}

public static class WebhookVerifier
{
    const long ToleranceSeconds = 5 * 60;

    // Throws unless one of the v1 signatures in `webhook-signature` is the base64 HMAC-SHA256 of
    // "webhook-id.webhook-timestamp.body", keyed with the whsec_ secret's decoded bytes, and the timestamp is
    // within 5 minutes of now. `body` is the raw request body: verify before parsing it.
    public static void Verify(string secret, string id, string timestamp, string signatures, byte[] body,
                              DateTimeOffset? now = null)
    {
        long sentAt;
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(signatures) || !long.TryParse(timestamp, out sentAt))
            throw new WebhookVerificationException("missing or malformed webhook-id, webhook-timestamp or webhook-signature");
        if (Math.Abs((now ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds() - sentAt) > ToleranceSeconds)
            throw new WebhookVerificationException("webhook-timestamp is more than 5 minutes away");
        var key = Convert.FromBase64String(secret.StartsWith("whsec_") ? secret.Substring(6) : secret);
        var prefix = Encoding.UTF8.GetBytes(id + "." + timestamp + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed, prefix.Length);
        byte[] expected;
        using (var hmac = new HMACSHA256(key)) expected = hmac.ComputeHash(signed);
        foreach (var entry in signatures.Split(' '))
        {
            var parts = entry.Split(new[] { ',' }, 2);
            if (parts.Length == 2 && parts[0] == "v1" && FixedTimeEquals(Encoding.ASCII.GetBytes(parts[1]),
                    Encoding.ASCII.GetBytes(Convert.ToBase64String(expected))))
                return;
        }
        throw new WebhookVerificationException("no signature matches");
    }

    // the time it takes does not depend on where the first difference is (on .NET, CryptographicOperations)
    static bool FixedTimeEquals(byte[] a, byte[] b)
    {
        if (a.Length != b.Length) return false;
        var difference = 0;
        for (var i = 0; i < a.Length; i++) difference |= a[i] ^ b[i];
        return difference == 0;
    }
}
