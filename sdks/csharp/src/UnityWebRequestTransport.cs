// The transport for Unity: requests sent with UnityWebRequest, which every Unity platform supports (System.Net.Http
// works in the Editor and on desktop, but not in WebGL builds and not everywhere on consoles and older mobile
// runtimes). It is compiled only inside Unity: UNITY_2018_1_OR_NEWER is defined by the Unity compiler, never by
// mcs or dotnet, so the Mono build and the netstandard2.0 package leave this file out and need no UnityEngine.dll.
//
// UnityWebRequest may only be used on the main thread. Create the transport there (in Awake or Start): it keeps
// the main thread's SynchronizationContext and starts every request on it, so a retry that the SDK resumes on a
// thread-pool thread (after its backoff delay) still sends from the main thread.
#if UNITY_2018_1_OR_NEWER
using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using UnityEngine.Networking;

namespace LightSpeedPay
{
    public sealed class UnityWebRequestTransport : IHttpTransport
    {
        readonly SynchronizationContext mainThread;
        readonly int mainThreadId;

        public UnityWebRequestTransport()
        {
            mainThread = SynchronizationContext.Current;
            mainThreadId = Thread.CurrentThread.ManagedThreadId;
            if (mainThread == null)
                throw new InvalidOperationException("Create the UnityWebRequestTransport on Unity's main thread (in Awake or Start).");
        }

        public Task<TransportResponse> SendAsync(TransportRequest request, CancellationToken cancellationToken)
        {
            // continuations must not run inside UnityWebRequest's completed callback
            var done = new TaskCompletionSource<TransportResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (Thread.CurrentThread.ManagedThreadId == mainThreadId)
                Start(request, cancellationToken, done);
            else
                mainThread.Post(_ => Start(request, cancellationToken, done), null);
            return done.Task;
        }

        static void Start(TransportRequest request, CancellationToken cancellationToken, TaskCompletionSource<TransportResponse> done)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                done.TrySetCanceled();
                return;
            }
            UnityWebRequest web;
            try
            {
                web = new UnityWebRequest(request.Url, request.Method)
                {
                    downloadHandler = new DownloadHandlerBuffer(),
                    timeout = Math.Max(1, (int)Math.Ceiling(request.Timeout.TotalSeconds)),
                };
                if (request.Body != null)
                {
                    web.uploadHandler = new UploadHandlerRaw(request.Body);
                    string contentType;
                    if (request.Headers.TryGetValue("Content-Type", out contentType)) web.uploadHandler.contentType = contentType;
                }
                foreach (var header in request.Headers)
                {
                    // WebGL browsers set User-Agent themselves and refuse it from scripts
                    if (header.Key == "User-Agent" && UnityEngine.Application.platform == UnityEngine.RuntimePlatform.WebGLPlayer)
                        continue;
                    web.SetRequestHeader(header.Key, header.Value);
                }
            }
            catch (Exception failed)
            {
                done.TrySetException(failed);
                return;
            }
            var registration = cancellationToken.Register(() => web.Abort());
            var operation = web.SendWebRequest();
            operation.completed += _ =>
            {
                registration.Dispose();
                try
                {
                    if (cancellationToken.IsCancellationRequested)
                        done.TrySetCanceled();
#if UNITY_2020_2_OR_NEWER
                    else if (web.result == UnityWebRequest.Result.ConnectionError)
#else
                    else if (web.isNetworkError)
#endif
                        done.TrySetException(new TransportException(web.error ?? "no answer"));
                    else
                        done.TrySetResult(new TransportResponse((int)web.responseCode,
                            web.GetResponseHeaders() ?? new Dictionary<string, string>(), web.downloadHandler.data));
                }
                catch (Exception failed)
                {
                    done.TrySetException(failed);
                }
                finally
                {
                    web.Dispose();
                }
            };
        }
    }
}
#endif
