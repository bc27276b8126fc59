using System.Reflection;
using System.Runtime.Serialization;

namespace WebhookConsole.Common;

/// <summary>
/// Enum values as the API and the settings spell them: names, any case; never numbers. A member may carry its wire
/// name in <see cref="EnumMemberAttribute"/> (<c>standard-ed25519</c>); the others are their lower-case names.
/// </summary>
public static class EnumNames
{
    /// <summary>True for a defined name of <typeparamref name="T"/> (case-insensitive); "7" or "1,2" are refused.</summary>
    public static bool TryParse<T>(string? value, out T result) where T : struct, Enum
    {
        result = default;
        if (string.IsNullOrWhiteSpace(value) || value.Contains(',') || int.TryParse(value, out _)) return false;
        var trimmed = value.Trim();
        foreach (var (member, name) in Names<T>.ByMember)
        {
            if (!string.Equals(name, trimmed, StringComparison.OrdinalIgnoreCase)) continue;
            result = member;
            return true;
        }
        return Enum.TryParse(trimmed, ignoreCase: true, out result) && Enum.IsDefined(result);
    }

    /// <summary>The lower-case name the API uses.</summary>
    public static string Format<T>(T value) where T : struct, Enum =>
        Names<T>.ByMember.TryGetValue(value, out var name) ? name : value.ToString().ToLowerInvariant();

    /// <summary>"a, b or c": the names to list in a message that says what to send.</summary>
    public static string Choices<T>(params T[] except) where T : struct, Enum
    {
        var names = Enum.GetValues<T>().Where(v => !except.Contains(v)).Select(Format).ToList();
        return names.Count == 1 ? names[0] : string.Join(", ", names[..^1]) + " or " + names[^1];
    }

    private static class Names<T> where T : struct, Enum
    {
        public static readonly Dictionary<T, string> ByMember = Enum.GetValues<T>().ToDictionary(v => v,
            v => typeof(T).GetField(v.ToString())?.GetCustomAttribute<EnumMemberAttribute>()?.Value ?? v.ToString().ToLowerInvariant());
    }
}
