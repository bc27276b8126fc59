using Microsoft.AspNetCore.Identity;

namespace WebhookConsole.Data.Entities;

public class AppUser : IdentityUser
{
    public string? DisplayName { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>Disabled by an admin: cannot sign in, and open sessions end at the next revalidation.</summary>
    public bool Disabled { get; set; }
}
