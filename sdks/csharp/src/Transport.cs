// How the SDK sends HTTP: an interface with one method, so that a Unity game can send through UnityWebRequest
// (UnityWebRequestTransport.cs) and everything else through System.Net.Http's HttpClient (HttpClientTransport).
using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace LightSpeedPay
{
    /// <summary>One HTTP request as the SDK made it: signed, with its exact body bytes.</summary>
    public sealed class TransportRequest
    {
        public string Method { get; set; }
        public string Url { get; set; }
        /// <summary>Header names as sent; Content-Type is among them when there is a body.</summary>
        public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        /// <summary>The bytes to send; null for a request without a body.</summary>
        public byte[] Body { get; set; }
        public TimeSpan Timeout { get; set; }
    }

    /// <summary>An HTTP answer, whatever its status.</summary>
    public sealed class TransportResponse
    {
        public TransportResponse(int statusCode, IDictionary<string, string> headers, byte[] body)
        {
            StatusCode = statusCode;
            Headers = new Dictionary<string, string>(headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase);
            Body = body ?? new byte[0];
        }

        public int StatusCode { get; private set; }
        /// <summary>Response headers, names compared without case.</summary>
        public IDictionary<string, string> Headers { get; private set; }
        public byte[] Body { get; private set; }

        public string Header(string name)
        {
            string value;
            return Headers.TryGetValue(name, out value) ? value : null;
        }
    }

    /// <summary>Sends one request and returns the answer, whatever its HTTP status. Throws TransportException when
    /// no answer came (no connection, a reset, a timeout): the SDK retries those.</summary>
    public interface IHttpTransport
    {
        Task<TransportResponse> SendAsync(TransportRequest request, CancellationToken cancellationToken);
    }

    /// <summary>No HTTP answer: the connection failed, was reset, or the request timed out.</summary>
    public sealed class TransportException : Exception
    {
        public TransportException(string message, Exception inner = null) : base(message, inner) { }
    }

    /// <summary>The transport on System.Net.Http (.NET, .NET Framework, Mono, and Unity's .NET Standard 2.0
    /// profile). One HttpClient for the transport's life: HttpClient is meant to be reused.</summary>
    public sealed class HttpClientTransport : IHttpTransport, IDisposable
    {
        readonly HttpClient http;
        readonly bool ownsClient;

        // the SDK's Timeout applies per attempt (a cancellation below), not HttpClient's own
        public HttpClientTransport() : this(new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan }, true) { }

        /// <summary>Your own HttpClient (a proxy, a handler of your own), left as it is: its Timeout should be at
        /// least the SDK's, which the transport applies to each attempt.</summary>
        public HttpClientTransport(HttpClient http, bool ownsClient = false)
        {
            if (http == null) throw new ArgumentNullException("http");
            this.http = http;
            this.ownsClient = ownsClient;
        }

        public async Task<TransportResponse> SendAsync(TransportRequest request, CancellationToken cancellationToken)
        {
            using (var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Url))
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                if (request.Body != null) message.Content = new ByteArrayContent(request.Body);
                foreach (var header in request.Headers)
                {
                    if (string.Equals(header.Key, "Content-Type", StringComparison.OrdinalIgnoreCase))
                    {
                        if (message.Content != null)
                            message.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
                    }
                    else
                    {
                        message.Headers.TryAddWithoutValidation(header.Key, header.Value);
                    }
                }
                timeout.CancelAfter(request.Timeout);
                try
                {
                    using (var answer = await http.SendAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token)
                               .ConfigureAwait(false))
                    {
                        var body = await answer.Content.ReadAsByteArrayAsync().ConfigureAwait(false);
                        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                        foreach (var header in answer.Headers) headers[header.Key] = string.Join(", ", header.Value);
                        foreach (var header in answer.Content.Headers) headers[header.Key] = string.Join(", ", header.Value);
                        return new TransportResponse((int)answer.StatusCode, headers, body);
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TransportException("no answer within " + request.Timeout.TotalSeconds + " s");
                }
                catch (HttpRequestException failed)
                {
                    throw new TransportException(failed.InnerException != null ? failed.InnerException.Message : failed.Message, failed);
                }
            }
        }

        public void Dispose()
        {
            if (ownsClient) http.Dispose();
        }
    }
}
