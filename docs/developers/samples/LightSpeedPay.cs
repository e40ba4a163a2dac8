// Signed requests to the LightSpeedPay API from C#: HttpClient and HMACSHA256, nothing else. The tests build it
// with Mono: mcs -r:System.Net.Http -r:System.Runtime.Serialization.
using System;
using System.IO;
using System.Net.Http;
using System.Runtime.Serialization.Json;
using System.Security.Cryptography;
using System.Text;
using System.Threading.Tasks;

public static class LspSigning
{
    // The hex HMAC-SHA256 of "timestamp.METHOD.path.body", keyed with your key secret. `path` includes the
    // query string; `body` is the exact text you send (empty for a GET).
    public static string Sign(string secret, string timestamp, string method, string path, string body)
    {
        using (var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret)))
        {
            var message = Encoding.UTF8.GetBytes(timestamp + "." + method + "." + path + "." + body);
            return BitConverter.ToString(hmac.ComputeHash(message)).Replace("-", "").ToLowerInvariant();
        }
    }
}

public class LightSpeedPayClient
{
    static readonly HttpClient Http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
    readonly string keyId, keySecret, baseUrl;

    public LightSpeedPayClient(string keyId, string keySecret, string baseUrl)
    {
        this.keyId = keyId;
        this.keySecret = keySecret;
        this.baseUrl = baseUrl;
    }

    // A signed request: the answer's JSON text, or an exception carrying the API's error.
    public async Task<string> RequestAsync(string method, string path, string body = "", string idempotencyKey = null)
    {
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString();
        var request = new HttpRequestMessage(new HttpMethod(method), baseUrl + path);
        request.Headers.Add("X-Client-Key", keyId);
        request.Headers.Add("X-Timestamp", timestamp);
        request.Headers.Add("X-Signature", LspSigning.Sign(keySecret, timestamp, method, path, body));
        if (idempotencyKey != null) request.Headers.Add("Idempotency-Key", idempotencyKey);
        if (body != "") request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var answer = await Http.SendAsync(request);
        var text = await answer.Content.ReadAsStringAsync();
        if (!answer.IsSuccessStatusCode)  // {"error": {"code", "message", "field"}}
            throw new Exception(method + " " + path + ": " + (int)answer.StatusCode + " " + text);
        return text;
    }
}

// JSON to and from [DataContract] classes (on .NET 6+, System.Text.Json does the same).
public static class Json
{
    public static string Write<T>(T value)
    {
        using (var stream = new MemoryStream())
        {
            new DataContractJsonSerializer(typeof(T)).WriteObject(stream, value);
            return Encoding.UTF8.GetString(stream.ToArray());
        }
    }

    public static T Read<T>(string json)
    {
        using (var stream = new MemoryStream(Encoding.UTF8.GetBytes(json)))
            return (T)new DataContractJsonSerializer(typeof(T)).ReadObject(stream);
    }
}
