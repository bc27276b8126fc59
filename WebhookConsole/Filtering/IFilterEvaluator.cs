namespace WebhookConsole.Filtering;

/// <summary>
/// Runs webhook filters and URL templates in a sandbox. Every failure comes back as a result a person
/// can act on; nothing a script does escapes as an exception.
/// </summary>
public interface IFilterEvaluator
{
    /// <summary>Checks that a filter compiles. Blank is valid (and always true).</summary>
    ScriptError? ValidateFilter(string? filter);

    /// <summary>Checks every <c>${...}</c> expression of a URL template.</summary>
    ScriptError? ValidateTemplate(string? template);

    FilterResult EvaluateFilter(string? filter, ScriptBindings bindings);

    TemplateResult RenderTemplate(string template, ScriptBindings bindings);
}

public enum ScriptErrorKind { Syntax, Runtime, Timeout, StatementLimit, MemoryLimit, RecursionLimit, Template }

public sealed record ScriptError(ScriptErrorKind Kind, string Message, int? Line = null, int? Column = null)
{
    public override string ToString() =>
        Line is null ? $"{KindLabel}: {Message}" : $"{KindLabel} at line {Line}, column {Column}: {Message}";

    public string KindLabel => Kind switch
    {
        ScriptErrorKind.Syntax => "Syntax error",
        ScriptErrorKind.Runtime => "Runtime error",
        ScriptErrorKind.Timeout => "Time limit exceeded",
        ScriptErrorKind.StatementLimit => "Statement limit exceeded",
        ScriptErrorKind.MemoryLimit => "Memory limit exceeded",
        ScriptErrorKind.RecursionLimit => "Recursion limit exceeded",
        _ => "Template error",
    };
}

public sealed record FilterResult(bool Passed, ScriptError? Error)
{
    public static readonly FilterResult True = new(true, null);
    public static readonly FilterResult False = new(false, null);
    public static FilterResult Failed(ScriptError error) => new(false, error);
}

public sealed record TemplateResult(string? Value, ScriptError? Error);
