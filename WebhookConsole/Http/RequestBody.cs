using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;

namespace WebhookConsole.Http;

/// <summary>Reads a JSON body with a size cap, turning every way it can be wrong into a problem that says what to fix.</summary>
public static class RequestBody
{
    /// <summary>Whether the request has a body at all: a length, or a chunked one whose length is not known up front.</summary>
    public static bool IsPresent(HttpRequest request) =>
        request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);

    public static async Task<(JsonNode? Node, ProblemHttpResult? Error)> ReadJsonAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        var (body, error) = await ReadDocumentAsync(request, maxBytes, ct);
        if (error is not null) return (null, error);
        using (body)
        {
            // A copy of the value, so the node outlives the pooled buffer.
            var root = body!.Root.Clone();
            return (root.ValueKind switch
            {
                JsonValueKind.Object => JsonObject.Create(root),
                JsonValueKind.Array => JsonArray.Create(root),
                _ => JsonValue.Create(root),
            }, null);
        }
    }

    /// <summary>
    /// Reads a JSON body into a document over a pooled buffer (dispose it to give the buffer back): read in place,
    /// a batch of events is never copied into a tree of nodes.
    /// </summary>
    public static async Task<(JsonBody? Body, ProblemHttpResult? Error)> ReadDocumentAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (request.ContentType is { Length: > 0 } contentType && !contentType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problems.Status(415, "Unsupported media type", $"Send the body as JSON with 'Content-Type: application/json' (got '{contentType}')."));
        }
        if (request.ContentLength > maxBytes) return (null, TooLarge(maxBytes));

        // Read into a pooled buffer: a batch of 500 events is half a megabyte, and a growing MemoryStream put
        // about twice that on the large-object heap per request, which only a full (gen2) collection frees.
        var pool = ArrayPool<byte>.Shared;
        var cap = (int)Math.Min(maxBytes + 1, Array.MaxLength);
        var buffer = pool.Rent((int)Math.Min(Math.Max(request.ContentLength ?? 16 * 1024, 1024) + 1, cap));
        var length = 0;
        var handedOver = false;
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(buffer.AsMemory(length), ct)) > 0)
            {
                length += read;
                if (length > maxBytes) return (null, TooLarge(maxBytes));
                if (length == buffer.Length) buffer = PooledBytes.Grow(buffer, length, cap);
            }
            if (length == 0) return (null, Problems.BadRequest("The request body is empty; send a JSON object."));
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(buffer.AsMemory(0, length), new JsonDocumentOptions { MaxDepth = 64 });
            }
            catch (JsonException ex)
            {
                return (null, Problems.BadRequest($"The body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}): {ex.Message.Split(" Path:")[0]}"));
            }
            if (LoneSurrogate(buffer.AsSpan(0, length)) is { } field)
            {
                document.Dispose();
                return (null, Problems.BadRequest(
                    $"'{field}' contains a lone UTF-16 surrogate (such as \\ud800 without its pair), which is not text; send valid Unicode."));
            }
            if (document.RootElement.ValueKind == JsonValueKind.Null)
            {
                document.Dispose();
                return (null, Problems.BadRequest("The body is JSON null; send an object."));
            }
            handedOver = true;
            return (new JsonBody(document, buffer), null);
        }
        finally
        {
            if (!handedOver) pool.Return(buffer);
        }
    }

    /// <summary>
    /// Where the JSON text escapes half a surrogate pair (<c>"\ud800"</c>): valid JSON, but no string, and every later
    /// read of it would throw. Null when there is none. Raw UTF-8 cannot carry one (the parser refuses it), so only
    /// bodies with a <c>\uD8..\uDF</c> escape are walked.
    /// </summary>
    public static string? LoneSurrogate(ReadOnlySpan<byte> json)
    {
        if (!MayEscapeSurrogate(json)) return null;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 64 });
        var path = new List<string>();
        var indexes = new Stack<int>();
        string? property = null;
        void Enter(string segment) => path.Add(segment);
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    if (reader.ValueIsEscaped && !IsText(ref reader)) return Path(path, "(a property name)");
                    property = reader.GetString();
                    continue;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    Enter(Segment(indexes, property));
                    indexes.Push(reader.TokenType == JsonTokenType.StartArray ? 0 : -1);
                    property = null;
                    continue;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    path.RemoveAt(path.Count - 1);
                    indexes.Pop();
                    Advance(indexes);
                    continue;
                case JsonTokenType.String when reader.ValueIsEscaped && !IsText(ref reader):
                    return Path(path, Segment(indexes, property));
            }
            Advance(indexes);
            property = null;
        }
        return null;

        static bool IsText(ref Utf8JsonReader r)
        {
            try
            {
                r.GetString();
                return true;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }
        static string Segment(Stack<int> indexes, string? property) =>
            indexes.Count == 0 ? "" : indexes.Peek() >= 0 ? $"[{indexes.Peek()}]" : property ?? "";
        static void Advance(Stack<int> indexes)
        {
            if (indexes.Count > 0 && indexes.Peek() >= 0) indexes.Push(indexes.Pop() + 1);
        }
        static string Path(List<string> path, string last)
        {
            var joined = string.Join(".", path.Append(last).Where(s => s.Length > 0)).Replace(".[", "[");
            return joined.Length == 0 ? "the value" : joined;
        }
    }

    private static bool MayEscapeSurrogate(ReadOnlySpan<byte> json)
    {
        for (var i = json.IndexOf((byte)'\\'); i >= 0 && i + 3 < json.Length; )
        {
            if (json[i + 1] == 'u' && (json[i + 2] | 0x20) == 'd' && IsSurrogateDigit(json[i + 3])) return true;
            var next = json[(i + 2)..].IndexOf((byte)'\\');
            if (next < 0) return false;
            i += 2 + next;
        }
        return false;

        static bool IsSurrogateDigit(byte b) => b is (byte)'8' or (byte)'9' or (byte)'a' or (byte)'b' or (byte)'c' or (byte)'d' or (byte)'e' or (byte)'f'
            or (byte)'A' or (byte)'B' or (byte)'C' or (byte)'D' or (byte)'E' or (byte)'F';
    }

    /// <summary>A parsed body and the pooled buffer under it.</summary>
    public sealed class JsonBody(JsonDocument document, byte[] buffer) : IDisposable
    {
        public JsonElement Root => document.RootElement;

        public void Dispose()
        {
            document.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ProblemHttpResult TooLarge(long maxBytes) => Problems.Status(413, "Body too large",
        detail: $"The body is larger than {maxBytes:N0} bytes. Send fewer events per request, or raise Events:MaxBodyBytes / Events:MaxBatchBodyBytes.");

    /// <summary>Reads and binds a body in one step: any failure is a problem detail that says what to fix.</summary>
    public static async Task<(T? Value, ProblemHttpResult? Error)> ReadAsync<T>(HttpRequest request, long maxBytes, CancellationToken ct) where T : class
    {
        var (node, error) = await ReadJsonAsync(request, maxBytes, ct);
        if (error is not null) return (null, error);
        var (value, bindError) = Bind<T>(node!);
        return bindError is not null ? (null, Problems.BadRequest(bindError)) : (value, null);
    }

    /// <summary>Binds one JSON value to a type; a wrong type names the field.</summary>
    public static (T? Value, string? Error) Bind<T>(JsonNode node) where T : class => Bind(() => node.Deserialize<T>(ApiJson.Options));

    /// <summary>Binds one JSON value, read in place, to a type; a wrong type names the field.</summary>
    public static (T? Value, string? Error) Bind<T>(JsonElement element) where T : class => Bind(() => element.Deserialize<T>(ApiJson.Options));

    private static (T? Value, string? Error) Bind<T>(Func<T?> deserialize) where T : class
    {
        try
        {
            return (deserialize(), null);
        }
        catch (JsonException ex)
        {
            var where = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "the value" : $"'{ex.Path.TrimStart('$', '.')}'";
            return (null, $"{where} has the wrong type; check the API reference for its type.");
        }
    }
}
