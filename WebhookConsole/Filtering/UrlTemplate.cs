namespace WebhookConsole.Filtering;

/// <summary>Splits <c>https://host/${kapp('slug')}/x</c> into literal text and <c>${...}</c> expressions.</summary>
public static class UrlTemplate
{
    public readonly record struct Part(string Text, bool IsExpression, int Offset);

    public static List<Part> Parse(string template, out ScriptError? error)
    {
        error = null;
        var parts = new List<Part>();
        var literalStart = 0;
        var i = 0;
        while (i < template.Length)
        {
            if (template[i] == '$' && i + 1 < template.Length && template[i + 1] == '{')
            {
                if (i > literalStart) parts.Add(new Part(template[literalStart..i], false, literalStart));
                var exprStart = i + 2;
                var end = FindClosingBrace(template, exprStart);
                if (end < 0)
                {
                    error = new ScriptError(ScriptErrorKind.Template, "Unclosed ${ — add the closing }.", 1, i + 1);
                    return parts;
                }
                parts.Add(new Part(template[exprStart..end], true, exprStart));
                i = end + 1;
                literalStart = i;
                continue;
            }
            i++;
        }
        if (literalStart < template.Length) parts.Add(new Part(template[literalStart..], false, literalStart));
        return parts;
    }

    /// <summary>
    /// Where the scheme and authority end in the template: at the first literal '/', '?' or '#' after a literal
    /// "://", or, when the template has no literal "://" before it, at the first literal '/', '?' or '#' (the
    /// scheme and host then come whole from an expression, as in <c>${space('attribute:Base URL')}/hook</c>).
    /// Without either, the whole template is origin. Expressions starting before this offset choose the origin.
    /// </summary>
    public static int OriginEnd(IReadOnlyList<Part> parts)
    {
        var afterScheme = false;
        foreach (var part in parts)
        {
            if (part.IsExpression) continue;
            var from = 0;
            if (!afterScheme)
            {
                var separator = part.Text.IndexOf("://", StringComparison.Ordinal);
                var firstDelimiter = part.Text.IndexOfAny(['/', '?', '#']);
                if (separator >= 0 && separator <= firstDelimiter)
                {
                    afterScheme = true;
                    from = separator + 3;
                }
                else if (firstDelimiter >= 0)
                {
                    return part.Offset + firstDelimiter;
                }
                else continue;
            }
            var end = part.Text.IndexOfAny(['/', '?', '#'], from);
            if (end >= 0) return part.Offset + end;
        }
        return int.MaxValue;
    }

    /// <summary>Moves an error found inside one expression to its column in the whole template.</summary>
    public static ScriptError Shift(ScriptError error, int offset) =>
        error.Line is 1 or null ? error with { Line = 1, Column = (error.Column ?? 1) + offset } : error;

    private static int FindClosingBrace(string s, int start)
    {
        var depth = 0;
        char quote = '\0';
        for (var i = start; i < s.Length; i++)
        {
            var c = s[i];
            if (quote != '\0')
            {
                if (c == '\\') i++;
                else if (c == quote) quote = '\0';
                continue;
            }
            switch (c)
            {
                case '\'' or '"' or '`': quote = c; break;
                case '{': depth++; break;
                case '}' when depth == 0: return i;
                case '}': depth--; break;
            }
        }
        return -1;
    }
}
