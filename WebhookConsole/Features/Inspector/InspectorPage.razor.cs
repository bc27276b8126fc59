using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Inspector;

public partial class InspectorPage : IDisposable
{
    [Inject] private InspectorStore Store { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;

    private string? _selected;
    private string _newBin = "demo";
    private int _status = 200;
    private int _delay;
    private BinContent _content = BinContent.Json;
    private string _body = "";
    private Timer? _throttle;
    private int _dirty;

    private string BaseUrl => Navigation.BaseUri;
    private InspectorStore.Bin? SelectedBin => _selected is null ? null : Store.Find(_selected);

    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;
    private string _user = "";

    /// <summary>Credentials that reached a bin are not shown: the bin's address is public, the page is not meant to be a key store.</summary>
    private static string Masked(string name, string value) =>
        name.Equals("Authorization", StringComparison.OrdinalIgnoreCase) || name.Equals("Proxy-Authorization", StringComparison.OrdinalIgnoreCase)
            ? (value.IndexOf(' ') is var space and > 0 ? value[..space] + " ••••" : "••••")
            : name.Equals("Cookie", StringComparison.OrdinalIgnoreCase) || (WebhookConsole.Security.CredentialHeaders.IsCredentialLike(name) && !name.Contains("signature", StringComparison.OrdinalIgnoreCase)) ? "••••" : value;

    protected override async Task OnInitializedAsync()
    {
        _user = (await AuthState).User.Identity?.Name ?? "";
        _selected = Store.Bins.FirstOrDefault()?.Name;
        LoadResponse();
        Store.Changed += OnChanged;
        // Arrivals mark the page dirty; it redraws at most twice a second, so a burst cannot flood the browser.
        _throttle = new Timer(_ =>
        {
            if (Interlocked.Exchange(ref _dirty, 0) == 1) InvokeAsync(StateHasChanged);
        }, null, 500, 500);
    }

    private void OnChanged(string bin) => Interlocked.Exchange(ref _dirty, 1);

    private void Select(string? name)
    {
        _selected = name;
        LoadResponse();
    }

    private void LoadResponse()
    {
        var response = SelectedBin?.Response ?? new BinResponse();
        (_status, _delay, _content, _body) = (response.StatusCode, response.DelayMilliseconds, response.Content, response.Body);
    }

    private void CreateBin()
    {
        var name = _newBin.Trim();
        if (!InspectorStore.IsValidName(name))
        {
            Snackbar.Add("A bin name has letters, digits, '-' and '_' (64 at most).", Severity.Error);
            return;
        }
        Store.Create(name, _user);
        Select(name);
    }

    private void SaveResponse()
    {
        if (_selected is null) return;
        if (Store.Configure(_selected, new BinResponse(_status, _content == BinContent.Empty ? "" : _body, _content, _delay)) is { } problem)
        {
            Snackbar.Add(problem, Severity.Error);
            return;
        }
        Snackbar.Add($"Bin '{_selected}' now answers {_status}{(_delay > 0 ? $" after {_delay} ms" : "")}.", Severity.Success);
    }

    private async Task DeleteAsync()
    {
        if (_selected is null) return;
        if (await Dialogs.ShowMessageBoxAsync("Delete bin", $"Delete '{_selected}' and its requests?", yesText: "Delete", cancelText: "Cancel") != true) return;
        Store.Delete(_selected);
        Select(Store.Bins.FirstOrDefault()?.Name);
    }

    public void Dispose()
    {
        Store.Changed -= OnChanged;
        _throttle?.Dispose();
    }
}
