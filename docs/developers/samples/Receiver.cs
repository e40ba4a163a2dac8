// Receive LightSpeedPay webhooks: verify each one before trusting it, and handle each event once.
//   mcs -out:receiver.exe Receiver.cs WebhookVerifier.cs
//   LSP_WEBHOOK_SECRET=whsec_… PORT=4242 mono receiver.exe
using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Text;

static class Receiver
{
    static void Main()
    {
        var secret = Environment.GetEnvironmentVariable("LSP_WEBHOOK_SECRET");
        var port = Environment.GetEnvironmentVariable("PORT") ?? "4242";
        var handled = new HashSet<string>();  // in production: a table, with a unique index on the webhook-id
        var listener = new HttpListener();
        listener.Prefixes.Add("http://127.0.0.1:" + port + "/");
        listener.Start();
        Console.WriteLine("listening on http://127.0.0.1:" + port + "/webhooks");
        while (true)
        {
            var context = listener.GetContext();
            var request = context.Request;
            byte[] body;
            using (var buffer = new MemoryStream())
            {
                request.InputStream.CopyTo(buffer);
                body = buffer.ToArray();
            }
            var id = request.Headers["webhook-id"];
            try
            {
                WebhookVerifier.Verify(secret, id, request.Headers["webhook-timestamp"],
                                       request.Headers["webhook-signature"], body);
            }
            catch (WebhookVerificationException refused)
            {
                context.Response.StatusCode = 400;
                var reason = Encoding.UTF8.GetBytes(refused.Message);
                context.Response.OutputStream.Write(reason, 0, reason.Length);
                context.Response.Close();
                continue;
            }
            // a retry carries the same webhook-id: do the work once, but answer 2xx every time
            if (handled.Add(id))
                Console.WriteLine("verified " + id + ": " + Encoding.UTF8.GetString(body));
            context.Response.StatusCode = 204;
            context.Response.Close();
        }
    }
}
