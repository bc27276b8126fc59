using System.Collections.Concurrent;
using Acornima;
using Acornima.Ast;
using Jint;
using Jint.Native;
using Jint.Native.Json;
using Jint.Runtime;
using Jint.Runtime.Interop;
using Jint.Runtime.Descriptors;
using Jint.Native.Object;
using Microsoft.Extensions.Options;
using WebhookConsole.Http;
using WebhookConsole.Telemetry;
namespace WebhookConsole.Filtering;

/// <summary>
/// Jint sandbox (ARCHITECTURE.md decision 4): strict mode, no CLR access, limits on time, statements,
/// memory and recursion; scripts parsed once and cached by content; fail-closed.
/// </summary>
/// <remarks>
/// Building an engine costs more than running a typical filter (about 5x here), so each thread keeps one
/// engine and re-points its bindings at the event being decided. That engine is hardened so one script
/// cannot leave anything behind for the next: every object reachable from the realm is frozen (see
/// <see cref="PooledEngine"/>), and a script that declares anything outside a function (a <c>var</c> would
/// become a global) runs on a fresh engine of its own.
/// </remarks>
public sealed class JintFilterEvaluator : IFilterEvaluator
{
    private readonly FilteringOptions _options;
    private readonly ConcurrentDictionary<string, CachedScript> _scripts = new(StringComparer.Ordinal);
    private readonly ThreadLocal<PooledEngine> _engines;

    public JintFilterEvaluator(IOptions<FilteringOptions> options)
    {
        _options = options.Value;
        _engines = new ThreadLocal<PooledEngine>(() => new PooledEngine(_options));
    }

    private sealed record CachedScript(Prepared<Script> Script, bool Reusable);
    private readonly ConcurrentDictionary<string, ScriptError> _syntaxErrors = new(StringComparer.Ordinal);

    public ScriptError? ValidateFilter(string? filter) =>
        string.IsNullOrWhiteSpace(filter) ? null : Prepare(filter, out _);

    public ScriptError? ValidateTemplate(string? template)
    {
        if (string.IsNullOrEmpty(template)) return null;
        var parts = UrlTemplate.Parse(template, out var parseError);
        if (parseError is not null) return parseError;
        foreach (var part in parts.Where(p => p.IsExpression))
        {
            if (string.IsNullOrWhiteSpace(part.Text))
            {
                return new ScriptError(ScriptErrorKind.Template, "Empty ${} expression.", 1, part.Offset + 1);
            }
            if (Prepare(part.Text, out var prepared) is { } error) return UrlTemplate.Shift(error, part.Offset);
            // Where a webhook posts (and so who receives its headers and signature) is the admins' and the platform's
            // choice, never that of whoever fills in the form: see UrlTemplate.OriginEnd.
            if (part.Offset < UrlTemplate.OriginEnd(parts) && !IsPlatformConfiguration(prepared.Script.Program!))
            {
                return new ScriptError(ScriptErrorKind.Template,
                    $"${{{part.Text}}} is in the URL's scheme or host: only literal text and space(), kapp() and form() may choose where a webhook posts " +
                    "(submitted data such as values() or user() may go in the path or query).", 1, part.Offset - 1);
            }
        }
        return null;
    }

    private static readonly HashSet<string> PlatformBindings = new(StringComparer.Ordinal) { "space", "kapp", "form" };

