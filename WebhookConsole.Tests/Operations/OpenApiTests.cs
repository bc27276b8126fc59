using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Operations;

/// <summary>
/// The OpenAPI document describes every API route as mapped, reads without errors, and the contract's examples
/// (API.md) fit its schemas; the reference page is for signed-in users and runs under the console's CSP.
/// </summary>
public partial class OpenApiTests(ConsoleFactory factory) : IClassFixture<ConsoleFactory>
{
    private async Task<(OpenApiDocument Document, string Text)> ReadDocumentAsync()
    {
        var client = await factory.CreateApiClientAsync(ApiScopes.EventsWrite);
        var response = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
        var read = await OpenApiDocument.LoadAsync(stream, "json");
        Assert.True(read.Diagnostic is null || read.Diagnostic.Errors.Count == 0, "reading: " + string.Join("; ", read.Diagnostic?.Errors.Select(e => $"{e.Pointer} {e.Message}") ?? []));
        Assert.NotNull(read.Document);
        return (read.Document!, text);
    }

    [Fact]
    public async Task The_document_has_every_mapped_api_route_and_validates()
    {
        var (document, _) = await ReadDocumentAsync();
        var errors = document.Validate(ValidationRuleSet.GetDefaultRuleSet())?.ToList() ?? [];
        Assert.True(errors.Count == 0, "validation: " + string.Join("; ", errors.Select(e => $"{e.Pointer} {e.Message}")));

        var mapped = factory.Services.GetServices<EndpointDataSource>().SelectMany(s => s.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.TrimStart('/').StartsWith("api/v1/", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (Method: m, Path: Normalize(e.RoutePattern.RawText!))))
            .Distinct().ToList();
        Assert.True(mapped.Count >= 14, $"only {mapped.Count} API routes were found; the test reads the wrong endpoints");
        foreach (var (method, path) in mapped)
        {
            Assert.True(document.Paths.TryGetValue(path, out var item), $"{method} {path} is mapped but not in the document");
            Assert.True(item!.Operations!.ContainsKey(HttpMethod.Parse(method)), $"{method} {path} is mapped but the document lacks the operation");
        }
        foreach (var (path, item) in document.Paths)
        {
            foreach (var (method, operation) in item.Operations!)
            {
                var where = $"{method} {path}";
                Assert.NotEmpty(operation.Tags ?? new HashSet<OpenApiTagReference>());
                Assert.Contains(operation.Responses!, r => r.Key.StartsWith('2'));
                // Errors are problem details, and say so.
                Assert.Contains(operation.Responses!, r => r.Key.StartsWith('4') && r.Value.Content?.ContainsKey("application/problem+json") == true);
                if (method == HttpMethod.Put || (method == HttpMethod.Post && !path.EndsWith("/abandon") && !path.EndsWith("/test")))
                {
                    Assert.True(operation.RequestBody?.Content?.ContainsKey("application/json") == true, $"{where} documents no JSON body");
                }
            }
        }
        Assert.Contains(ApiReferenceScheme, document.Components!.SecuritySchemes!.Keys);
        Assert.Equal("bearer", document.Components.SecuritySchemes[ApiReferenceScheme].Scheme);
        Assert.NotEmpty(document.Security!);
    }

    private const string ApiReferenceScheme = WebhookConsole.Operations.ApiReference.BearerScheme;

    /// <summary><c>/api/v1/webhooks/{id:guid}</c> → <c>/api/v1/webhooks/{id}</c>; a group's <c>/</c> route has no trailing slash.</summary>
    private static string Normalize(string pattern) => "/" + RouteConstraint().Replace(pattern.Trim('/'), "{$1}");

    [GeneratedRegex(@"\{([A-Za-z]+):[^}]+\}")]
    private static partial Regex RouteConstraint();

    /// <summary>Each JSON example in API.md, with where it belongs in the document.</summary>
    public static TheoryData<string, string, string, string> Examples => new()
    {
        { "the event of \"Events in\"", "\"id\": \"client-chosen id", "POST /api/v1/events", "request" },
        { "the reply of \"Events in\"", "{ \"eventId\":", "POST /api/v1/events", "202" },
        { "the job of \"Webhook jobs\"", "{ \"id\": \"…\", \"webhookId\"", "GET /api/v1/jobs/{id}", "200" },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public async Task The_contracts_examples_fit_the_schemas(string what, string opening, string operation, string part)
    {
        var (document, _) = await ReadDocumentAsync();
        var example = ContractExample(opening);
        var parts = operation.Split(' ');
        var op = document.Paths[parts[1]].Operations![HttpMethod.Parse(parts[0])];
        var schema = part == "request" ? op.RequestBody!.Content!["application/json"].Schema! : op.Responses![part].Content!["application/json"].Schema!;
        var problems = new List<string>();
        SchemaFit.Check(example, schema, "$", problems);
        Assert.True(problems.Count == 0, $"{what} does not fit {operation} ({part}): " + string.Join("; ", problems));
    }

    /// <summary>
    /// The code block of API.md that holds <paramref name="opening"/>, as JSON: the contract writes alternatives as
    /// <c>"a" | "b"</c> (the first one is taken) and elides with <c>…</c> inside strings.
    /// </summary>
    private static JsonNode ContractExample(string opening)
    {
        var api = File.ReadAllText(ContractPath());
        var block = Regex.Matches(api, "```json\\n(.*?)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value).Single(b => b.Contains(opening));
        var json = Regex.Replace(block, "(\"[^\"]*\"|null)(\\s*\\|\\s*(\"[^\"]*\"|null))+", "$1");
        return JsonNode.Parse(json)!;
    }

    /// <summary>
    /// API.md: the design folder's, beside the repository, when it is there; otherwise the copy in docs/contract (a
    /// clone on its own, as CI has it). The test below keeps the copy equal to the original.
    /// </summary>
    private static string ContractPath()
    {
        var shared = Path.Combine(Root(), "..", "shared", "design", "API.md");
        return File.Exists(shared) ? shared : Path.Combine(Root(), "docs", "contract", "API.md");
    }

    [Fact]
    public void The_contracts_copy_in_the_repository_is_the_design_folders()
    {
        var shared = Path.Combine(Root(), "..", "shared", "design", "API.md");
        var copy = Path.Combine(Root(), "docs", "contract", "API.md");
        Assert.True(File.Exists(copy), "docs/contract/API.md is missing");
        if (File.Exists(shared)) Assert.True(File.ReadAllText(shared) == File.ReadAllText(copy), "docs/contract/API.md differs from ../shared/design/API.md: copy it again");
    }

    private static string Root()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "WebhookConsole.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("The repository root was not found.");
    }

    [Fact]
    public async Task Nobody_reads_the_document_or_the_page_without_signing_in()
    {
        var anonymous = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        foreach (var path in new[] { "/openapi/v1.json", "/api-docs" })
        {
            var response = await anonymous.GetAsync(path);
            Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Redirect, $"{path}: {response.StatusCode}");
            Assert.DoesNotContain("WebhookConsole API", await response.Content.ReadAsStringAsync());
        }
        var badKey = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        badKey.DefaultRequestHeaders.Authorization = new("Bearer", "wck_not_a_key");
        Assert.NotEqual(HttpStatusCode.OK, (await badKey.GetAsync("/openapi/v1.json")).StatusCode);
    }

