using System.Text.RegularExpressions;

namespace WebhookConsole.Common;

/// <summary>The platform's slugs (kapps, forms) and the console's own short names (inspector bins).</summary>
public static partial class Slug
{
    public const int MaxLength = 100;

    /// <summary>Letters, digits, '-' and '_', starting with a letter or digit; at most <paramref name="maxLength"/>.</summary>
    public static bool IsValid(string? value, int maxLength = MaxLength) =>
        value is { Length: > 0 } && value.Length <= maxLength && SlugRegex().IsMatch(value);

    public const string Rule = "letters, digits, '-' and '_' only";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]*$")]
    private static partial Regex SlugRegex();
}
