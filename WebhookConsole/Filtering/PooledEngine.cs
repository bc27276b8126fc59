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

namespace WebhookConsole.Filtering;

/// <summary>
/// One thread's engine: built once, hardened (everything reachable frozen), its bindings reading whichever event is
/// current. <see cref="CreateEngine"/> builds an engine with the script limits and the bindings.
/// </summary>
internal sealed class PooledEngine
{
    // Freezes everything a script can reach without making it itself: the walk starts at the global object and at
    // the intrinsics only reachable through instances (the iterator, generator and async prototypes), and follows
    // every own property (data and accessor, string and symbol keys) and every prototype. A list of names would
    // miss whatever it did not name (an earlier version froze only the globals, and %ArrayIteratorPrototype%.next
    // stayed writable). The legacy RegExp statics ($1-$9, lastMatch, input...) are removed first: they are
    // accessors over the engine's last match, so one event's data would be readable by the next filter.
    // The walk runs in C#, outside the script limits: in script, a first run on a busy machine could exceed the time limit.
    private static readonly Prepared<Script> Seeds = Engine.PrepareScript("""
        (function () {
          'use strict';
          var legacy = ['$1', '$2', '$3', '$4', '$5', '$6', '$7', '$8', '$9', 'input', '$_', 'lastMatch', '$&',
                        'lastParen', '$+', 'leftContext', '$`', 'rightContext', "$'"];
          for (var i = 0; i < legacy.length; i++) delete RegExp[legacy[i]];
          var p = Object.getPrototypeOf;
          return [globalThis, p([][Symbol.iterator]()), p(''[Symbol.iterator]()), p(new Map()[Symbol.iterator]()),
            p(new Set()[Symbol.iterator]()), p('a'.matchAll(/a/g)), p(function* () {}), p(async function () {}),
            p(async function* () {}), p(async () => {}), p((function* () {})()), p((async function* () {})()),
            Object.getOwnPropertyDescriptor(Function.prototype, 'caller').get, (function () { return arguments; })()];
        })()
        """, strict: true);

    public PooledEngine(FilteringOptions options)
    {
        Engine = CreateEngine(options, () => Current ?? throw new InvalidOperationException("No event is being evaluated."));
        var freeze = Engine.Evaluate("Object.freeze");
        var seeds = Engine.Evaluate(Seeds).AsArray();
        var pending = new Stack<JsValue>(seeds);
        var seen = new HashSet<ObjectInstance>(ReferenceEqualityComparer.Instance);
        while (pending.TryPop(out var value))
        {
            if (value is not ObjectInstance o || !seen.Add(o)) continue;
            if (o.Prototype is { } prototype) pending.Push(prototype);
            foreach (var key in o.GetOwnPropertyKeys(Types.String | Types.Symbol))
            {
                var d = o.GetOwnProperty(key);
                if (d == PropertyDescriptor.Undefined) continue;
                if (d.IsAccessorDescriptor())
                {
                    if (d.Get is { } get) pending.Push(get);
                    if (d.Set is { } set) pending.Push(set);
                }
                else if (d.Value is { } v) pending.Push(v);
            }
            Engine.Call(freeze, JsValue.Undefined, [o]);
        }
    }

    public Engine Engine { get; }
    public ScriptBindings? Current { get; set; }


    internal static Engine CreateEngine(FilteringOptions options, Func<ScriptBindings> current)
    {
        var engine = new Engine(o => o
            .Strict()
            .LimitRecursion(options.MaxRecursionDepth)
            .TimeoutInterval(TimeSpan.FromMilliseconds(options.TimeoutMilliseconds))
            .MaxStatements(options.MaxStatements)
            .LimitMemory(options.MemoryLimitBytes)
            .MaxArraySize((uint)100_000)
            // .NET regexes backtrack: without this, /^(a+)+$/ on form input ran 10 s against a 250 ms limit.
            .RegexTimeoutInterval(TimeSpan.FromMilliseconds(options.TimeoutMilliseconds))
            .DisableStringCompilation());
        AllocationGuards.Install(engine, options.MemoryLimitBytes);
        foreach (var name in ScriptBindings.AllBindings)
        {
            var binding = name;
            engine.SetValue(binding, new ClrFunction(engine, binding, (_, args) =>
            {
                var bindings = current();
                if (!bindings.IsAvailable(binding))
                {
                    throw new BindingUnavailableException(
                        $"{binding}() is not available for {bindings.Type} events; available: {string.Join(", ", bindings.Available.Select(b => b + "()"))}.");
                }
                var key = args.Length > 0 && !args[0].IsUndefined() ? TypeConverter.ToString(args[0]) : "";
                return ToJs(engine, bindings.Lookup(binding, key));
            }));
        }
        return engine;
    }

    private static JsValue ToJs(Engine engine, BindingValue value)
    {
        if (value.Text is not null) return new JsString(value.Text);
        if (value.Number is { } n) return new JsNumber(n);
        if (value.Boolean is { } b) return b ? JsBoolean.True : JsBoolean.False;
        if (value.Json is { } json) return new JsonParser(engine).Parse(json.GetRawText());
        // Missing keys read as "", so form('attribute:X').indexOf('Y') is false rather than an error.
        return JsString.Empty;
    }
}
