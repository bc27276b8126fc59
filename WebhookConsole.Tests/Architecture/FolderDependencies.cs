using System.Reflection;
using System.Reflection.Emit;

namespace WebhookConsole.Tests.Architecture;

/// <summary>
/// Which folders of the console use which, read from the compiled assembly: every type a type names in its
/// base types, fields, signatures, attributes and method bodies (IL tokens), so razor components, lambdas
/// and async methods count as what they are. A folder is a namespace under <c>WebhookConsole</c>: its first
/// part (<c>Dispatching</c>), or its first two under <c>Features</c> (<c>Features/Jobs</c>).
/// </summary>
public static class FolderDependencies
{
    private const string Root = "WebhookConsole";

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>The folder a namespace belongs to, or null for code outside the console's folders (the root: Program).</summary>
    public static string? FolderOf(string? ns)
    {
        if (ns is null || !(ns == Root || ns.StartsWith(Root + ".", StringComparison.Ordinal))) return null;
        var parts = ns.Split('.');
        if (parts.Length < 2) return null;
        if (parts[1] == "Features" && parts.Length > 2) return $"Features/{parts[2]}";
        // The shared widgets are below the features; the app shell (layout, routes) is above them.
        if (parts[1] == "Components" && parts.Length > 2 && parts[2] == "Shared") return "Components/Shared";
        return parts[1];
    }

    /// <summary>The uses that lie on a loop: "A → B" where B, directly or not, uses A again.</summary>
    public static SortedSet<string> OnLoops(Dictionary<string, Dictionary<string, string>> edges)
    {
        bool Reaches(string from, string to)
        {
            var seen = new HashSet<string>();
            var stack = new Stack<string>([from]);
            while (stack.TryPop(out var at))
            {
                if (at == to) return true;
                if (!seen.Add(at) || !edges.TryGetValue(at, out var next)) continue;
                foreach (var n in next.Keys) stack.Push(n);
            }
            return false;
        }
        return new(edges.SelectMany(e => e.Value.Keys.Where(to => Reaches(to, e.Key)).Select(to => $"{e.Key} → {to}")), StringComparer.Ordinal);
    }

    /// <summary>For each folder, the other folders it uses and one example of each use ("Type → Type").</summary>
    public static Dictionary<string, Dictionary<string, string>> Read(Assembly assembly)
    {
        var edges = new Dictionary<string, Dictionary<string, string>>();
        foreach (var type in assembly.GetTypes())
        {
            var owner = Outermost(type);
            var from = FolderOf(owner.Namespace);
            if (from is null || IsGenerated(owner)) continue;
            if (!edges.TryGetValue(from, out var uses)) edges[from] = uses = [];
            foreach (var used in Used(type))
            {
                var to = FolderOf(Outermost(used).Namespace);
                if (to is null || to == from || used.Assembly != assembly) continue;
                uses.TryAdd(to, $"{owner.Name} → {Outermost(used).Name}");
            }
        }
        return edges;
    }

    private static bool IsGenerated(Type type) => type.Namespace?.Contains(".Migrations", StringComparison.Ordinal) == true;

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } outer) type = outer;
        return type;
    }

    private static IEnumerable<Type> Used(Type type)
    {
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t is null) return;
            if (t.HasElementType) { Add(t.GetElementType()); return; }
            if (t.IsGenericParameter) return;
            if (!found.Add(t)) return;
            if (t.IsGenericType) foreach (var a in t.GetGenericArguments()) Add(a);
        }
        void AddAttributes(IEnumerable<CustomAttributeData> attributes)
        {
            foreach (var a in attributes)
            {
                Add(a.AttributeType);
                foreach (var arg in a.ConstructorArguments.Concat(a.NamedArguments.Select(n => n.TypedValue))) if (arg.Value is Type t) Add(t);
            }
        }

        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        AddAttributes(type.CustomAttributes);
        foreach (var f in type.GetFields(all)) { Add(f.FieldType); AddAttributes(f.CustomAttributes); }
        foreach (var p in type.GetProperties(all)) { Add(p.PropertyType); AddAttributes(p.CustomAttributes); }
        foreach (var e in type.GetEvents(all)) Add(e.EventHandlerType);
        foreach (var m in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
        {
            AddAttributes(m.CustomAttributes);
            if (m is MethodInfo mi) Add(mi.ReturnType);
            foreach (var p in m.GetParameters()) Add(p.ParameterType);
            foreach (var t in TypesInBody(m)) Add(t);
        }
        return found;
    }

    private static IEnumerable<Type> TypesInBody(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null) yield break;
        var module = method.Module;
        var typeArgs = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var i = 0; i < il.Length;)
        {
            short value = il[i++];
            if (value == 0xFE) value = (short)(0xFE00 | il[i++]);
            if (!OpCodesByValue.TryGetValue(value, out var op)) yield break;
            switch (op.OperandType)
            {
                case OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok:
                    var token = BitConverter.ToInt32(il, i);
                    i += 4;
                    MemberInfo? member = null;
                    try { member = module.ResolveMember(token, typeArgs, methodArgs); } catch (ArgumentException) { } catch (BadImageFormatException) { }
                    switch (member)
                    {
                        case Type t: yield return t; break;
                        case MethodBase mb:
                            if (mb.DeclaringType is { } d) yield return d;
                            if (mb.IsGenericMethod) foreach (var a in mb.GetGenericArguments()) yield return a;
                            break;
                        case FieldInfo fi:
                            if (fi.DeclaringType is { } fd) yield return fd;
                            yield return fi.FieldType;
                            break;
                    }
                    break;
                case OperandType.InlineSwitch:
                    var count = BitConverter.ToInt32(il, i);
                    i += 4 + 4 * count;
                    break;
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: i += 1; break;
                case OperandType.InlineVar: i += 2; break;
                case OperandType.InlineI8 or OperandType.InlineR: i += 8; break;
                default: i += 4; break;
            }
        }
    }
}
