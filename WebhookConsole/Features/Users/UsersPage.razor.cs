using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using WebhookConsole.Components.Shared;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Users;

public partial class UsersPage
{
    [Inject] private UserService Users { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [Inject] private ICurrentUser Me { get; set; } = default!;

    private List<UserView>? _users;
    private Actor _actor = default!;
    private MudForm? _form;
    private bool _adding;
    private string _email = "";
    private string? _displayName;
    private string _role = Roles.Support;
    private string? _search;

    [CascadingParameter] private Task<AuthenticationState> AuthState { get; set; } = default!;

    protected override async Task OnInitializedAsync()
    {
        _actor = Actor.From((await AuthState).User);
        await LoadAsync();
    }

    private async Task LoadAsync() => _users = await Users.ListAsync(await Me.ActorAsync());

    private bool Matches(UserView u) => string.IsNullOrWhiteSpace(_search)
        || u.Email.Contains(_search, StringComparison.OrdinalIgnoreCase) || (u.DisplayName?.Contains(_search, StringComparison.OrdinalIgnoreCase) ?? false);

    private async Task CreateAsync()
    {
        await _form!.ValidateAsync();
        if (!_form.IsValid) return;
        var result = await Users.CreateAsync(await Me.ActorAsync(), _email, _displayName, _role);
        if (!result.Ok)
        {
            Snackbar.Add(result.Message, Severity.Error);
            return;
        }
        await OneTimeSecretDialog.ShowAsync(Dialogs, "User created", result.Message, result.Password!);
        _email = "";
        _displayName = null;
        _adding = false;
        await LoadAsync();
    }

    private async Task ChangeRoleAsync(UserView user, string role)
    {
        var result = await Users.ChangeRoleAsync(await Me.ActorAsync(), user.Id, role);
        Snackbar.Add(result.Message, result.Ok ? Severity.Success : Severity.Error);
        await LoadAsync();
    }

    private async Task ToggleAsync(UserView user)
    {
        if (!user.Disabled)
        {
            var ok = await Dialogs.ShowMessageBoxAsync("Disable user", $"Disable {user.Email}? They are signed out within a minute and cannot sign in until enabled again.", yesText: "Disable", cancelText: "Cancel");
            if (ok != true) return;
        }
        var result = await Users.SetDisabledAsync(await Me.ActorAsync(), user.Id, !user.Disabled);
        Snackbar.Add(result.Message, result.Ok ? Severity.Success : Severity.Error);
        await LoadAsync();
    }

    private async Task ResetAsync(UserView user)
    {
        var ok = await Dialogs.ShowMessageBoxAsync("Reset password", $"Give {user.Email} a new generated password? Their current password stops working and any lockout is lifted.", yesText: "Reset", cancelText: "Cancel");
        if (ok != true) return;
        var result = await Users.ResetPasswordAsync(await Me.ActorAsync(), user.Id);
        if (result.Ok) await OneTimeSecretDialog.ShowAsync(Dialogs, "Password reset", result.Message, result.Password!);
        else Snackbar.Add(result.Message, Severity.Error);
        await LoadAsync();
    }
}
