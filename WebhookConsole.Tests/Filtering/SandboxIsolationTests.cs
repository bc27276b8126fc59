using Microsoft.Extensions.Options;
using WebhookConsole.Filtering;

namespace WebhookConsole.Tests.Filtering;

/// <summary>
/// One filter cannot change what another sees: each tamper runs on this thread's reused engine, then a probe on the
/// same thread (another webhook's filter, another event) must see the language as it was.
/// </summary>
public class SandboxIsolationTests
{
    private readonly JintFilterEvaluator _evaluator = new(Options.Create(new FilteringOptions()));

    private static ScriptBindings Event(string room) => ScriptBindings.FromJson("Submission", "Submitted",
        $$"""{ "submission": { "values": { "Room": "{{room}}", "Rooms": ["{{room}}", "B14"] } } }""", kapp: "services", form: "f");

    // No top-level declarations: those run on a fresh engine anyway; these must be the reused one's.
    public static TheoryData<string, string, string> Mutations => new()
    {
        { "array iterator next", "Object.getPrototypeOf([][Symbol.iterator]()).next = function () { return { done: true }; }; true",
            "(function () { var n = 0; for (var r of values('Rooms')) n++; return n === 2; })()" },
        { "%IteratorPrototype%", "Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()))[Symbol.iterator] = function () { return [][Symbol.iterator](); }; true",
            "(function () { function* g() { yield 1; yield 2; } return [...g()].length === 2; })()" },
        { "generator prototype", "Object.getPrototypeOf(function* () {}).prototype.next = function () { return { done: true }; }; true",
            "(function () { function* g() { yield 1; yield 2; } return [...g()].length === 2; })()" },
        { "array Symbol.iterator", "Array.prototype[Symbol.iterator] = function* () {}; true", "[...values('Rooms')].length === 2" },
        { "string Symbol.iterator", "String.prototype[Symbol.iterator] = function* () {}; true", "[...'ab'].length === 2" },
        { "Array.prototype.map", "Array.prototype.map = function () { return []; }; true", "[1, 2].map(function (x) { return x * 2; })[1] === 4" },
        { "Object.prototype pollution", "Object.prototype.isAdmin = true; true", "({}).isAdmin === undefined" },
        { "Object.prototype accessor", "Object.defineProperty(Object.prototype, 'room', { get: function () { return 'Z99'; }, configurable: true }); true", "({}).room === undefined" },
        { "String.prototype.indexOf", "String.prototype.indexOf = function () { return 0; }; true", "'Closed'.indexOf('Submitted') === -1" },
        { "JSON.parse", "JSON.parse = function () { return {}; }; true", "JSON.parse('{\"a\":1}').a === 1" },
        { "RegExp.prototype.exec", "RegExp.prototype.exec = function () { return null; }; true", "/B7/.test(values('Room'))" },
        { "RegExp Symbol.match", "RegExp.prototype[Symbol.match] = function () { return null; }; true", "values('Room').match(/B(\\d+)/)[1] === '77'" },
        { "Function.prototype.call", "Function.prototype.call = function () { return 'hijacked'; }; true", "(function () { return this.x; }).call({ x: 1 }) === 1" },
        { "Function.prototype.apply", "Function.prototype.apply = function () { return 'hijacked'; }; true", "Math.max.apply(null, [1, 3, 2]) === 3" },
        { "Math.random", "Math.random = function () { return 42; }; true", "Math.random() < 1" },
        { "Error.prototype.toString", "Error.prototype.toString = function () { return 'x'; }; true", "String(new Error('m')) === 'Error: m'" },
        { "Map.prototype.get", "Map.prototype.get = function () { return 'Z99'; }; true", "new Map([['a', 1]]).get('a') === 1" },
        { "Promise.prototype.then", "Promise.prototype.then = function () { return 1; }; true", "typeof Promise.resolve(1).then(function () {}) === 'object'" },
        { "Date.prototype", "Date.prototype.getFullYear = function () { return 1900; }; true", "new Date(Date.UTC(2026, 0, 1, 12)).getFullYear() === 2026" },
        { "hidden channel on a prototype", "Object.defineProperty(Array.prototype, 'secret', { value: values('Room'), configurable: true }); true", "[].secret === undefined" },
        { "hidden channel on a binding", "values.leak = values('Room'); true", "values.leak === undefined" },
        { "hidden channel on the global object", "Object.defineProperty(globalThis, 'leak', { value: values('Room') }); true", "typeof leak === 'undefined'" },
        { "hidden channel through RegExp.$1", "/(B\\d+)/.exec(values('Room')); true", "typeof RegExp.$1 === 'undefined' || RegExp.$1 !== 'B12'" },
        { "prototype of a prototype", "Object.setPrototypeOf(Array.prototype, { includes: function () { return true; } }); true", "!values('Rooms').includes('Z99') && [].concat !== undefined" },
    };

    [Theory]
    [MemberData(nameof(Mutations))]
    public void A_mutation_by_one_filter_is_not_seen_by_the_next(string what, string tamper, string probe)
    {
        _ = _evaluator.EvaluateFilter(tamper, Event("B12")); // refused or not, it must leave nothing behind
        var result = _evaluator.EvaluateFilter(probe, Event("B77"));
        Assert.True(result.Error is null, $"{what}: {result.Error}");
        Assert.True(result.Passed, $"{what}: the probe saw the mutation");
    }

    [Fact]
    public void Ordinary_filters_still_work_on_a_hardened_realm()
    {
        string[] filters =
        [
            "values('Rooms').filter(function (r) { return r.startsWith('B'); }).length === 2",
            "JSON.stringify({ a: [1, 2] }) === '{\"a\":[1,2]}'",
            "(function () { var o = { n: 1 }; o.n = 2; o.m = 3; return o.n + o.m === 5; })()",
            "(function () { class A { constructor() { this.x = 1; } } return new A().x === 1; })()",
            "[3, 1, 2].sort().join(',') === '1,2,3' && new Set([1, 1]).size === 1",
            "/b(\\d+)/i.exec(values('Room'))[1] === '12'",
        ];
        foreach (var filter in filters)
        {
            var result = _evaluator.EvaluateFilter(filter, Event("B12"));
            Assert.True(result.Passed, $"{filter}: {result.Error}");
        }
    }
}