    /// <summary>
    /// Whether an expression reads only literals and the platform's configuration (<c>space()</c>, <c>kapp()</c>,
    /// <c>form()</c> with literal keys), combined with operators and string methods. Any other name — values(),
    /// user(), event(), a variable — could carry what a person typed.
    /// </summary>
    private static bool IsPlatformConfiguration(Node node) => node switch
    {
        Script script => script.Body.All(IsPlatformConfiguration),
        ExpressionStatement statement => IsPlatformConfiguration(statement.Expression),
        Literal => true,
        TemplateLiteral template => template.Expressions.All(IsPlatformConfiguration),
        BinaryExpression binary => IsPlatformConfiguration(binary.Left) && IsPlatformConfiguration(binary.Right),
        ConditionalExpression c => IsPlatformConfiguration(c.Test) && IsPlatformConfiguration(c.Consequent) && IsPlatformConfiguration(c.Alternate),
        CallExpression { Callee: Identifier callee } call => PlatformBindings.Contains(callee.Name) && call.Arguments.All(a => a is Literal),
        CallExpression { Callee: MemberExpression { Computed: false } method } call =>
            IsPlatformConfiguration(method.Object) && call.Arguments.All(IsPlatformConfiguration),
        MemberExpression { Computed: false } member => IsPlatformConfiguration(member.Object),
        MemberExpression { Computed: true, Property: Literal } member => IsPlatformConfiguration(member.Object),
        _ => false,
    };

    public FilterResult EvaluateFilter(string? filter, ScriptBindings bindings)
    {
        if (string.IsNullOrWhiteSpace(filter)) return FilterResult.True;
        var (value, error) = Run(filter, bindings);
        if (error is not null) return FilterResult.Failed(error);
        return TypeConverter.ToBoolean(value!) ? FilterResult.True : FilterResult.False;
    }

    public TemplateResult RenderTemplate(string template, ScriptBindings bindings)
    {
        var parts = UrlTemplate.Parse(template, out var parseError);
        if (parseError is not null) return new TemplateResult(null, parseError);
        var sb = new System.Text.StringBuilder(template.Length + 32);
        var originEnd = UrlTemplate.OriginEnd(parts);
        foreach (var part in parts)
        {
            if (!part.IsExpression)
            {
                sb.Append(part.Text);
                continue;
            }
            // A webhook saved before this rule existed is held to it too.
            if (part.Offset < originEnd && Prepare(part.Text, out var prepared) is null && !IsPlatformConfiguration(prepared.Script.Program!))
            {
                return new TemplateResult(null, new ScriptError(ScriptErrorKind.Template,
                    $"${{{part.Text}}} chooses the URL's scheme or host from submitted data; edit the webhook so only space(), kapp() and form() do.", 1, part.Offset - 1));
            }
            var (value, error) = Run(part.Text, bindings);
            if (error is not null) return new TemplateResult(null, UrlTemplate.Shift(error, part.Offset));
            var text = value is null || value.IsNull() || value.IsUndefined() ? "" : TypeConverter.ToString(value);
            // In the scheme and host the value is platform configuration (validated at save) and used as it is,
            // so "${space('attribute:Task Server Scheme')}://${space('attribute:Task Server Host')}" works; the
            // rest is encoded, so a value cannot end the path or start a query.
            sb.Append(part.Offset < originEnd ? text : Uri.EscapeDataString(text));
        }
        var url = sb.ToString();
        if (Http.OutboundUrl.Check(url) is { } invalid)
        {
            return new TemplateResult(null, new ScriptError(ScriptErrorKind.Template, $"The URL rendered as '{Truncate(url, 200)}': {invalid}"));
        }
        return new TemplateResult(url, null);
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max] + "…";

    private (JsValue? Value, ScriptError? Error) Run(string code, ScriptBindings bindings)
    {
        var result = RunScript(code, bindings);
        if (result.Error is { } error) ConsoleTelemetry.FilterErrors.Add(1, new KeyValuePair<string, object?>("kind", ConsoleTelemetry.Label(error.Kind)));
        return result;
    }

