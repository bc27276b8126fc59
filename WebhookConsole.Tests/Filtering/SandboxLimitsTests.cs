using System.Text.Json;
using Microsoft.Extensions.Options;
using WebhookConsole.Data.Entities;
using WebhookConsole.Events;
using WebhookConsole.Filtering;

namespace WebhookConsole.Tests.Filtering;

/// <summary>The sandbox's limits hold inside one built-in call, and across the filters of one request.</summary>
public class SandboxLimitsTests
{
    private readonly JintFilterEvaluator _evaluator = new(Options.Create(new FilteringOptions()));

    private static ScriptBindings Event(string room) => ScriptBindings.FromJson("Submission", "Submitted",
        JsonSerializer.Serialize(new { submission = new { values = new { Room = room } } }), kapp: "services", form: "f");

    [Fact]
    public void A_catastrophic_regex_on_form_input_stops_at_the_time_limit()
    {
        var started = DateTime.UtcNow;
        var result = _evaluator.EvaluateFilter("/^(a+)+$/.test(values('Room'))", Event(new string('a', 40) + "!"));
        Assert.Equal(ScriptErrorKind.Timeout, result.Error?.Kind);
        Assert.Contains("regular expression", result.Error!.Message);
        Assert.False(result.Passed);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(8), "the regex was not stopped"); // 10 s before; 250 ms limit
    }

    public static TheoryData<string, string> Amplifiers => new()
    {
        { "repeat", "'a'.repeat(Math.pow(2, 29) - 64).length > 0" },
        { "padStart", "''.padStart(Math.pow(2, 29)).length > 0" },
        { "padEnd", "'x'.padEnd(Math.pow(2, 28), 'yz').length > 0" },
        { "join", "(function () { var s = 'x'.repeat(1 << 20), a = []; for (var i = 0; i < 1000; i++) a.push(s); return a.join('').length > 0; })()" },
        { "toString", "(function () { var s = 'x'.repeat(1 << 20), a = []; for (var i = 0; i < 1000; i++) a.push(s); return String(a).length > 0; })()" },
        { "concat", "(function () { var s = 'x'.repeat(1 << 20), a = []; for (var i = 0; i < 1000; i++) a.push(s); return ''.concat.apply('', a).length > 0; })()" },
        { "replace with $'", "'a'.repeat(3000).replace(/a/g, \"$'$'\").length > 0" },
        { "replaceAll with a string", "'a'.repeat(4000).replaceAll('a', 'b'.repeat(2000)).length > 0" },
        { "replace with a function", "(function () { var s = 'x'.repeat(1 << 20); return 'a'.repeat(5000).replace(/a/g, function () { return s; }).length > 0; })()" },
        { "JSON.stringify of shared references", "(function () { var x = ['y'.repeat(1000)]; for (var i = 0; i < 22; i++) x = [x, x]; return JSON.stringify(x).length > 0; })()" },
    };

    [Theory]
    [MemberData(nameof(Amplifiers))]
    public void One_call_cannot_allocate_past_the_memory_limit(string what, string filter)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = _evaluator.EvaluateFilter(filter, Event("B12"));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.False(result.Passed, what);
        Assert.Equal(ScriptErrorKind.MemoryLimit, result.Error?.Kind);
        // The limit is 8 MB; the inputs above take a few. Before, repeat() alone allocated 1 GB.
        Assert.True(allocated < 64L * 1024 * 1024, $"{what}: {allocated / (1024 * 1024)} MB allocated");
    }

    [Theory]
    [InlineData("'ab'.repeat(3) === 'ababab' && '7'.padStart(3, '0') === '007' && 'a'.padEnd(3, '-') === 'a--'")]
    [InlineData("[1, [2, 3], null, undefined, 'x'].join('-') === '1-2,3---x' && String([1, 2]) === '1,2' && [].join() === ''")]
    [InlineData("(function () { var a = [1]; a.push(a); return a.join() === '1,'; })()")]
    [InlineData("'a'.concat('b', 1, null) === 'ab1null' && 'a-b-c'.replace('-', '+') === 'a+b-c' && 'a-b-c'.replaceAll('-', '+') === 'a+b+c'")]
    [InlineData("'B12'.replace(/(\\d+)/, '[$1]') === 'B[12]' && 'aXbX'.replace(/X/g, function (m) { return m.toLowerCase(); }) === 'axbx'")]
    [InlineData("JSON.stringify({ a: [1, 'x'], b: { c: null } }) === '{\"a\":[1,\"x\"],\"b\":{\"c\":null}}' && JSON.stringify({ a: 1, b: 2 }, ['b']) === '{\"b\":2}'")]
    [InlineData("JSON.stringify({ a: 1 }, function (k, v) { return k === 'a' ? v + 1 : v; }) === '{\"a\":2}' && JSON.stringify({ a: 1 }, null, 2).indexOf('\\n') > 0")]
    public void Guarded_built_ins_behave_as_the_language_says(string filter)
    {
        var result = _evaluator.EvaluateFilter(filter, Event("B12"));
        Assert.True(result.Passed, result.Error?.ToString());
    }

    [Fact]
    public void A_request_past_its_filter_budget_fails_the_rest_closed_with_a_reason()
    {
        var options = new FilteringOptions { TimeoutMilliseconds = 200, RequestBudgetMilliseconds = 500 };
        var matcher = new EventMatcher(new JintFilterEvaluator(Options.Create(options)));
        var slow = Enumerable.Range(0, 10).Select(i => new Webhook
        {
            Id = Guid.NewGuid(), Name = $"slow {i:00}", Scope = WebhookScope.Space, Type = "User", Event = "Created", Enabled = true,
            Filter = "/^(a+)+$/.test('" + new string('a', 40) + "!')", Url = "https://example.com/hook",
        }).ToList();
        var (valid, error) = EventValidator.Validate(new EventInput { Type = "User", Action = "Created" }, DateTime.UtcNow);
        Assert.Null(error);

        var budget = options.NewRequestBudget();
        var decisions = matcher.Decide(slow, valid!, budget);

        Assert.All(decisions, d => Assert.Equal(OutcomeKind.FilterError, d.Outcome));
        var notRun = decisions.Where(d => d.Message!.Contains("Filtering:RequestBudgetMilliseconds")).ToList();
        // 500 ms of budget at ~200 ms per runaway filter (the regex time limit): a few ran, the rest were refused without running.
        Assert.InRange(notRun.Count, 5, 8);
        Assert.True(budget.Exhausted);
    }
}
