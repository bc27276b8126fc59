using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Features.Webhooks;
using WebhookConsole.Security;
using WebhookConsole.Tests.TestSupport;

namespace WebhookConsole.Tests.Dispatching;

/// <summary>
/// Secrets generated at create, rotated with an overlap, and Ed25519 signatures, checked at a real receiver the way a
/// receiver would: HMAC with .NET's own HMACSHA256, Ed25519 with BouncyCastle (not the console's NSec code).
/// </summary>
public class SigningRotationTests(DeliveryFactory factory) : IClassFixture<DeliveryFactory>, IAsyncLifetime
{
    private Receiver _receiver = default!;

    public async Task InitializeAsync() => _receiver = await Receiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private async Task<(Guid Id, JsonObject Created, WebhookView View)> CreateAsync(HttpClient api, string path, string scheme, string? secret = null)
    {
        var signing = new JsonObject { ["scheme"] = scheme };
        if (secret is not null) signing["secret"] = secret;
        var response = await api.PostAsJsonAsync("/api/v1/webhooks", new JsonObject
        {
            ["name"] = "Rotation " + Guid.NewGuid().ToString("N")[..8], ["scope"] = "Kapp", ["kapp"] = "k" + Guid.NewGuid().ToString("N")[..10],
            ["type"] = "Submission", ["event"] = "Submitted", ["url"] = _receiver.Status(path, 200), ["signing"] = signing,
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        var created = JsonNode.Parse(body)!.AsObject();
        var id = Guid.Parse(created["id"]!.GetValue<string>());
        return (id, created, (await factory.Service<WebhookService>().GetAsync(id, Actor.System))!);
    }

    /// <summary>Fires an event and returns what the receiver got.</summary>
    private async Task<ReceivedRequest> DeliverAsync(WebhookView webhook, string path)
    {
        var before = _receiver.To(path).Count;
        var job = await factory.FireAsync(webhook);
        await factory.WaitForJobAsync(job, j => j.Status == JobStatus.Succeeded, "the delivery");
        return await Eventually.WaitAsync(() => Task.FromResult(_receiver.To(path)), r => r.Count > before, TimeSpan.FromSeconds(5), "the request").ContinueWith(t => t.Result[^1]);
    }

    private static List<string> Signatures(ReceivedRequest r, string version) =>
        r.Headers["webhook-signature"].Split(' ').Where(s => s.StartsWith(version + ",", StringComparison.Ordinal)).Select(s => s[(version.Length + 1)..]).ToList();

    private static byte[] Signed(ReceivedRequest r) => Encoding.UTF8.GetBytes($"{r.Headers["webhook-id"]}.{r.Headers["webhook-timestamp"]}.{r.Body}");

    /// <summary>A receiver's check with one secret: does any v1 signature match?</summary>
    private static bool VerifiesWith(ReceivedRequest r, string whsec)
    {
        var expected = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(whsec["whsec_".Length..]), Signed(r)));
        return Signatures(r, "v1").Contains(expected);
    }

    /// <summary>A receiver's check with one public key, by BouncyCastle: does any v1a signature verify?</summary>
    private static bool VerifiesWithPublicKey(ReceivedRequest r, string whpk)
    {
        var key = new Ed25519PublicKeyParameters(Convert.FromBase64String(whpk["whpk_".Length..]));
        var message = Signed(r);
        return Signatures(r, "v1a").Any(s =>
        {
            var verifier = new Ed25519Signer();
            verifier.Init(false, key);
            verifier.BlockUpdate(message, 0, message.Length);
            return verifier.VerifySignature(Convert.FromBase64String(s));
        });
    }

