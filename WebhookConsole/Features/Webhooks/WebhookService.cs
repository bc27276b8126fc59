using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Auditing;
using WebhookConsole.Catalog;
using WebhookConsole.Common;
using WebhookConsole.Data;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Sending;
using WebhookConsole.Events;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Webhooks;

/// <summary>Reads and changes webhooks for the pages and the API alike; every change is checked, audited and versioned.</summary>
public sealed class WebhookService(IDbContextFactory<AppDbContext> dbFactory, WebhookValidator validator, AuditLog audit, WebhookChanges changes, Dispatching.Lanes.RecoverySignal recovery,
    SecretProtector secrets, TimeProvider time)
{
    public async Task<PagedResult<WebhookView>> ListAsync(WebhookQuery q, Actor? reader = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var query = db.Webhooks.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(q.Search))
        {
            var term = q.Search.Trim().ToUpperInvariant();
            query = query.Where(w => w.NormalizedName.Contains(term));
        }
        if (q.Scope is { } scope) query = query.Where(w => w.Scope == scope);
        if (!string.IsNullOrEmpty(q.Type)) query = query.Where(w => w.Type == q.Type);
        if (!string.IsNullOrEmpty(q.Event)) query = query.Where(w => w.Event == q.Event);
        if (q.Enabled is { } enabled) query = query.Where(w => w.Enabled == enabled);

        var total = await query.CountAsync(ct);
        query = (q.SortBy, q.Descending) switch
        {
            ("type", false) => query.OrderBy(w => w.Type).ThenBy(w => w.Event).ThenBy(w => w.NormalizedName),
            ("type", true) => query.OrderByDescending(w => w.Type).ThenByDescending(w => w.Event).ThenBy(w => w.NormalizedName),
            ("scope", false) => query.OrderBy(w => w.Scope).ThenBy(w => w.Kapp).ThenBy(w => w.NormalizedName),
            ("scope", true) => query.OrderByDescending(w => w.Scope).ThenByDescending(w => w.Kapp).ThenBy(w => w.NormalizedName),
            ("enabled", false) => query.OrderBy(w => w.Enabled).ThenBy(w => w.NormalizedName),
            ("enabled", true) => query.OrderByDescending(w => w.Enabled).ThenBy(w => w.NormalizedName),
            ("updated", false) => query.OrderBy(w => w.UpdatedAt),
            ("updated", true) => query.OrderByDescending(w => w.UpdatedAt),
            (_, true) => query.OrderByDescending(w => w.NormalizedName),
            _ => query.OrderBy(w => w.NormalizedName),
        };
        var pageSize = Math.Clamp(q.PageSize, 1, 500);
        var rows = await query.Skip(Math.Max(0, q.Page) * pageSize).Take(pageSize).ToListAsync(ct);
        return new PagedResult<WebhookView>(rows.Select(w => View(w, reader)).ToList(), total);
    }

    /// <summary>A webhook; the callback secret is in it only for a reader who may manage webhooks (Admins, webhook keys).</summary>
    public async Task<WebhookView?> GetAsync(Guid id, Actor? reader = null, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var w = await db.Webhooks.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        return w is null ? null : View(w, reader);
    }

    private WebhookView View(Webhook stored, Actor? reader) =>
        WebhookView.From(stored, reader?.CanManageWebhooks == true ? secrets.Reveal(stored.CallbackSecret) : null);

    public async Task<SaveResult> CreateAsync(Actor actor, WebhookInput input, CancellationToken ct = default)
    {
        actor.Require(actor.CanManageWebhooks, "create webhooks");
        var now = time.GetUtcNow().UtcDateTime;
        var w = new Webhook { Id = Guid.CreateVersion7(), CreatedAt = now, CreatedBy = actor.Name, Version = 1 };
        var parseErrors = Apply(w, input, creating: true, now, out var generated);
        var result = await SaveAsync(actor, w, null, parseErrors, "created", ct);
        // A secret the console chose is shown this once, in the reply to the create.
        return generated is null || result.Webhook is not { } view ? result : result with { Webhook = view with { Signing = view.Signing with { Secret = generated } } };
    }

    /// <summary>With <see cref="WebhookInput.Version"/>, applies to that version only (a change made meanwhile is reported);
    /// without, to the latest: a change landing between read and save (the engine disabling it) is read again.</summary>
    public async Task<SaveResult> UpdateAsync(Actor actor, Guid id, WebhookInput input, CancellationToken ct = default)
    {
        actor.Require(actor.CanManageWebhooks, "edit webhooks");
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var w = await db.Webhooks.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
            if (w is null) return SaveResult.Fail(SaveStatus.NotFound, "There is no webhook with this id; it may have been deleted.");
            if (input.Version is { } v && v != w.Version) return StaleResult(w);
            secrets.RevealSecrets(w); // validated and saved again as plain values, encrypted on the way back
            var before = Snapshot(w);
            var parseErrors = Apply(w, input, creating: false, time.GetUtcNow().UtcDateTime);
            var result = await SaveAsync(actor, w, before, parseErrors, "updated", ct);
            if (result.Status != SaveStatus.Conflict || input.Version is not null || attempt == 3) return result;
        }
    }

    public Task<SaveResult> SetEnabledAsync(Actor actor, Guid id, bool enabled, long? version = null, CancellationToken ct = default) => UpdateAsync(actor, id, new WebhookInput { Enabled = enabled, Version = version }, ct);

    /// <summary>A disabled copy named "… (copy)", with the same secret (which never leaves the server).</summary>
    public async Task<SaveResult> CloneAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        actor.Require(actor.CanManageWebhooks, "create webhooks");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var source = await db.Webhooks.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (source is null) return SaveResult.Fail(SaveStatus.NotFound, "There is no webhook with this id; it may have been deleted.");
        var name = $"{source.Name} (copy)";
        for (var n = 2; await NameTakenAsync(db, source.Scope, source.Kapp, name, null, ct); n++) name = $"{source.Name} (copy {n})";

        var now = time.GetUtcNow().UtcDateTime;
        var copy = Copy(source);
        secrets.RevealSecrets(copy);
        copy.Id = Guid.CreateVersion7();
        copy.Name = name;
        copy.NormalizedName = name.ToUpperInvariant();
        copy.Enabled = false;
        copy.DisabledReason = null;
        copy.ConsecutiveFailures = 0;
        copy.CallbackSecret = source.AsyncAck ? SigningSecrets.NewCallbackSecret() : null;
        copy.CreatedAt = copy.UpdatedAt = now;
        copy.CreatedBy = copy.UpdatedBy = actor.Name;
        copy.Version = 1;
        return await SaveAsync(actor, copy, null, [], $"cloned from {source.Name}", ct);
    }

    public async Task<SaveStatus> DeleteAsync(Actor actor, Guid id, CancellationToken ct = default)
    {
        actor.Require(actor.CanManageWebhooks, "delete webhooks");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var w = await db.Webhooks.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (w is null) return SaveStatus.NotFound;
        db.Webhooks.Remove(w);
        audit.Record(db, actor, "Webhook", w.Id.ToString(), w.Name, "deleted", Snapshot(w), null);
        await db.SaveChangesAsync(ct);
        changes.Changed();
        return SaveStatus.Ok;
    }

    private async Task<SaveResult> SaveAsync(Actor actor, Webhook w, Dictionary<string, string?>? before, Dictionary<string, string[]> parseErrors, string action, CancellationToken ct)
    {
        var errors = parseErrors.Count > 0 ? parseErrors : validator.Validate(w);
        if (errors.Count > 0) return SaveResult.Invalid(errors);
        var after = Snapshot(w);
        secrets.ProtectSecrets(w);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await NameTakenAsync(db, w.Scope, w.Kapp, w.Name, w.Id, ct))
        {
            return SaveResult.Fail(SaveStatus.Duplicate, w.Scope == WebhookScope.Kapp
                ? $"The kapp '{w.Kapp}' already has a webhook named '{w.Name}'; choose another name."
                : $"The space already has a webhook named '{w.Name}'; choose another name.");
        }

        w.UpdatedAt = time.GetUtcNow().UtcDateTime;
        w.UpdatedBy = actor.Name;
        if (before is null)
        {
            db.Webhooks.Add(w);
        }
        else
        {
            var loadedVersion = w.Version;
            db.Webhooks.Attach(w);
            db.Entry(w).State = EntityState.Modified;
            // The WHERE clause checks the version read; a save in between makes this one fail.
            db.Entry(w).Property(x => x.Version).OriginalValue = loadedVersion;
            w.Version = loadedVersion + 1;
        }
        if (before is not null && AuditLog.Diff(before, after).Count == 0) return new SaveResult(View(w, actor), SaveStatus.Ok);
        audit.Record(db, actor, "Webhook", w.Id.ToString(), w.Name, action, before, after);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            await using var fresh = await dbFactory.CreateDbContextAsync(ct);
            var current = await fresh.Webhooks.AsNoTracking().FirstOrDefaultAsync(x => x.Id == w.Id, ct);
            return current is null ? SaveResult.Fail(SaveStatus.NotFound, "This webhook was deleted meanwhile.") : StaleResult(current);
        }
        catch (DbUpdateException)
        {
            // The unique index caught a name taken between the check above and this save.
            if (!await NameTakenAsync(dbFactory, w, ct)) throw;
            return SaveResult.Fail(SaveStatus.Duplicate, $"A webhook named '{w.Name}' was just created in the same scope; choose another name.");
        }
        changes.Changed();
        // Enabling releases the jobs held while the webhook was off.
        if (w.Enabled && before?["enabled"] == "False") recovery.Wake();
        return new SaveResult(View(w, actor), SaveStatus.Ok);
    }

    private static SaveResult StaleResult(Webhook current) => SaveResult.Fail(SaveStatus.Conflict,
        $"{current.UpdatedBy ?? "Someone"} saved this webhook at {current.UpdatedAt:yyyy-MM-dd HH:mm:ss} UTC after you opened it. Reload to see their changes, then make yours again.");

    private static Task<bool> NameTakenAsync(AppDbContext db, WebhookScope scope, string kapp, string name, Guid? except, CancellationToken ct)
    {
        var normalized = name.Trim().ToUpperInvariant();
        return db.Webhooks.AnyAsync(x => x.Scope == scope && x.Kapp == kapp && x.NormalizedName == normalized && x.Id != except, ct);
    }

    private static async Task<bool> NameTakenAsync(IDbContextFactory<AppDbContext> factory, Webhook w, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await NameTakenAsync(db, w.Scope, w.Kapp, w.Name, w.Id, ct);
    }

    /// <summary>Copies the input onto the entity; unparseable enum values come back as field errors.</summary>
    private static Dictionary<string, string[]> Apply(Webhook w, WebhookInput i, bool creating, DateTime now) => Apply(w, i, creating, now, out _);

    /// <param name="generated">A signing secret generated because none was given, to be shown once.</param>
    private static Dictionary<string, string[]> Apply(Webhook w, WebhookInput i, bool creating, DateTime now, out string? generated)
    {
        var errors = new Dictionary<string, string[]>();
        if (i.Name is not null || creating) w.Name = (i.Name ?? "").Trim();
        w.NormalizedName = w.Name.ToUpperInvariant();
        if (i.Scope is not null || creating)
        {
            if (EnumNames.TryParse<WebhookScope>(i.Scope ?? "Space", out var scope)) w.Scope = scope;
            else errors["scope"] = ["The scope is Space or Kapp."];
        }
        if (i.Kapp is not null || creating) w.Kapp = (i.Kapp ?? "").Trim();
        // Moving a webhook to the Space scope without naming a kapp drops the old one.
        else if (i.Scope is not null && w.Scope == WebhookScope.Space) w.Kapp = "";
        if (i.Type is not null || creating) w.Type = i.Type?.Trim() ?? "";
        if (i.Event is not null || creating) w.Event = i.Event?.Trim() ?? "";
        if (EventCatalog.Find(w.Type) is { } t) w.Type = t.Type;
        if (EventCatalog.FindAction(w.Type, w.Event) is { } a) w.Event = a;
        if (i.Form is not null || creating) w.Form = string.IsNullOrWhiteSpace(i.Form) ? null : i.Form.Trim();
        if (i.Filter is not null || creating) w.Filter = i.Filter ?? "";
        if (i.Url is not null || creating) w.Url = i.Url?.Trim() ?? "";
        if (i.Headers is not null || creating) w.Headers = ApplyHeaders(w.Headers, i.Headers ?? []);
        if (i.PayloadFormat is not null || creating)
        {
            if (EnumNames.TryParse<PayloadFormat>(i.PayloadFormat ?? "kinetic", out var format)) w.PayloadFormat = format;
            else errors["payloadFormat"] = ["The payload format is kinetic, portal, doforms or jodoo."];
        }
        if (i.FieldAliases is not null || creating) w.FieldAliases = new Dictionary<string, string>(i.FieldAliases ?? []);
        generated = SigningRules.Apply(w, i.Signing, creating, errors);
        if (i.IncludeApiEvents is { } api) w.IncludeApiEvents = api;
        if (i.AsyncAck is { } ack) w.AsyncAck = ack;
        if (i.Synchronous is { } synchronous) w.Synchronous = synchronous;
        if (i.MaxDeliveriesPerSecond is { } rate) w.MaxDeliveriesPerSecond = rate;
        if (i.MaxConcurrentDeliveries is { } concurrent) w.MaxConcurrentDeliveries = concurrent;
        if (w.AsyncAck && w.CallbackSecret is null) w.CallbackSecret = SigningSecrets.NewCallbackSecret();
        if (i.TimeoutSeconds is { } timeout) w.TimeoutSeconds = timeout;
        else if (creating) w.TimeoutSeconds = 15;
        if (i.Enabled is { } enabled && enabled != w.Enabled)
        {
            w.Enabled = enabled;
            // Turning a webhook back on clears what the system recorded when it turned it off.
            w.DisabledReason = null;
            w.DisabledAt = enabled ? null : now;
            if (enabled) w.ConsecutiveFailures = 0;
        }
        else if (creating && i.Enabled is null)
        {
            w.Enabled = true;
        }
        return errors;
    }

    /// <summary>
    /// The headers as written. A secret header's value is write-only: sent without one, a header that already had a
    /// value under that name keeps it (plain here: the webhook being edited has its secrets revealed).
    /// </summary>
    private static List<HeaderEntry> ApplyHeaders(List<HeaderEntry> current, List<HeaderInput> input) => input.Select(h =>
    {
        var name = h.Name?.Trim() ?? "";
        var secret = h.Secret ?? CredentialHeaders.IsCredentialLike(name);
        var value = h.Value ?? "";
        if (secret && value.Length == 0 && current.FirstOrDefault(c => c.Secret && string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)) is { } kept)
        {
            value = kept.Value;
        }
        return new HeaderEntry(name, value, secret);
    }).ToList();

    private static Webhook Copy(Webhook w) =>
        JsonSerializer.Deserialize<Webhook>(JsonSerializer.Serialize(w))!;

    /// <summary>The audited fields of a webhook, as text, with secrets masked.</summary>
    /// <summary>The fields as the audit log records them (also what tells a save that changes nothing).</summary>
    internal static Dictionary<string, string?> Snapshot(Webhook w) => WebhookAudit.Snapshot(w);
}
