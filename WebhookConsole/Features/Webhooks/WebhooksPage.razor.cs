using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using WebhookConsole.Catalog;
using WebhookConsole.Data.Entities;
using WebhookConsole.Events;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Webhooks;

public partial class WebhooksPage
{
    [Inject] private WebhookService Webhooks { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private ICurrentUser Me { get; set; } = default!;

    private MudTable<WebhookView>? _table;
    private Actor? _actor;
    private string? _search;
    private string _scope = "";
    private string? _type;
    private string? _event;
    private string _enabled = "";
    private bool _filtered;

    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    private IEnumerable<EventTypeInfo> TypeChoices =>
        _scope is "Space" or "Kapp" ? EventCatalog.ForScope(Enum.Parse<WebhookScope>(_scope)) : EventCatalog.Types;

    protected override async Task OnInitializedAsync() => _actor = Actor.From((await AuthState).User);

    private async Task<TableData<WebhookView>> LoadAsync(TableState state, CancellationToken ct)
    {
        WebhookScope? scope = _scope is "" ? null : Enum.Parse<WebhookScope>(_scope);
        bool? enabled = _enabled is "" ? null : bool.Parse(_enabled);
        _filtered = !string.IsNullOrWhiteSpace(_search) || scope is not null || _type is not null || _event is not null || enabled is not null;
        var result = await Webhooks.ListAsync(new WebhookQuery(_search, scope, _type, _event, enabled,
            state.SortLabel ?? "name", state.SortDirection == SortDirection.Descending, state.Page, state.PageSize), ct: ct);
        return new TableData<WebhookView> { Items = result.Items, TotalItems = result.Total };
    }

    private async Task OnSearchChanged(string? value)
    {
        _search = value;
        await ReloadAsync();
    }

    private async Task SetAndReload(Action set)
    {
        set();
        await ReloadAsync();
    }

    private Task ReloadAsync() => _table?.ReloadServerData() ?? Task.CompletedTask;

    private async Task CloneAsync(WebhookView w)
    {
        var result = await Webhooks.CloneAsync(await Me.ActorAsync(), w.Id);
        if (result.Status != SaveStatus.Ok)
        {
            Snackbar.Add(result.Message ?? "The clone failed.", Severity.Error);
            return;
        }
        Snackbar.Add($"Created '{result.Webhook!.Name}' (disabled). Review it, then enable it.", Severity.Success);
        Navigation.NavigateTo($"/webhooks/{result.Webhook.Id}");
    }

    private async Task ToggleAsync(WebhookView w)
    {
        var result = await Webhooks.SetEnabledAsync(await Me.ActorAsync(), w.Id, !w.Enabled);
        Snackbar.Add(result.Status == SaveStatus.Ok ? $"'{w.Name}' is {(w.Enabled ? "disabled" : "enabled")}." : result.Message ?? "", result.Status == SaveStatus.Ok ? Severity.Success : Severity.Error);
        await ReloadAsync();
    }

    private async Task DeleteAsync(WebhookView w)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync("Delete webhook",
            $"Delete '{w.Name}'? It stops firing at once. Its past deliveries stay in the job history.",
            yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true) return;
        var status = await Webhooks.DeleteAsync(await Me.ActorAsync(), w.Id);
        Snackbar.Add(status == SaveStatus.Ok ? $"Deleted '{w.Name}'." : "It was already deleted.", status == SaveStatus.Ok ? Severity.Success : Severity.Warning);
        await ReloadAsync();
    }
}
