using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Security;
using WebhookConsole.Tests.Dispatching;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Security;

/// <summary>Signing secrets, callback secrets and secret header values are write-only and encrypted at rest.</summary>
public class SecretsAtRestTests(DeliveryFactory factory) : IClassFixture<DeliveryFactory>, IAsyncLifetime
{
    private const string Token = "Bearer tok_live_7f3a9c2e5b8d41f6";
    private const string ApiKeyValue = "ak_9d8c7b6a5f4e3d2c1b0a";
    private const string Signing = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private Receiver _receiver = default!;

    public async Task InitializeAsync() => _receiver = await Receiver.StartAsync();
    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private static string NewPath() => "/" + Guid.NewGuid().ToString("N")[..10];

    private async Task<(HttpClient Api, JsonNode Created, string Path)> CreateAsync()
    {
        var path = NewPath();
        var api = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage, ApiScopes.EventsWrite, ApiScopes.JobsManage);
        var response = await api.PostAsJsonAsync("/api/v1/webhooks", new
        {
            name = "secret hook " + Guid.NewGuid().ToString("N")[..6], scope = "Kapp", kapp = "k" + Guid.NewGuid().ToString("N")[..8],
            type = "Submission", @event = "Submitted", url = _receiver.Status(path, 200) + "?q=1",
            headers = new object[]
            {
                new { name = "Authorization", value = Token },
                new { name = "X-Api-Key", value = ApiKeyValue },
                new { name = "X-Team", value = "facilities" },
            },
            signing = new { scheme = "standard", secret = Signing },
            asyncAck = false,
        });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return (api, JsonNode.Parse(text)!, path);
    }

    private async Task<Guid> FireAsync(HttpClient api, JsonNode webhook)
    {
        var reply = await api.PostAsJsonAsync("/api/v1/events", new
        {
            type = "Submission", action = "Submitted", kapp = webhook["kapp"]!.GetValue<string>(), form = "f",
            context = new { submission = new { values = new { Room = "B12" } } },
        });
        Assert.Equal(HttpStatusCode.Accepted, reply.StatusCode);
        return Guid.Parse(JsonNode.Parse(await reply.Content.ReadAsStringAsync())!["jobs"]![0]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Credential_headers_are_write_only_and_added_only_at_send_time()
    {
        var (api, created, path) = await CreateAsync();
        var headers = created["headers"]!.AsArray();
        Assert.Equal("Authorization", headers[0]!["name"]!.GetValue<string>());
        Assert.True(headers[0]!["secret"]!.GetValue<bool>());
        Assert.True(headers[0]!["hasValue"]!.GetValue<bool>());
        Assert.Null(headers[0]!["value"]);
        Assert.True(headers[1]!["secret"]!.GetValue<bool>()); // X-Api-Key: credential-like by name
        Assert.Equal("facilities", headers[2]!["value"]!.GetValue<string>());
        Assert.False(headers[2]!["secret"]!.GetValue<bool>());
        var id = created["id"]!.GetValue<string>();
        var read = await api.GetStringAsync($"/api/v1/webhooks/{id}");
        Assert.DoesNotContain(Token, read);
        Assert.DoesNotContain(ApiKeyValue, read);
        Assert.DoesNotContain(Signing, read);

        var jobId = await FireAsync(api, created);
        var job = await factory.WaitForJobAsync(jobId, j => j.Status == JobStatus.Succeeded, "the delivery");
        var received = Assert.Single(_receiver.To(path));
        Assert.Equal(Token, received.Headers["Authorization"]);
        Assert.Equal(ApiKeyValue, received.Headers["X-Api-Key"]);
        Assert.Equal("facilities", received.Headers["X-Team"]);
        var key = Convert.FromBase64String(Signing["whsec_".Length..]);
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{received.Headers["webhook-id"]}.{received.Headers["webhook-timestamp"]}.{received.Body}")));
        Assert.Equal(expected, received.Headers["webhook-signature"]);

        // Masked on the job and its attempts, in the API and for the pages alike.
        Assert.Equal(HeaderEntry.Masked, job.RequestHeaders.Single(h => h.Name == "Authorization").Value);
        Assert.Equal(HeaderEntry.Masked, job.Attempts.Single().RequestHeaders.Single(h => h.Name == "Authorization").Value);
        var detail = await api.GetStringAsync($"/api/v1/jobs/{jobId}");
        Assert.DoesNotContain("tok_live", detail);
        Assert.Contains("••••", detail);
        var search = await api.GetStringAsync("/api/v1/jobs?q=tok_live_7f3a9c2e5b8d41f6");
        Assert.Empty(JsonNode.Parse(search)!["items"]!.AsArray());

        // An update that leaves the value out keeps it; the audit never holds it.
        var update = await api.PutAsJsonAsync($"/api/v1/webhooks/{id}", new
        {
            headers = new object[] { new { name = "Authorization", secret = true }, new { name = "X-Api-Key" }, new { name = "X-Team", value = "ops" } },
        });
        Assert.Equal(HttpStatusCode.OK, update.StatusCode);
        var second = await FireAsync(api, created);
        await factory.WaitForJobAsync(second, j => j.Status == JobStatus.Succeeded, "the second delivery");
        var again = _receiver.To(path).Last();
        Assert.Equal(Token, again.Headers["Authorization"]);
        Assert.Equal(ApiKeyValue, again.Headers["X-Api-Key"]);
        Assert.Equal("ops", again.Headers["X-Team"]);
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync();
        var audit = string.Join("\n", (await db.AuditEntries.Where(a => a.EntityId == id).ToListAsync()).SelectMany(a => a.Changes).Select(c => $"{c.Field} {c.Old} {c.New}"));
        Assert.Contains("X-Team: ops", audit);
        Assert.DoesNotContain("tok_live", audit);
        Assert.DoesNotContain(ApiKeyValue, audit);
    }

    [Fact]
    public async Task The_database_files_never_hold_a_secret_in_clear()
    {
        var (api, created, _) = await CreateAsync();
        var id = Guid.Parse(created["id"]!.GetValue<string>());
        var ack = await api.PutAsJsonAsync($"/api/v1/webhooks/{id}", new { asyncAck = true });
        var callbackSecret = JsonNode.Parse(await ack.Content.ReadAsStringAsync())!["callbackSecret"]!.GetValue<string>();
        Assert.False(string.IsNullOrEmpty(callbackSecret));
        var jobId = await FireAsync(api, created);
        await factory.WaitForJobAsync(jobId, j => j.Status is JobStatus.Succeeded or JobStatus.Received, "the delivery");

        var stored = await factory.WebhookAsync(id);
        Assert.StartsWith(SecretProtector.Prefix, stored.SigningSecret);
        Assert.StartsWith(SecretProtector.Prefix, stored.CallbackSecret);
        Assert.All(stored.Headers.Where(h => h.Secret), h => Assert.StartsWith(SecretProtector.Prefix, h.Value));

        SqliteConnection.ClearAllPools();
        var files = Directory.GetFiles(Path.GetDirectoryName(factory.DatabasePath)!).Where(f => Path.GetFileName(f).StartsWith("console.db")).ToList();
        Assert.Contains(files, f => f.EndsWith(".db"));
        foreach (var file in files)
        {
            byte[] bytes;
            using (var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                bytes = new byte[stream.Length];
                stream.ReadExactly(bytes);
            }
            foreach (var secret in new[] { Token, ApiKeyValue, Signing, callbackSecret })
            {
                Assert.True(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)) < 0, $"{Path.GetFileName(file)} holds {secret[..6]}… in clear");
                Assert.True(bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(secret)) < 0, $"{Path.GetFileName(file)} holds {secret[..6]}… in UTF-16");
            }
        }
    }

    [Fact]
    public async Task Secrets_written_before_encryption_are_migrated_and_still_deliver()
    {
        var path = NewPath();
        var id = Guid.NewGuid();
        var kapp = "k" + Guid.NewGuid().ToString("N")[..8];
        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            // As an earlier version stored it: every value in clear, copied onto the job and into the audit.
            db.Webhooks.Add(new Webhook
            {
                Id = id, Name = "legacy " + kapp, NormalizedName = ("legacy " + kapp).ToUpperInvariant(), Scope = WebhookScope.Kapp, Kapp = kapp,
                Type = "Submission", Event = "Submitted", Url = _receiver.Status(path, 200), Headers = [new("Authorization", Token), new("X-Team", "ops")],
                SigningScheme = SigningScheme.Standard, SigningSecret = Signing, AsyncAck = true, CallbackSecret = "cb_legacy_0123456789abcdef",
                Enabled = true, TimeoutSeconds = 5, CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow, Version = 1,
            });
            db.WebhookJobs.Add(new WebhookJob
            {
                Id = Guid.NewGuid(), WebhookId = id, WebhookName = "legacy", EventType = "Submission", EventAction = "Submitted", Url = "https://x/",
                RequestHeaders = [new("Content-Type", "application/json"), new("Authorization", Token)], RequestBody = "{}", Status = JobStatus.Succeeded,
                CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
            });
            db.AuditEntries.Add(new AuditEntry
            {
                At = DateTime.UtcNow, Actor = "admin", EntityType = "Webhook", EntityId = id.ToString(), Action = "created",
                Changes = [new AuditChange("headers", null, $"Authorization: {Token}; X-Team: ops")],
            });
            await db.SaveChangesAsync();
        }
        factory.Services.GetRequiredService<WebhookConsole.Data.WebhookChanges>().Changed();

        await factory.Services.GetRequiredService<SecretsMigration>().RunAsync();

        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            var w = await db.Webhooks.AsNoTracking().SingleAsync(x => x.Id == id);
            Assert.StartsWith(SecretProtector.Prefix, w.SigningSecret);
            Assert.StartsWith(SecretProtector.Prefix, w.CallbackSecret);
            var auth = w.Headers.Single(h => h.Name == "Authorization");
            Assert.True(auth.Secret);
            Assert.StartsWith(SecretProtector.Prefix, auth.Value);
            Assert.False(w.Headers.Single(h => h.Name == "X-Team").Secret);
            var job = await db.WebhookJobs.AsNoTracking().SingleAsync(j => j.WebhookId == id);
            Assert.Equal(HeaderEntry.Masked, job.RequestHeaders.Single(h => h.Name == "Authorization").Value);
            var audit = await db.AuditEntries.AsNoTracking().Where(a => a.EntityId == id.ToString()).SingleAsync();
            Assert.Equal($"Authorization: {HeaderEntry.Masked}; X-Team: ops", audit.Changes.Single().New);
        }
        factory.Services.GetRequiredService<WebhookConsole.Data.WebhookChanges>().Changed();

        var api = await factory.CreateApiClientAsync(ApiScopes.EventsWrite);
        var jobId = await FireAsync(api, JsonNode.Parse($"{{\"kapp\":\"{kapp}\"}}")!);
        await factory.WaitForJobAsync(jobId, j => j.AttemptCount == 1, "the delivery");
        var received = Assert.Single(_receiver.To(path));
        Assert.Equal(Token, received.Headers["Authorization"]);
        Assert.StartsWith("v1,", received.Headers["webhook-signature"]);
    }

    [Fact]
    public async Task The_callback_secret_is_shown_only_to_those_who_may_manage_webhooks()
    {
        var (api, created, _) = await CreateAsync();
        var id = Guid.Parse(created["id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await api.PutAsJsonAsync($"/api/v1/webhooks/{id}", new { asyncAck = true })).StatusCode);
        await using var scope = factory.Services.CreateAsyncScope();
        var service = scope.ServiceProvider.GetRequiredService<WebhookConsole.Features.Webhooks.WebhookService>();
        var support = new Actor("s", "support@test.local", false, new HashSet<string> { Roles.Support }, new HashSet<string>());
        var admin = new Actor("a", "admin@test.local", false, new HashSet<string> { Roles.Admin }, new HashSet<string>());

        Assert.Null((await service.GetAsync(id, support))!.CallbackSecret);
        Assert.Null((await service.GetAsync(id))!.CallbackSecret);
        Assert.All((await service.ListAsync(new WebhookConsole.Features.Webhooks.WebhookQuery(PageSize: 500), support)).Items, w => Assert.Null(w.CallbackSecret));
        var shown = (await service.GetAsync(id, admin))!.CallbackSecret;
        Assert.False(string.IsNullOrEmpty(shown));
        Assert.DoesNotContain(SecretProtector.Prefix, shown);
        // A key with webhooks:manage gets it too (API.md), in plain.
        Assert.Equal(shown, JsonNode.Parse(await api.GetStringAsync($"/api/v1/webhooks/{id}"))!["callbackSecret"]!.GetValue<string>());
    }
}
