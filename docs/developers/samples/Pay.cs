// A test payment from start to finish: create it, pay it on the sandbox's checkout page, see it paid.
// Build and run with your test key:
//   mcs -out:pay.exe Pay.cs LightSpeedPay.cs -r:System.Net.Http -r:System.Runtime.Serialization
//   LSP_KEY_ID=lsp_test_… LSP_KEY_SECRET=… mono pay.exe
using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Runtime.Serialization;
using System.Threading.Tasks;

[DataContract] class Customer { [DataMember(Name = "name")] public string Name; }

[DataContract] class PayRequest
{
    [DataMember(Name = "amount")] public long Amount;
    [DataMember(Name = "currency")] public string Currency;
    [DataMember(Name = "order_id")] public string OrderId;
    [DataMember(Name = "customer")] public Customer Customer;
}

[DataContract] class Transaction
{
    [DataMember(Name = "transaction_id")] public string TransactionId;  // in POST /api/v1/pay's answer
    [DataMember(Name = "id")] public string Id;                         // in GET /api/v1/transactions/{id}
    [DataMember(Name = "payment_id")] public string PaymentId;
    [DataMember(Name = "status")] public string Status;
    [DataMember(Name = "amount")] public long Amount;
    [DataMember(Name = "mode")] public string Mode;
    [DataMember(Name = "checkout_url")] public string CheckoutUrl;
}

static class Pay
{
    static readonly LightSpeedPayClient Lsp = new LightSpeedPayClient(
        Environment.GetEnvironmentVariable("LSP_KEY_ID"),
        Environment.GetEnvironmentVariable("LSP_KEY_SECRET"),
        Environment.GetEnvironmentVariable("LSP_API") ?? "http://127.0.0.1:8000");

    static int Main() { return Run().GetAwaiter().GetResult(); }

    static async Task<int> Run()
    {
        var orderId = "ORD-" + Guid.NewGuid().ToString("N").Substring(0, 12);

        // 1. The payment. The Idempotency-Key makes a retry (after a timeout, say) return this payment, not a
        //    second one.
        var body = Json.Write(new PayRequest {
            Amount = 49900, Currency = "INR", OrderId = orderId, Customer = new Customer { Name = "Asha Rao" } });
        var created = Json.Read<Transaction>(await Lsp.RequestAsync("POST", "/api/v1/pay", body, "pay-" + orderId));
        Console.WriteLine("created " + created.TransactionId + " " + created.PaymentId);

        // 2. A worker asks a PSP for the payment page in the background: wait for its checkout_url.
        var txn = await WaitFor(created.TransactionId, "pending", "paid", "failed", "expired");
        Console.WriteLine("checkout page: " + txn.CheckoutUrl);

        // 3. Send your customer there. In test mode the sandbox's page has a button per outcome; press "success".
        using (var http = new HttpClient())
        {
            var form = new FormUrlEncodedContent(new Dictionary<string, string> { { "outcome", "success" } });
            (await http.PostAsync(txn.CheckoutUrl, form)).EnsureSuccessStatusCode();
        }

        // 4. The PSP tells the platform, which marks the payment paid and sends you payment.paid.
        txn = await WaitFor(created.TransactionId, "paid", "failed", "expired");
        Console.WriteLine(txn.Status + " " + txn.PaymentId + " " + txn.Amount + " " + txn.Mode);
        return 0;
    }

    static async Task<Transaction> WaitFor(string id, params string[] statuses)
    {
        for (var i = 0; i < 60; i++)
        {
            var txn = Json.Read<Transaction>(await Lsp.RequestAsync("GET", "/api/v1/transactions/" + id));
            if (Array.IndexOf(statuses, txn.Status) >= 0) return txn;
            await Task.Delay(1000);
        }
        throw new Exception("the payment did not move on");
    }
}