    private static async Task<JsonObject> RotateAsync(HttpClient api, Guid id, object? body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var response = body is null ? await api.PostAsync($"/api/v1/webhooks/{id}/signing/rotate", null) : await api.PostAsJsonAsync($"/api/v1/webhooks/{id}/signing/rotate", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    [Fact]
    public async Task A_standard_webhook_created_without_a_secret_gets_one_shown_once_and_a_rotation_overlaps_both()
    {
        var api = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var (id, created, view) = await CreateAsync(api, "/std", "standard");
        var first = created["signing"]!["secret"]!.GetValue<string>();
        Assert.StartsWith("whsec_", first);
        var read = await api.GetStringAsync($"/api/v1/webhooks/{id}");
        Assert.DoesNotContain(first["whsec_".Length..], read);
        Assert.True(VerifiesWith(await DeliverAsync(view, "/std"), first));

        // Rotate with the default grace: two signatures; a receiver with either secret accepts.
        var rotated = await RotateAsync(api, id, null);
        var second = rotated["secret"]!.GetValue<string>();
        var until = rotated["previousValidUntil"]!.GetValue<DateTime>();
        Assert.InRange(until, DateTime.UtcNow.AddHours(23.9), DateTime.UtcNow.AddHours(24.1));
        Assert.NotEqual(first, second);
        var during = await DeliverAsync(view, "/std");
        Assert.Equal(2, Signatures(during, "v1").Count);
        Assert.True(VerifiesWith(during, first), "the old secret no longer verifies during the grace period");
        Assert.True(VerifiesWith(during, second), "the new secret does not verify");
        Assert.Equal(until, JsonNode.Parse(await api.GetStringAsync($"/api/v1/webhooks/{id}"))!["signing"]!["previousValidUntil"]!.GetValue<DateTime>());
        Assert.DoesNotContain(second["whsec_".Length..], await api.GetStringAsync($"/api/v1/webhooks/{id}"));

        // After the grace period: only the new secret.
        await using (var db = await factory.Service<IDbContextFactory<AppDbContext>>().CreateDbContextAsync())
        {
            // The grace period ends (moved into the past, as time would; the webhooks the lane holds are read again).
            await db.Webhooks.Where(w => w.Id == id).ExecuteUpdateAsync(s => s
                .SetProperty(w => w.PreviousSigningSecretUntil, DateTime.UtcNow.AddSeconds(-1)).SetProperty(w => w.UpdatedAt, DateTime.UtcNow));
        }
        factory.Service<WebhookChanges>().Changed();
        await Eventually.WaitAsync(async () => (await factory.Service<WebhookService>().GetAsync(id, Actor.System))!.Signing.PreviousValidUntil, v => v is null, TimeSpan.FromSeconds(5), "the read to drop the grace");
        var after = await DeliverAsync(view, "/std");
        Assert.Single(Signatures(after, "v1"));
        Assert.False(VerifiesWith(after, first));
        Assert.True(VerifiesWith(after, second));
    }

    [Fact]
    public async Task A_rotation_without_grace_and_a_github_rotation_replace_the_secret_at_once_and_say_so()
    {
        var api = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var (id, created, view) = await CreateAsync(api, "/nograce", "standard");
        var first = created["signing"]!["secret"]!.GetValue<string>();
        var rotated = await RotateAsync(api, id, new { graceHours = 0 });
        Assert.Null(rotated["previousValidUntil"]);
        var r = await DeliverAsync(view, "/nograce");
        Assert.False(VerifiesWith(r, first));
        Assert.True(VerifiesWith(r, rotated["secret"]!.GetValue<string>()));

        var (githubId, _, githubView) = await CreateAsync(api, "/gh", "github", "an-old-github-secret-1234");
        var github = await RotateAsync(api, githubId, new { graceHours = 24 });
        Assert.Null(github["previousValidUntil"]);
        Assert.Contains("one secret only", github["note"]!.GetValue<string>());
        var newSecret = github["secret"]!.GetValue<string>();
        var delivered = await DeliverAsync(githubView, "/gh");
        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(newSecret), Encoding.UTF8.GetBytes(delivered.Body))),
            delivered.Headers["X-Hub-Signature-256"]);
    }

    [Fact]
    public async Task Ed25519_keys_are_made_by_the_console_and_signatures_verify_with_the_public_key_across_a_rotation()
    {
        var api = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var (id, created, view) = await CreateAsync(api, "/ed", "standard-ed25519");
        Assert.Equal("standard-ed25519", created["signing"]!["scheme"]!.GetValue<string>());
        Assert.Null(created["signing"]!["secret"]); // the secret key never leaves
        var firstKey = created["signing"]!["publicKey"]!.GetValue<string>();
        Assert.StartsWith("whpk_", firstKey);
        var stored = await factory.WebhookAsync(id);
        Assert.True(SecretProtector.IsProtected(stored.SigningSecret), "the secret key is stored encrypted");

        var r = await DeliverAsync(view, "/ed");
        Assert.Matches("^v1a,[A-Za-z0-9+/=]{88}$", r.Headers["webhook-signature"]);
        Assert.True(VerifiesWithPublicKey(r, firstKey));
        // A changed body does not verify: the signature covers id, timestamp and body.
        Assert.False(VerifiesWithPublicKey(r with { Body = r.Body + " " }, firstKey));

        var rotated = await RotateAsync(api, id, new { graceHours = 2 });
        Assert.Null(rotated["secret"]);
        var secondKey = rotated["publicKey"]!.GetValue<string>();
        Assert.NotEqual(firstKey, secondKey);
        var during = await DeliverAsync(view, "/ed");
        Assert.Equal(2, Signatures(during, "v1a").Count);
        Assert.True(VerifiesWithPublicKey(during, firstKey));
        Assert.True(VerifiesWithPublicKey(during, secondKey));
        Assert.Equal(secondKey, JsonNode.Parse(await api.GetStringAsync($"/api/v1/webhooks/{id}"))!["signing"]!["publicKey"]!.GetValue<string>());
    }

    [Fact]
    public async Task Rotation_is_refused_with_what_to_fix()
    {
        var api = await factory.CreateApiClientAsync(ApiScopes.WebhooksManage);
        var (id, _, _) = await CreateAsync(api, "/refused", "standard");
        Assert.Contains("graceHours", (await RotateAsync(api, id, new { graceHours = 1000 }, HttpStatusCode.BadRequest))["detail"]!.GetValue<string>());
        await RotateAsync(api, Guid.NewGuid(), null, HttpStatusCode.NotFound);
        var (unsigned, _, _) = await CreateAsync(api, "/unsigned", "none");
        Assert.Contains("not signed", (await RotateAsync(api, unsigned, null, HttpStatusCode.BadRequest))["detail"]!.GetValue<string>());
        var jobsOnly = await factory.CreateApiClientAsync(ApiScopes.JobsManage);
        Assert.Equal(HttpStatusCode.Forbidden, (await jobsOnly.PostAsync($"/api/v1/webhooks/{id}/signing/rotate", null)).StatusCode);
        var support = new Actor("s", "support", false, new HashSet<string> { Roles.Support }, new HashSet<string>());
        await Assert.ThrowsAsync<ForbiddenException>(() => factory.Service<SecretRotation>().RotateAsync(support, id, null));
        // A standard-ed25519 key that is not one is refused at create.
        var bad = await api.PostAsJsonAsync("/api/v1/webhooks", new JsonObject
        {
            ["name"] = "Bad key", ["scope"] = "Kapp", ["kapp"] = "badkey", ["type"] = "Submission", ["event"] = "Submitted",
            ["url"] = _receiver.Status("/x", 200), ["signing"] = new JsonObject { ["scheme"] = "standard-ed25519", ["secret"] = "whsk_notbase64!" },
        });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("whsk_", await bad.Content.ReadAsStringAsync());
    }
}
