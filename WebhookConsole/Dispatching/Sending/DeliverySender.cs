using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Policy;
using WebhookConsole.Telemetry;

namespace WebhookConsole.Dispatching.Sending;

/// <summary>One HTTP try, as sent and as received, or why it did not complete.</summary>
public sealed record SendResult(
    DateTime StartedAt, int DurationMs, string Url, List<HeaderEntry> RequestHeaders, string RequestBody,
    int? StatusCode, List<HeaderEntry> ResponseHeaders, string? ResponseBody, long ResponseBodyLength,
    AttemptErrorKind? ErrorKind, string? Error, TimeSpan? RetryAfter)
{
    public bool IsSuccessStatus => StatusCode is >= 200 and < 300 && ErrorKind is null;

    public string Summary => ErrorKind is null or AttemptErrorKind.Http
        ? $"{StatusCode} {ReasonPhrases.GetReasonPhrase(StatusCode ?? 0)}".Trim() + (StatusCode is >= 300 and < 400 ? " (redirects are not followed)" : "")
        : Error ?? ErrorKind.ToString()!;
}

/// <summary>Sends a job's request: signed, with the webhook's timeout, no redirects, through the SSRF guard.</summary>
public sealed class DeliverySender(IHttpClientFactory clients, IOptions<DispatchOptions> options, Security.SecretProtector secrets, TimeProvider time)
{
    public const string ClientName = "deliveries";

    /// <summary>
    /// One attempt, as a span (<c>webhook attempt</c>) under the request that created the job when this process still
    /// holds that context (a fresh job), so a trace follows an event from its POST to each attempt; the HttpClient span
    /// of the send is its child.
    /// </summary>
    /// <param name="timeoutCap">A shorter limit than the webhook's timeout: a synchronous reply's deadline.</param>
    public async Task<SendResult> SendAsync(WebhookJob job, Webhook webhook, CancellationToken ct, TimeSpan? timeoutCap = null)
    {
        using var activity = ConsoleTelemetry.Source.StartActivity("webhook attempt", ActivityKind.Internal, job.Origin);
        activity?.SetTag("webhookconsole.job.id", job.Id.ToString());
        activity?.SetTag("webhookconsole.webhook.id", webhook.Id.ToString());
        activity?.SetTag("webhookconsole.attempt", job.AttemptCount + 1);
        var result = await SendCoreAsync(job, webhook, ct, timeoutCap);
        if (activity is not null)
        {
            if (result.StatusCode is { } status) activity.SetTag("http.response.status_code", status);
            if (result.ErrorKind is { } kind) activity.SetTag("error.type", ConsoleTelemetry.Label(kind));
            activity.SetStatus(result.IsSuccessStatus ? ActivityStatusCode.Ok : ActivityStatusCode.Error);
        }
        return result;
    }

    private async Task<SendResult> SendCoreAsync(WebhookJob job, Webhook webhook, CancellationToken ct, TimeSpan? timeoutCap)
    {
        var started = time.GetUtcNow();
        // Encoded once: the signature is over exactly the bytes sent.
        var bodyBytes = Encoding.UTF8.GetBytes(job.RequestBody);
        // During a rotation's grace period the previous secret signs too.
        var previous = webhook.PreviousSigningSecretUntil > started.UtcDateTime ? secrets.Reveal(webhook.PreviousSigningSecret) : null;
        var signed = Signing.Apply(webhook.SigningScheme, secrets.Reveal(webhook.SigningSecret), job.Id, job.Url, bodyBytes, started, previous);
        // Recorded as the job holds them (secret values masked); sent with the webhook's secret values added now.
        var requestHeaders = job.RequestHeaders.Concat(signed.Headers).ToList();
        var watch = Stopwatch.StartNew();
        var timeout = TimeSpan.FromSeconds(Math.Clamp(webhook.TimeoutSeconds, 1, 60));
        var deadline = "";
        if (timeoutCap is { } cap && cap < timeout)
        {
            timeout = cap < TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : cap;
            deadline = " (the synchronous reply's deadline)";
        }
        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeoutCts.CancelAfter(timeout);

        int? status = null;
        var responseHeaders = new List<HeaderEntry>();
        SendResult Result(AttemptErrorKind? kind, string? error, string? body = null, long length = 0, TimeSpan? retryAfter = null) =>
            new(started.UtcDateTime, (int)watch.ElapsedMilliseconds, signed.Url, requestHeaders, job.RequestBody, status, responseHeaders, body, length, kind, error, retryAfter);

        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, signed.Url);
            request.Content = new ByteArrayContent(bodyBytes);
            foreach (var h in requestHeaders)
            {
                var value = h.Secret ? SecretValue(webhook, h.Name) : h.Value;
                if (value is null) continue; // the webhook no longer has that header
                if (!request.Headers.TryAddWithoutValidation(h.Name, value)) request.Content.Headers.TryAddWithoutValidation(h.Name, value);
            }
            request.Headers.UserAgent.ParseAdd("WebhookConsole/1.0");

