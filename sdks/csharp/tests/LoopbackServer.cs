// A real HTTP server on 127.0.0.1 (HttpListener) for the tests: it records each request and answers what the
// test tells it to, so that retries, timeouts and headers are seen on the wire.
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Specialized;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;

namespace LightSpeedPay.Tests
{
    sealed class Received
    {
        public string Method;
        public string RawUrl;
        public NameValueCollection Headers;
        public byte[] Body;
        public DateTime At;
    }

    sealed class Reply
    {
        public int Status = 200;
        public string Body = "{}";
        public Dictionary<string, string> Headers = new Dictionary<string, string>();
        public TimeSpan Delay = TimeSpan.Zero;

        public static Reply Error(int status, string code, string retryAfter = null)
        {
            var reply = new Reply { Status = status, Body = "{\"error\":{\"code\":\"" + code + "\",\"message\":\"as the test said\"}}" };
            reply.Headers["X-Request-Id"] = "req_test_" + status;
            if (retryAfter != null) reply.Headers["Retry-After"] = retryAfter;
            return reply;
        }
    }

    sealed class LoopbackServer : IDisposable
    {
        readonly HttpListener listener = new HttpListener();
        readonly Func<int, Received, Reply> respond;
        public readonly ConcurrentQueue<Received> Requests = new ConcurrentQueue<Received>();
        public readonly string Url;
        int count;

        /// <summary>`respond` gets the request's number (0 for the first) and the request.</summary>
        public LoopbackServer(Func<int, Received, Reply> respond, int port = 0, string path = "/")
        {
            this.respond = respond;
            if (port == 0) port = FreePort();
            Url = "http://127.0.0.1:" + port;
            listener.Prefixes.Add(Url + path);
            listener.Start();
            Task.Run(Serve);
        }

        public static int FreePort()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            return port;
        }

        async Task Serve()
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception)
                {
                    return;  // stopped
                }
                _ = Handle(context);
            }
        }

        async Task Handle(HttpListenerContext context)
        {
            try
            {
                byte[] body;
                using (var buffer = new MemoryStream())
                {
                    await context.Request.InputStream.CopyToAsync(buffer);
                    body = buffer.ToArray();
                }
                var received = new Received
                {
                    Method = context.Request.HttpMethod, RawUrl = context.Request.RawUrl,
                    Headers = new NameValueCollection(context.Request.Headers), Body = body, At = DateTime.UtcNow,
                };
                Requests.Enqueue(received);
                var number = System.Threading.Interlocked.Increment(ref count) - 1;
                var reply = respond(number, received);
                if (reply.Delay > TimeSpan.Zero) await Task.Delay(reply.Delay);
                context.Response.StatusCode = reply.Status;
                foreach (var header in reply.Headers) context.Response.Headers[header.Key] = header.Value;
                var bytes = Encoding.UTF8.GetBytes(reply.Body ?? "");
                context.Response.ContentType = "application/json";
                context.Response.ContentLength64 = bytes.Length;
                await context.Response.OutputStream.WriteAsync(bytes, 0, bytes.Length);
                context.Response.Close();
            }
            catch (Exception)
            {
                // the client went away (a timeout test): nothing to answer
            }
        }

        public List<Received> All { get { return new List<Received>(Requests); } }

        public void Dispose()
        {
            listener.Stop();
            listener.Close();
        }
    }
}
