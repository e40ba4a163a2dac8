// The checkout's payment signature, checked on your server (Razorpay's scheme).
using System;
using System.Security.Cryptography;
using System.Text;

public static class PaymentSignature
{
    // True when `signature` is the hex HMAC-SHA256 of "order_id|payment_id", keyed with your key secret.
    // `orderId` is the one your server stored when it made the order, never one taken from the browser.
    public static bool Verify(string keySecret, string orderId, string paymentId, string signature)
    {
        byte[] digest;
        using (var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(keySecret)))
            digest = hmac.ComputeHash(Encoding.UTF8.GetBytes(orderId + "|" + paymentId));
        var expected = BitConverter.ToString(digest).Replace("-", "").ToLowerInvariant();
        var given = (signature ?? "").ToLowerInvariant();
        if (given.Length != expected.Length) return false;
        var difference = 0;  // compare every character: the time taken reveals nothing
        for (var i = 0; i < expected.Length; i++) difference |= expected[i] ^ given[i];
        return difference == 0;
    }
}