            using var response = await clients.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeoutCts.Token);
            status = (int)response.StatusCode;
            responseHeaders.AddRange(response.Headers.Concat(response.Content.Headers).Select(h => new HeaderEntry(h.Key, string.Join(", ", h.Value))));
            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(timeoutCts.Token);
                var (body, length) = await Http.CappedBody.ReadAsync(stream, options.Value.MaxResponseBodyBytes, timeoutCts.Token);
                return Result(status is >= 200 and < 300 ? null : AttemptErrorKind.Http, null, body, length, RetryAfter(response));
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return Result(AttemptErrorKind.Timeout, $"Timeout after {timeout.TotalSeconds:0.#} s{deadline} while reading the response");
            }
            catch (IOException ex)
            {
                return Result(AttemptErrorKind.Connection, $"Connection reset while reading the response: {ex.Message}");
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Result(AttemptErrorKind.Timeout, $"Timeout after {timeout.TotalSeconds:0.#} s{deadline}");
        }
        catch (HttpRequestException ex)
        {
            return Classify(ex, Result);
        }
    }

    private static SendResult Classify(HttpRequestException ex, Func<AttemptErrorKind?, string?, string?, long, TimeSpan?, SendResult> result)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is BlockedDestinationException blocked) return result(AttemptErrorKind.Blocked, blocked.Message, null, 0, null);
        }
        var socket = FindInner<SocketException>(ex);
        return ex.HttpRequestError switch
        {
            HttpRequestError.NameResolutionError => result(AttemptErrorKind.Dns, $"DNS: {socket?.Message ?? ex.Message}", null, 0, null),
            HttpRequestError.SecureConnectionError => result(AttemptErrorKind.Tls, $"TLS: {FindInner<AuthenticationException>(ex)?.Message ?? ex.Message}", null, 0, null),
            _ when socket?.SocketErrorCode == SocketError.HostNotFound => result(AttemptErrorKind.Dns, $"DNS: {socket.Message}", null, 0, null),
            _ when socket?.SocketErrorCode == SocketError.ConnectionRefused => result(AttemptErrorKind.Connection, "Connection refused", null, 0, null),
            _ when socket?.SocketErrorCode == SocketError.ConnectionReset => result(AttemptErrorKind.Connection, "Connection reset", null, 0, null),
            HttpRequestError.ResponseEnded => result(AttemptErrorKind.Connection, "The connection closed before a complete response", null, 0, null),
            _ => result(AttemptErrorKind.Connection, $"Connection failed: {ex.Message}", null, 0, null),
        };
    }

    private static T? FindInner<T>(Exception ex) where T : Exception
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is T found) return found;
        }
        return null;
    }

    private string? SecretValue(Webhook webhook, string name)
    {
        foreach (var h in webhook.Headers)
        {
            if (h.Secret && string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)) return secrets.Reveal(h.Value);
        }
        return null;
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - DateTimeOffset.UtcNow;
        return null;
    }

}