    private (JsValue? Value, ScriptError? Error) RunScript(string code, ScriptBindings bindings)
    {
        if (Prepare(code, out var cached) is { } syntax) return (null, syntax);
        PooledEngine? pooled = null;
        try
        {
            if (!cached.Reusable) return (PooledEngine.CreateEngine(_options, () => bindings).Evaluate(cached.Script), null);
            pooled = _engines.Value!;
            pooled.Current = bindings;
            return (pooled.Engine.Evaluate(cached.Script), null);
        }
        catch (JavaScriptException ex)
        {
            return (null, new ScriptError(ScriptErrorKind.Runtime, ex.Message, ex.Location.Start.Line, ex.Location.Start.Column + 1));
        }
        catch (BindingUnavailableException ex)
        {
            return (null, new ScriptError(ScriptErrorKind.Runtime, ex.Message));
        }
        catch (StatementsCountOverflowException)
        {
            return (null, new ScriptError(ScriptErrorKind.StatementLimit, $"The script ran more than {_options.MaxStatements:N0} statements; look for an endless loop."));
        }
        catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
        {
            return (null, new ScriptError(ScriptErrorKind.Timeout, $"A regular expression ran longer than {_options.TimeoutMilliseconds} ms; look for nested quantifiers such as (a+)+."));
        }
        catch (TimeoutException)
        {
            return (null, new ScriptError(ScriptErrorKind.Timeout, $"The script ran longer than {_options.TimeoutMilliseconds} ms; look for an endless loop or heavy work."));
        }
        catch (MemoryLimitExceededException)
        {
            return (null, new ScriptError(ScriptErrorKind.MemoryLimit, $"The script used more than {_options.MemoryLimitBytes / (1024 * 1024)} MB."));
        }
        catch (RecursionDepthOverflowException)
        {
            return (null, new ScriptError(ScriptErrorKind.RecursionLimit, $"Calls nested deeper than {_options.MaxRecursionDepth}; look for a function that calls itself without end."));
        }
        catch (AllocationLimitException ex)
        {
            return (null, new ScriptError(ScriptErrorKind.MemoryLimit, ex.Message));
        }
        catch (ExecutionCanceledException)
        {
            return (null, new ScriptError(ScriptErrorKind.Timeout, "The script was cancelled."));
        }
        catch (Exception ex) when (ex is JintException or InvalidOperationException or ArgumentException or InvalidCastException or OverflowException or IndexOutOfRangeException or OutOfMemoryException)
        {
            // Anything else the interpreter throws is still the script's fault, never the host's.
            return (null, new ScriptError(ScriptErrorKind.Runtime, ex.Message));
        }
        finally
        {
            if (pooled is not null) pooled.Current = null;
        }
    }

    private ScriptError? Prepare(string code, out CachedScript script)
    {
        if (_scripts.TryGetValue(code, out script!)) return null;
        if (_syntaxErrors.TryGetValue(code, out var known)) return known;
        try
        {
            var prepared = Engine.PrepareScript(code, strict: true);
            script = new CachedScript(prepared, prepared.Program is { } program && !DeclaresAnything(program));
            if (_scripts.Count >= _options.MaxCachedScripts) _scripts.Clear();
            _scripts[code] = script;
            return null;
        }
        catch (ScriptPreparationException ex) when (ex.InnerException is ParseErrorException parse)
        {
            // Acornima columns are 0-based; people count from 1.
            var error = new ScriptError(ScriptErrorKind.Syntax, parse.Error.Description, parse.Error.LineNumber, parse.Error.Column + 1);
            if (_syntaxErrors.Count >= _options.MaxCachedScripts) _syntaxErrors.Clear();
            _syntaxErrors[code] = error;
            return error;
        }
    }

    /// <summary>Any declaration outside a function body would outlive the run on a shared engine.</summary>
    private static bool DeclaresAnything(Node node)
    {
        foreach (var child in node.ChildNodes)
        {
            switch (child)
            {
                case VariableDeclaration or FunctionDeclaration or ClassDeclaration:
                    return true;
                case FunctionExpression or ArrowFunctionExpression:
                    continue; // Their own declarations live and die with each call.
            }
            if (DeclaresAnything(child)) return true;
        }
        return false;
    }
}

internal sealed class BindingUnavailableException(string message) : Exception(message);
