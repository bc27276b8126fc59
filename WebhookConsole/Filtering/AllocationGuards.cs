using System.Text;
using Jint;
using Jint.Native;
using Jint.Native.Object;
using Jint.Runtime;
using Jint.Runtime.Descriptors;
using Jint.Runtime.Interop;

namespace WebhookConsole.Filtering;

/// <summary>A single built-in call would have built more than the memory limit allows.</summary>
public sealed class AllocationLimitException(string message) : Exception(message);

/// <summary>
/// Jint checks its memory limit between statements, so one call can allocate far past it
/// (<c>'a'.repeat(2**29)</c> built a gigabyte against 8 MB). The built-ins whose output is not bounded by their
/// input — sizes taken from an argument (repeat, padStart, padEnd) and joins of many references to one string
/// (join, concat, replace, replaceAll, JSON.stringify) — are replaced here by versions that know the size of what
/// they are about to build and refuse it when it is over the limit, before anything is allocated.
/// </summary>
internal static class AllocationGuards
{
    [ThreadStatic] private static HashSet<ObjectInstance>? _joining;

    public static void Install(Engine engine, long memoryLimitBytes)
    {
        var maxChars = Math.Max(1024, memoryLimitBytes / 2); // .NET strings are UTF-16
        var stringProto = engine.Evaluate("String.prototype").AsObject();
        var arrayProto = engine.Evaluate("Array.prototype").AsObject();
        var json = engine.Evaluate("JSON").AsObject();

        void Refuse(string what, double chars) => throw new AllocationLimitException(
            $"{what} would build a string of {chars:N0} characters, more than the {memoryLimitBytes / (1024 * 1024)} MB limit allows.");

        Replace(engine, stringProto, "repeat", 1, (original, self, args) =>
        {
            if (self.IsString() && args.Length > 0 && args[0].IsNumber())
            {
                var size = self.AsString().Length * TypeConverter.ToIntegerOrInfinity(args[0]);
                if (size > maxChars) Refuse("repeat()", size);
            }
            return engine.Call(original, self, args);
        });
        foreach (var name in new[] { "padStart", "padEnd" })
        {
            Replace(engine, stringProto, name, 2, (original, self, args) =>
            {
                if (args.Length > 0)
                {
                    var size = TypeConverter.ToIntegerOrInfinity(args[0]);
                    if (size > maxChars) Refuse(name + "()", size);
                }
                return engine.Call(original, self, args);
            });
        }
        Replace(engine, stringProto, "concat", 1, (original, self, args) =>
        {
            if (self.IsNull() || self.IsUndefined()) return engine.Call(original, self, args);
            var parts = new string[args.Length + 1];
            parts[0] = TypeConverter.ToString(self);
            double size = parts[0].Length;
            for (var i = 0; i < args.Length; i++)
            {
                parts[i + 1] = TypeConverter.ToString(args[i]);
                size += parts[i + 1].Length;
                if (size > maxChars) Refuse("concat()", size);
            }
            return new JsString(string.Concat(parts));
        });
        foreach (var name in new[] { "replace", "replaceAll" })
        {
            Replace(engine, stringProto, name, 2, (original, self, args) =>
            {
                if (self.IsNull() || self.IsUndefined() || args.Length < 2) return engine.Call(original, self, args);
                var text = TypeConverter.ToString(self);
                var search = args[0];
                var replacement = args[1];
                if (replacement.IsCallable())
                {
                    // What a replacer function returns is only known as it runs: count as it goes.
                    double total = text.Length;
                    var user = replacement;
                    replacement = new ClrFunction(engine, "replacer", (thisArg, a) =>
                    {
                        var piece = TypeConverter.ToString(engine.Call(user, thisArg, a));
                        total += piece.Length;
                        if (total > maxChars) Refuse(name + "()", total);
                        return new JsString(piece);
                    });
                    return engine.Call(original, new JsString(text), [search, replacement]);
                }
                var pattern = TypeConverter.ToString(replacement);
                // Each $ may insert up to the whole text ($&, $`, $'); a match count bounds the rest.
                var perMatch = pattern.Length + (double)pattern.Count(c => c == '$') * text.Length;
                if (text.Length + (text.Length + 1) * perMatch > maxChars)
                {
                    var matches = CountMatches(engine, original, name, text, search);
                    var size = text.Length + matches * perMatch;
                    if (size > maxChars) Refuse(name + "()", size);
                }
                return engine.Call(original, new JsString(text), [search, new JsString(pattern)]);
            });
        }
        Replace(engine, arrayProto, "join", 1, (original, self, args) =>
        {
            if (!self.IsObject()) return engine.Call(original, self, args);
            var array = self.AsObject();
            // A cyclic array joins as "" where it repeats, as browsers do (and the recursion stays bounded).
            var joining = _joining ??= new HashSet<ObjectInstance>(ReferenceEqualityComparer.Instance);
            if (!joining.Add(array)) return JsString.Empty;
            try
            {
                var separator = args.Length == 0 || args[0].IsUndefined() ? "," : TypeConverter.ToString(args[0]);
                var length = TypeConverter.ToLength(array.Get("length"));
                var sb = new StringBuilder();
                for (ulong k = 0; k < length; k++)
                {
                    if (k > 0) sb.Append(separator);
                    var element = array.Get(k);
                    if (!element.IsNull() && !element.IsUndefined()) sb.Append(TypeConverter.ToString(element));
                    if (sb.Length > maxChars) Refuse("join()", sb.Length);
                }
                return new JsString(sb.ToString());
            }
            finally
            {
                joining.Remove(array);
            }
        });
        Replace(engine, json, "stringify", 3, (original, self, args) =>
        {
            var value = args.Length > 0 ? args[0] : JsValue.Undefined;
            var user = args.Length > 1 ? args[1] : JsValue.Undefined;
            var space = args.Length > 2 ? args[2] : JsValue.Undefined;
            if (user.IsArray()) return engine.Call(original, self, args); // a key list only narrows the output
            double total = 0;
            // Shared references are written once per reference: count what is written as it is written.
            var counting = new ClrFunction(engine, "replacer", (holder, a) =>
            {
                var v = user.IsCallable() ? engine.Call(user, holder, a) : a[1];
                total += TypeConverter.ToString(a[0]).Length + 4 + (v.IsString() ? v.AsString().Length : 2);
                if (total > maxChars) Refuse("JSON.stringify()", total);
                return v;
            });
            return engine.Call(original, self, [value, counting, space]);
        });
    }

    private static double CountMatches(Engine engine, JsValue originalReplace, string name, string text, JsValue search)
    {
        if (search.IsRegExp())
        {
            var global = TypeConverter.ToString(search.AsObject().Get("flags")).Contains('g');
            if (!global) return 1;
            var found = engine.Call(engine.Evaluate("String.prototype.match"), new JsString(text), [search]);
            return found.IsNull() ? 0 : TypeConverter.ToLength(found.AsObject().Get("length"));
        }
        var needle = TypeConverter.ToString(search);
        if (name == "replace") return text.Contains(needle, StringComparison.Ordinal) ? 1 : 0;
        if (needle.Length == 0) return text.Length + 1;
        var count = 0;
        for (var i = text.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = text.IndexOf(needle, i + needle.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    private static void Replace(Engine engine, ObjectInstance target, string name, int length, Func<JsValue, JsValue, JsValue[], JsValue> guarded)
    {
        var original = target.Get(name);
        var replacement = new ClrFunction(engine, name, (self, args) => guarded(original, self, args), length, PropertyFlag.Configurable);
        target.DefineOwnProperty(name, new PropertyDescriptor(replacement, writable: true, enumerable: false, configurable: true));
    }
}
