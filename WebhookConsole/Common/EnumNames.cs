namespace WebhookConsole.Common;

/// <summary>Enum values as the API and the settings spell them: names, any case; never numbers.</summary>
public static class EnumNames
{
    /// <summary>True for a defined name of <typeparamref name="T"/> (case-insensitive); "7" or "1,2" are refused.</summary>
    public static bool TryParse<T>(string? value, out T result) where T : struct, Enum
    {
        result = default;
        if (string.IsNullOrWhiteSpace(value) || value.Contains(',') || int.TryParse(value, out _)) return false;
        return Enum.TryParse(value.Trim(), ignoreCase: true, out result) && Enum.IsDefined(result);
    }

    /// <summary>The lower-case name the API uses.</summary>
    public static string Format<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>"a, b or c": the names to list in a message that says what to send.</summary>
    public static string Choices<T>(params T[] except) where T : struct, Enum
    {
        var names = Enum.GetValues<T>().Where(v => !except.Contains(v)).Select(Format).ToList();
        return names.Count == 1 ? names[0] : string.Join(", ", names[..^1]) + " or " + names[^1];
    }
}
