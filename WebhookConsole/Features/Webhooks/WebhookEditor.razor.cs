using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using WebhookConsole.Data.Entities;
using WebhookConsole.Dispatching.Sending;
using WebhookConsole.Features.Webhooks.Editor;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Webhooks;

public partial class WebhookEditor
{
    private WebhookForm? _form;
    private WebhookView? _view;
    private MudForm? _mudForm;
    private FilterSection? _filter;
    [Inject] private ICurrentUser Me { get; set; } = default!;
    private Actor? _actor;
    private bool _canEdit;
    private bool _creating;
    private bool _notFound;
    private bool _saving;
    private string? _conflict;
    private string? _summary;
    private bool _testing;
    private TestResult? _test;
    private FieldErrors _errors = FieldErrors.None;

    [Parameter] public Guid? Id { get; set; }
    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;
    [Inject] private WebhookService Webhooks { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private TestDelivery Tester { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        _actor = Actor.From((await AuthState).User);
        _canEdit = _actor.CanManageWebhooks;
        _creating = Id is null;
        if (_creating)
        {
            if (!_canEdit)
            {
                Navigation.NavigateTo("/webhooks");
                return;
            }
            _form = new WebhookForm { SigningScheme = SigningScheme.Standard, NewSecret = SigningSecrets.Generate(SigningScheme.Standard) };
            return;
        }
        await ReloadAsync();
    }

    private async Task ReloadAsync()
    {
        _view = await Webhooks.GetAsync(Id!.Value, await Me.ActorAsync());
        _notFound = _view is null;
        _form = _view is null ? null : WebhookForm.From(_view);
        _conflict = null;
        _summary = null;
        _errors = FieldErrors.None;
    }

    /// <summary>
    /// After a rotation: the new signing state, and the version the rotation made, so the open form saves over it. Only
    /// when nobody else saved meanwhile (the version moved by exactly the rotation): otherwise the save reports them.
    /// </summary>
    private async Task RotatedAsync()
    {
        var view = await Webhooks.GetAsync(Id!.Value, await Me.ActorAsync());
        if (view is null || _form is null) return;
        if (view.Version == _form.Version + 1) _form.Version = view.Version;
        _view = view;
        _form.HasSecret = view.HasSecret;
        _form.PublicKey = view.Signing.PublicKey;
        _form.PreviousValidUntil = view.Signing.PreviousValidUntil;
    }

    /// <summary>The filter as the editor holds it now, even if its last change event is still on its way.</summary>
    private async Task FlushFilterAsync()
    {
        if (_filter is not null) await _filter.FlushAsync();
    }

    /// <summary>Sends a sample event to the saved webhook now (Jodoo's Test Connection).</summary>
    private async Task SendTestAsync()
    {
        _testing = true;
        _test = null;
        try
        {
            _test = await Tester.SendAsync(await Me.ActorAsync(), Id!.Value, CancellationToken.None);
            if (_test is null) _summary = "This webhook was deleted meanwhile.";
        }
        finally
        {
            _testing = false;
        }
    }

    private async Task SaveAsync()
    {
        if (_form is null || _saving) return;
        _saving = true;
        _summary = null;
        _conflict = null;
        try
        {
            await FlushFilterAsync();
            var duplicateFields = _form.Aliases.Where(a => a.Field.Length > 0).GroupBy(a => a.Field).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            if (duplicateFields.Count > 0)
            {
                _errors = new(new Dictionary<string, string[]> { ["fieldAliases"] = [$"The field '{duplicateFields[0]}' has two aliases; keep one."] });
                _summary = "The webhook has errors; see each field.";
                return;
            }
            var input = _form.ToInput(_creating);
            var result = _creating ? await Webhooks.CreateAsync(await Me.ActorAsync(), input) : await Webhooks.UpdateAsync(await Me.ActorAsync(), Id!.Value, input);
            switch (result.Status)
            {
                case SaveStatus.Ok:
                    _errors = FieldErrors.None;
                    Snackbar.Add(_creating ? $"Created '{result.Webhook!.Name}'." : $"Saved '{result.Webhook!.Name}'.", Severity.Success);
                    if (_creating)
                    {
                        Navigation.NavigateTo($"/webhooks/{result.Webhook.Id}");
                    }
                    else
                    {
                        _view = result.Webhook;
                        _form = WebhookForm.From(result.Webhook);
                    }
                    break;
                case SaveStatus.Invalid:
                    _errors = new(result.Errors);
                    _summary = result.Message;
                    break;
                case SaveStatus.Conflict:
                    _conflict = result.Message;
                    break;
                case SaveStatus.Duplicate:
                    _errors = new(new Dictionary<string, string[]> { ["name"] = [result.Message!] });
                    _summary = result.Message;
                    break;
                default:
                    _summary = result.Message;
                    break;
            }
        }
        catch (ForbiddenException ex)
        {
            _summary = ex.Message;
        }
        finally
        {
            _saving = false;
        }
    }
}
