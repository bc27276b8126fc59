using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Events;

/// <summary>What one synchronous webhook answered, as the portal reads it (seed 002: msg, msg_type, focus_on, redirect, jdoc).</summary>
public sealed record SyncResponse(
    string Webhook, Guid JobId, int? StatusCode, int? DurationMs,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonNode? Body,
    string? Msg, string? MsgType, string? FocusOn, string? Redirect, JsonObject? Jdoc, bool TimedOut,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

public sealed record SyncMessage(string Webhook, string Msg, string MsgType, string? FocusOn);

/// <summary>The replies combined: <c>stop</c> when any said error; the messages; one redirect; one jdoc.</summary>
public sealed record SyncVerdict(bool Stop, IReadOnlyList<SyncMessage> Messages, string? Redirect, JsonObject? Jdoc);

/// <summary><c>POST /api/v1/events</c> with <c>Prefer: wait</c>: the event as accepted, what each synchronous webhook said, and the verdict.</summary>
public sealed record SyncEventReply(Guid EventId, IReadOnlyList<JobRef> Jobs, IReadOnlyList<SkippedWebhook> Skipped, bool Duplicate,
    IReadOnlyList<SyncResponse> Responses, SyncVerdict Verdict);

/// <summary>
/// Reads synchronous replies and combines them. The order is the responses' order (webhook name): <c>messages</c> keep
/// it; <c>redirect</c> is the first one given; <c>jdoc</c> objects are merged key by key, a later webhook's value
/// replacing an earlier one's. An <c>error</c> message stops the submission, and then neither redirect nor jdoc
/// applies (the portal cannot both refuse and change the form). Only 2xx replies count; a reply that is not what the
/// portal expects is reported in its <c>error</c>, never a failure of the request.
/// </summary>
public static class SyncReplies
{
    public static readonly IReadOnlyList<string> MessageTypes = ["error", "notification", "warning", "success", "information"];

    public static SyncResponse Read(string webhook, Guid jobId, JobAttempt? attempt, bool waitedOut)
    {
        if (attempt is null || waitedOut)
        {
            return new(webhook, jobId, null, null, null, null, null, null, null, null, waitedOut,
                waitedOut ? "No reply within the deadline; the job is retried on its schedule." : "Not sent: the event was a repeat, or the job was taken up elsewhere.");
        }
        var timedOut = attempt.ErrorKind == AttemptErrorKind.Timeout;
        var problems = new List<string>();
        if (attempt.ErrorKind is { } kind && kind != AttemptErrorKind.Http) problems.Add(attempt.Error ?? kind.ToString());
        else if (attempt.StatusCode is not (>= 200 and < 300)) problems.Add($"The receiver answered {attempt.StatusCode}; only a 2xx reply counts.");
        JsonNode? body = null;
        string? msg = null, msgType = null, focusOn = null, redirect = null;
        JsonObject? jdoc = null;
        if (!string.IsNullOrWhiteSpace(attempt.ResponseBody))
        {
            var json = true;
            try
            {
                body = JsonNode.Parse(attempt.ResponseBody);
            }
            catch (JsonException)
            {
                json = false;
                body = JsonValue.Create(attempt.ResponseBody);
                problems.Add("The reply is not JSON; the portal reads a JSON object with msg, msg_type, focus_on, redirect or jdoc.");
            }
            if (body is JsonObject reply)
            {
                msg = Text(reply, "msg", problems);
                msgType = Text(reply, "msg_type", problems)?.ToLowerInvariant();
                focusOn = Text(reply, "focus_on", problems);
                redirect = Text(reply, "redirect", problems);
                if (msgType is not null && !MessageTypes.Contains(msgType))
                {
                    problems.Add($"msg_type '{msgType}' is not one of {string.Join(", ", MessageTypes)}.");
                    msgType = null;
                }
                if (msg is not null && msgType is null) msgType = "information";
                if (redirect is not null && !(Uri.TryCreate(redirect, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
                {
                    problems.Add("redirect is not an absolute http(s) URL.");
                    redirect = null;
                }
                if (reply["jdoc"] is JsonObject doc) jdoc = (JsonObject)doc.DeepClone();
                else if (reply["jdoc"] is not null) problems.Add("jdoc is not a JSON object.");
            }
            else if (json)
            {
                problems.Add("The reply is JSON but not an object; the portal reads a JSON object.");
            }
        }
        var counts = attempt.ErrorKind is null && attempt.StatusCode is >= 200 and < 300;
        return new(webhook, jobId, attempt.StatusCode, attempt.DurationMs, body, counts ? msg : null, counts ? msgType : null, counts ? focusOn : null,
            counts ? redirect : null, counts ? jdoc : null, timedOut, problems.Count == 0 ? null : string.Join(" ", problems));
    }

    public static SyncVerdict Combine(IReadOnlyList<SyncResponse> responses)
    {
        var messages = responses.Where(r => r.Msg is not null).Select(r => new SyncMessage(r.Webhook, r.Msg!, r.MsgType!, r.FocusOn)).ToList();
        var stop = messages.Any(m => m.MsgType == "error");
        if (stop) return new SyncVerdict(true, messages, null, null);
        JsonObject? jdoc = null;
        foreach (var doc in responses.Select(r => r.Jdoc).OfType<JsonObject>())
        {
            jdoc ??= [];
            foreach (var (key, value) in doc) jdoc[key] = value?.DeepClone();
        }
        return new SyncVerdict(false, messages, responses.Select(r => r.Redirect).FirstOrDefault(r => r is not null), jdoc);
    }

    private static string? Text(JsonObject reply, string name, List<string> problems)
    {
        var node = reply[name];
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue<string>(out var text)) return text;
        problems.Add($"{name} is not a string.");
        return null;
    }
}
