using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Features.Account;

public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccount(this IEndpointRouteBuilder app)
    {
        // A form post (with its antiforgery token) so a link on another site cannot sign people out.
        app.MapPost("/account/logout", async (SignInManager<AppUser> signIn, [FromForm] string? returnUrl) =>
        {
            await signIn.SignOutAsync();
            return Results.LocalRedirect("/account/login");
        }).AllowAnonymous();
        return app;
    }
}
