namespace WebhookConsole.Features.Users;

public static class UsersExtensions
{
    public static IHostApplicationBuilder AddUsers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddScoped<UserService>();
        return builder;
    }
}
