using System.Security.Cryptography;

namespace WebhookConsole.Security;

public static class Passwords
{
    /// <summary>A one-time password (first admin, new user, reset) that meets Identity's rules: upper, lower, digit, symbol, 22 characters.</summary>
    public static string Generate() =>
        "Wc-" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(12)).Replace('+', 'x').Replace('/', 'y') + "7a";
}
