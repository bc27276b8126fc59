using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using WebhookConsole.Data.Entities;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Jobs;

/// <summary>One job: what it sends, its edits, its attempts, and the actions of someone who may manage jobs; followed while in flight.</summary>
public partial class JobDetailPage : IDisposable
{
    [Inject] private JobsService Jobs { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private ICurrentUser Me { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    private WebhookJob? _job;
    private bool _loading = true;
    private bool _busy;
    private bool _canManage;
    private Actor _actor = default!;
    private Timer? _timer;

    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    [Parameter] public Guid Id { get; set; }

    protected override async Task OnParametersSetAsync()
    {
        _actor = Actor.From((await AuthState).User);
        _canManage = _actor.CanManageJobs;
        _loading = true;
        _job = await Jobs.GetAsync(Id);
        _loading = false;
        // While the job is in flight, follow it: attempts and the final status appear without a reload.
        _timer ??= new Timer(_ => InvokeAsync(async () =>
        {
            if (_job?.Status is not (JobStatus.Pending or JobStatus.Received) || _busy) return;
            _job = await Jobs.GetAsync(Id);
            StateHasChanged();
        }), null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));
    }

    private async Task RetryAsync() => await RunAsync(async () => await Jobs.RetryAsync(await Me.ActorAsync(), Id));

    private async Task EditAndRetryAsync()
    {
        if (await EditRetryDialog.ShowAsync(Dialogs, _job!) is { } edit) await RunAsync(async () => await Jobs.RetryAsync(await Me.ActorAsync(), Id, edit));
    }

    private async Task RetryWithCurrentWebhookAsync()
    {
        if (await JobConfirmations.RetryWithCurrentSettingsAsync(Dialogs)) await RunAsync(async () => await Jobs.RetryAsync(await Me.ActorAsync(), Id, new RetryRequest(null, null, UseCurrentWebhook: true)));
    }

    private async Task AbandonAsync()
    {
        if (await JobConfirmations.AbandonAsync(Dialogs)) await RunAsync(async () => await Jobs.AbandonAsync(await Me.ActorAsync(), Id));
    }

    private async Task RunAsync(Func<Task<ActionResult>> action)
    {
        _busy = true;
        try
        {
            var result = await action();
            Snackbar.Add(result.Message, result.Status == ActionStatus.Ok ? Severity.Success : Severity.Error);
            _job = await Jobs.GetAsync(Id);
        }
        finally
        {
            _busy = false;
        }
    }

    public void Dispose() => _timer?.Dispose();
}
