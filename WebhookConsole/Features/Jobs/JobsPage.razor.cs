using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using WebhookConsole.Data.Entities;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Jobs;

public partial class JobsPage
{
    private const int PageSize = 50;
    private int _tab;
    private JobPage? _page;
    private bool _loading;
    private (int All, int Failures, int Pending) _counts;
    private IReadOnlyList<WebhookChoice> _webhooks = [];
    private readonly Stack<string?> _tokens = new();
    private string? _current;
    private HashSet<JobRow> _selected = [];
    private Guid? _webhook;
    private string? _type;
    private StatusClass _class;
    private DateRange? _range;
    private string? _text;
    private Timer? _timer;
    [Inject] private ICurrentUser Me { get; set; } = default!;
    private Actor _actor = default!;
    private bool _canManage;

    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;
    [SupplyParameterFromQuery(Name = "tab")] public string? Tab { get; set; }
    [SupplyParameterFromQuery(Name = "webhook")] public Guid? WebhookFilter { get; set; }

    private bool _live => _tokens.Count == 0 && _selected.Count == 0;
    private bool Filtered => _webhook is not null || _type is not null || _class != StatusClass.Any || _range is not null || !string.IsNullOrWhiteSpace(_text);

    private static string Count(int n) => n > 10_000 ? "10,000+" : n.ToString("N0");

    protected override async Task OnInitializedAsync()
    {
        _actor = Actor.From((await AuthState).User);
        _canManage = _actor.CanManageJobs;
        Bulk.Changed += OnBulkChanged;
        _tab = Tab switch { "failures" => 1, "pending" => 2, _ => 0 };
        _webhook = WebhookFilter;
        _webhooks = await Jobs.WebhookChoicesAsync();
        await LoadAsync();
        // New jobs and status changes appear by themselves; at most one refresh every 5 s, however busy
        // the engine is, so a burst of deliveries cannot flood the browser.
        _timer = new Timer(_ => InvokeAsync(async () =>
        {
            if (!_live || _loading) return;
            await LoadAsync(showLoading: false);
            StateHasChanged();
        }), null, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5));
    }

    private JobQuery Query(string? token) => new(
        Status: _tab == 1 ? JobStatus.Failed : null,
        Statuses: _tab == 2 ? [JobStatus.Pending, JobStatus.Received] : null,
        WebhookId: _webhook, Type: _type, StatusClass: _class,
        From: _range?.Start is { } s ? DateTime.SpecifyKind(s.Date, DateTimeKind.Utc) : null,
        To: _range?.End is { } e ? DateTime.SpecifyKind(e.Date.AddDays(1), DateTimeKind.Utc) : null,
        Text: _text, Limit: PageSize, PageToken: token);

    private async Task LoadAsync(bool showLoading = true)
    {
        _loading = showLoading;
        try
        {
            _page = await Jobs.ListAsync(Query(_current));
            _counts = await Jobs.CountsAsync();
        }
        finally
        {
            _loading = false;
        }
    }

    private async Task TabChangedAsync(int tab)
    {
        _tab = tab;
        await FirstAsync();
    }

    private async Task FilterAsync(Action set)
    {
        set();
        await FirstAsync();
    }

    private async Task FirstAsync()
    {
        _tokens.Clear();
        _current = null;
        _selected.Clear();
        await LoadAsync();
    }

    private async Task NextAsync()
    {
        if (_page?.NextPageToken is not { } next) return;
        _tokens.Push(_current);
        _current = next;
        _selected.Clear();
        await LoadAsync();
    }

    private async Task PreviousAsync()
    {
        if (_tokens.Count == 0) return;
        _current = _tokens.Pop();
        _selected.Clear();
        await LoadAsync();
    }

    private async Task RetrySelectedAsync()
    {
        var ok = 0;
        foreach (var row in _selected) if ((await Jobs.RetryAsync(await Me.ActorAsync(), row.Id)).Status == ActionStatus.Ok) ok++;
        Snackbar.Add($"{ok} job(s) queued for delivery now.", Severity.Success);
        _selected.Clear();
        await LoadAsync();
    }

    private async Task AbandonSelectedAsync()
    {
        if (!await JobConfirmations.AbandonAsync(Dialogs, _selected.Count)) return;
        var ok = 0;
        foreach (var row in _selected) if ((await Jobs.AbandonAsync(await Me.ActorAsync(), row.Id)).Status == ActionStatus.Ok) ok++;
        Snackbar.Add($"{ok} job(s) abandoned.", Severity.Success);
        _selected.Clear();
        await LoadAsync();
    }

    private async Task RetryOneAsync(Guid id) => await ReportAsync(await Jobs.RetryAsync(await Me.ActorAsync(), id));

    private async Task AbandonOneAsync(Guid id)
    {
        if (await JobConfirmations.AbandonAsync(Dialogs)) await ReportAsync(await Jobs.AbandonAsync(await Me.ActorAsync(), id));
    }

    private async Task EditAndRetryAsync(Guid id)
    {
        if (await Jobs.GetAsync(id) is not { } job) return;
        if (await EditRetryDialog.ShowAsync(Dialogs, job) is { } edit) await ReportAsync(await Jobs.RetryAsync(await Me.ActorAsync(), id, edit));
    }

    private async Task ReportAsync(ActionResult result)
    {
        Snackbar.Add(result.Message, result.Status == ActionStatus.Ok ? Severity.Success : Severity.Error);
        await LoadAsync(showLoading: false);
    }

    private void OnBulkChanged() => InvokeAsync(StateHasChanged);

    /// <summary>Svix's "recover" and Jodoo's retry / abandon of the failed cache, for the filtered webhook and range.</summary>
    private async Task StartBulkAsync(BulkKind kind)
    {
        var scope = (_webhook is { } id ? $"of '{_webhooks.FirstOrDefault(w => w.Id == id)?.Name ?? "the webhook"}'" : "of every webhook")
            + (_range?.Start is { } s ? $" from {s:yyyy-MM-dd}" : "") + (_range?.End is { } e ? $" to {e:yyyy-MM-dd}" : "");
        var verb = kind == BulkKind.Retry ? "Retry" : "Abandon";
        var confirmed = await Dialogs.ShowMessageBoxAsync($"{verb} all failures", $"{verb} every failed job {scope}? It runs in the background; you can stop it.",
            yesText: verb, cancelText: "Cancel");
        if (confirmed != true) return;
        var q = Query(null) with { Status = JobStatus.Failed, Statuses = null, Text = null, StatusClass = StatusClass.Any, PageToken = null };
        Bulk.Start(await Me.ActorAsync(), kind, q, scope);
    }

    private async Task StopBulkAsync(string id)
    {
        Bulk.Cancel(await Me.ActorAsync(), id);
        Snackbar.Add("Stopping: the operation ends within a few seconds; what it did so far stays done.", Severity.Info);
    }

    public void Dispose()
    {
        _timer?.Dispose();
        Bulk.Changed -= OnBulkChanged;
    }
}
