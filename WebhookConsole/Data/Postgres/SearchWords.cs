using System.Globalization;
using System.Text;

namespace WebhookConsole.Data.Postgres;

/// <summary>
/// The words of the PostgreSQL text search, made here rather than by the server: runs of letters and digits (with
/// their combining marks), lower-cased, as SQLite's unicode61 tokenizer cuts them, so a search finds the same jobs on
/// both providers. The server only reads the <c>tsvector</c> and <c>tsquery</c> literals built here: its own
/// parser keeps a URL or an e-mail address as one token (a search for <c>facilities/east-wing</c> would not find
/// <c>https://hooks.example/facilities/east-wing</c>), and cutting at punctuation with SQL's translate() cost
/// 200 µs a job (docs/performance.md).
/// </summary>
public static class SearchWords
{
    /// <summary>PostgreSQL keeps a position up to this value (larger ones are stored as it).</summary>
    private const int MaxPosition = 16_383;

    /// <summary>PostgreSQL keeps at most this many positions of one lexeme.</summary>
    private const int MaxPositionsPerWord = 256;

    /// <summary>Longer runs (base64, hashes) are not words anyone searches for; the exact-text scan still finds them.</summary>
    private const int MaxWordLength = 256;

    /// <summary>A tsvector stays far below PostgreSQL's 1 MB: text past this many characters is not indexed.</summary>
    public const int MaxIndexedChars = 262_144;

    /// <summary>The text's words with their positions, as a <c>tsvector</c> literal (empty when it has none).</summary>
    public static string Vector(string text)
    {
        var positions = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var position = 0;
        foreach (var word in Words(text.Length > MaxIndexedChars ? text[..MaxIndexedChars] : text))
        {
            position = Math.Min(position + 1, MaxPosition);
            if (!positions.TryGetValue(word, out var list)) positions[word] = list = [];
            if (list.Count < MaxPositionsPerWord && (list.Count == 0 || list[^1] != position)) list.Add(position);
        }
        var sb = new StringBuilder(text.Length + positions.Count * 4);
        foreach (var (word, list) in positions)
        {
            if (sb.Length > 0) sb.Append(' ');
            Quote(sb, word);
            sb.Append(':');
            for (var i = 0; i < list.Count; i++)
            {
                if (i > 0) sb.Append(',');
                sb.Append(list[i].ToString(CultureInfo.InvariantCulture));
            }
        }
        return sb.ToString();
    }

    /// <summary>The text's words in their order as a <c>tsquery</c> literal (<c>'a' &lt;-&gt; 'b'</c>), or null when it has none.</summary>
    public static string? Phrase(string text)
    {
        var sb = new StringBuilder();
        foreach (var word in Words(text))
        {
            if (sb.Length > 0) sb.Append(" <-> ");
            Quote(sb, word);
        }
        return sb.Length == 0 ? null : sb.ToString();
    }

    /// <summary>Runs of letters, digits and combining marks, lower-cased; runs longer than a word can be are skipped.</summary>
    public static IEnumerable<string> Words(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && IsWordChar(text, i))
            {
                if (start < 0) start = i;
                if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length) i++;
                continue;
            }
            if (start < 0) continue;
            if (i - start <= MaxWordLength) yield return text[start..i].ToLowerInvariant();
            start = -1;
        }
    }

    private static bool IsWordChar(string text, int i) => CharUnicodeInfo.GetUnicodeCategory(text, i) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter
            or UnicodeCategory.OtherLetter or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber
            or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark or UnicodeCategory.PrivateUse => true,
        _ => false,
    };

    /// <summary>A lexeme in the literal syntax: in single quotes, with quotes and backslashes escaped.</summary>
    private static void Quote(StringBuilder sb, string word)
    {
        sb.Append('\'');
        foreach (var c in word)
        {
            if (c is '\'' or '\\') sb.Append(c == '\'' ? "''" : "\\\\");
            else sb.Append(c);
        }
        sb.Append('\'');
    }
}