    [Fact]
    public async Task A_signed_in_user_gets_the_reference_page_served_from_here_under_a_nonce()
    {
        using var browser = factory.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        Assert.Equal(HttpStatusCode.Found, (await SignInForm.PostAsync(browser, ConsoleFactory.AdminEmail, ConsoleFactory.AdminPassword)).StatusCode);
        // Scalar answers /api-docs with a redirect to /api-docs/, so that its relative asset paths resolve.
        var first = await browser.GetAsync("/api-docs");
        Assert.Equal("api-docs/", first.Headers.Location?.OriginalString);
        var page = await browser.GetAsync("/api-docs/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        var nonce = Regex.Match(csp, "'nonce-([^']+)'").Groups[1].Value;
        Assert.NotEmpty(nonce);
        Assert.Contains($"nonce=\"{nonce}\"", html);
        Assert.Contains("default-src 'self'", csp);
        Assert.DoesNotContain("unsafe-eval", csp);
        // Nothing from another origin: no CDN script, no web fonts.
        Assert.DoesNotMatch("src=\"https?://", html);
        Assert.DoesNotContain("fonts.scalar.com", html);
        // The page's own bundle and the document are served here, to this user.
        foreach (Match src in Regex.Matches(html, "src=\"([^\"]+)\""))
        {
            var url = src.Groups[1].Value.StartsWith('/') ? src.Groups[1].Value : "/api-docs/" + src.Groups[1].Value.TrimStart('.', '/');
            Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync(url)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/openapi/v1.json")).StatusCode);
        // A second request gets another nonce.
        var again = (await browser.GetAsync("/api-docs/")).Headers.GetValues("Content-Security-Policy").Single();
        Assert.DoesNotContain(nonce, again);
    }
}

/// <summary>Whether a JSON value fits an OpenAPI 3.1 schema: known properties, and the types they declare.</summary>
internal static class SchemaFit
{
    public static void Check(JsonNode? value, IOpenApiSchema schema, string path, List<string> problems)
    {
        var alternatives = (schema.OneOf ?? []).Concat(schema.AnyOf ?? []).ToList();
        if (alternatives.Count > 0)
        {
            var fits = alternatives.Select(a => { var p = new List<string>(); Check(value, a, path, p); return p; }).ToList();
            if (!fits.Any(f => f.Count == 0)) problems.AddRange(fits.OrderBy(f => f.Count).First());
            return;
        }
        foreach (var all in schema.AllOf ?? []) Check(value, all, path, problems);
        var type = schema.Type;
        if (type is null) return; // any value
        switch (value)
        {
            case null:
                if (!type.Value.HasFlag(JsonSchemaType.Null)) problems.Add($"{path} is null where the schema says {type}");
                return;
            case JsonObject obj:
                if (!type.Value.HasFlag(JsonSchemaType.Object)) { problems.Add($"{path} is an object where the schema says {type}"); return; }
                foreach (var (name, child) in obj)
                {
                    if (schema.Properties?.TryGetValue(name, out var property) == true) Check(child, property, $"{path}.{name}", problems);
                    else if (schema.AdditionalProperties is { } extra) Check(child, extra, $"{path}.{name}", problems);
                    else if (schema.Properties is { Count: > 0 }) problems.Add($"{path}.{name} is not in the schema");
                }
                return;
            case JsonArray array:
                if (!type.Value.HasFlag(JsonSchemaType.Array)) { problems.Add($"{path} is an array where the schema says {type}"); return; }
                for (var i = 0; i < array.Count; i++) Check(array[i], schema.Items!, $"{path}[{i}]", problems);
                return;
            case JsonValue v:
                var kind = v.GetValueKind();
                var ok = kind switch
                {
                    JsonValueKind.String => type.Value.HasFlag(JsonSchemaType.String),
                    JsonValueKind.Number => type.Value.HasFlag(JsonSchemaType.Number) || type.Value.HasFlag(JsonSchemaType.Integer),
                    JsonValueKind.True or JsonValueKind.False => type.Value.HasFlag(JsonSchemaType.Boolean),
                    _ => true,
                };
                if (!ok) problems.Add($"{path} is a {kind} where the schema says {type}");
                return;
        }
    }
}
