using System.Text;
using Microsoft.EntityFrameworkCore;
using WebhookConsole.Data.Entities;
using WebhookConsole.Data.Sqlite;

namespace WebhookConsole.Features.Jobs;

public enum StatusClass { Any, Success2xx, Redirect3xx, Client4xx, Server5xx, NoResponse }

public sealed record JobQuery(
    JobStatus? Status = null, IReadOnlyCollection<JobStatus>? Statuses = null, Guid? WebhookId = null, string? Type = null, string? Action = null,
    StatusClass StatusClass = StatusClass.Any, DateTime? From = null, DateTime? To = null, string? Text = null, int Limit = 50, string? PageToken = null);

public sealed record JobRow(Guid Id, Guid WebhookId, string WebhookName, Guid? EventId, string EventType, string EventAction, JobStatus Status,
    string? Summary, int AttemptCount, string Url, DateTime CreatedAt, DateTime? NextAttemptAt, DateTime? CompletedAt, bool Edited);

public sealed record JobPage(IReadOnlyList<JobRow> Items, string? NextPageToken);

/// <summary>
/// What a jobs query means in SQL: the filters (stated so that SQLite picks the partial status indexes) and the
/// keyset cursor over (CreatedAt, Id) that the page token carries.
/// </summary>
public static class JobFilter
{
    /// <summary>
    /// Text that the word index cannot find (it starts or ends inside a word) is scanned for this far back when
    /// no range is given, so the scan reads a bounded slice of the history.
    /// </summary>
    public static readonly TimeSpan DefaultSearchWindow = TimeSpan.FromDays(7);

    /// <summary>LIKE's pattern for "contains <paramref name="text"/>", its own characters escaped.</summary>
    public static string LikePattern(string text) =>
        "%" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%";

    /// <summary>The escape character of the LIKE patterns, stated in the SQL so no server setting changes it.</summary>
    private const string LikeEscape = "\\";

    /// <param name="window">Bound a text scan to <see cref="DefaultSearchWindow"/> when no range is given.</param>
    /// <param name="sqlite">
    /// On SQLite the text match is a substring test (instr, case-sensitive as LIKE is on PostgreSQL) on the body as
    /// text (<see cref="PayloadText"/>: stored compressed); on PostgreSQL <c>LIKE '%text%'</c> with an explicit escape.
    /// </param>
    public static IQueryable<WebhookJob> Apply(IQueryable<WebhookJob> query, JobQuery q, DateTime now, bool sqlite, bool window = true)
    {
        if (q.Status is { } status) query = query.Where(j => j.Status == status);
        if (q.Statuses is { Count: > 0 } statuses) query = query.Where(j => statuses.Contains(j.Status));
        // The status indexes hold only the unfinished jobs (WebhookJobConfiguration); SQLite uses a partial index
        // only when the query states its condition.
        if ((q.Status ?? q.Statuses?.FirstOrDefault()) is { } && q.Status != JobStatus.Succeeded && q.Statuses?.Contains(JobStatus.Succeeded) != true)
        {
            query = query.Where(j => j.Status != JobStatus.Succeeded);
        }
        if (q.WebhookId is { } webhookId) query = query.Where(j => j.WebhookId == webhookId);
        if (!string.IsNullOrEmpty(q.Type)) query = query.Where(j => j.EventType == q.Type);
        if (!string.IsNullOrEmpty(q.Action)) query = query.Where(j => j.EventAction == q.Action);
        if (q.From is { } from) query = query.Where(j => j.CreatedAt >= from);
        if (q.To is { } to) query = query.Where(j => j.CreatedAt < to);
        query = q.StatusClass switch
        {
            StatusClass.Success2xx => query.Where(j => j.LastStatusCode >= 200 && j.LastStatusCode < 300),
            StatusClass.Redirect3xx => query.Where(j => j.LastStatusCode >= 300 && j.LastStatusCode < 400),
            StatusClass.Client4xx => query.Where(j => j.LastStatusCode >= 400 && j.LastStatusCode < 500),
            StatusClass.Server5xx => query.Where(j => j.LastStatusCode >= 500),
            StatusClass.NoResponse => query.Where(j => j.LastStatusCode == null && j.AttemptCount > 0),
            _ => query,
        };
        if (!string.IsNullOrWhiteSpace(q.Text))
        {
            var text = q.Text.Trim();
            if (q.From is null && window)
            {
                var since = now - DefaultSearchWindow;
                query = query.Where(j => j.CreatedAt >= since);
            }
            if (!sqlite)
            {
                var pattern = LikePattern(text);
                query = query.Where(j => EF.Functions.Like(j.Url, pattern, LikeEscape) || EF.Functions.Like(j.RequestBody, pattern, LikeEscape)
                    || j.Attempts.Any(a => a.ResponseBodyLength > 0 && a.ResponseBody != null && EF.Functions.Like(a.ResponseBody, pattern, LikeEscape)));
            }
            else
            {
                query = query.Where(j => j.Url.Contains(text) || PayloadText.Contains(j.RequestBody, text) || j.Attempts.Any(a => a.ResponseBodyLength > 0 && a.ResponseBody != null && a.ResponseBody.Contains(text)));
            }
        }
        return query;
    }

    public static string EncodeToken(DateTime createdAt, Guid id) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{createdAt.Ticks}:{id}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static (DateTime CreatedAt, Guid Id)? DecodeToken(string? token)
    {
        if (string.IsNullOrEmpty(token)) return null;
        try
        {
            var padded = token.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(padded)).Split(':');
            return (new DateTime(long.Parse(parts[0]), DateTimeKind.Utc), Guid.Parse(parts[1]));
        }
        catch (Exception ex) when (ex is FormatException or IndexOutOfRangeException or ArgumentException or OverflowException)
        {
            throw new InvalidPageTokenException();
        }
    }
}

public sealed class InvalidPageTokenException() : Exception("The page token is not one this API gave out; start again without it.");
