using System.Diagnostics;
using Microsoft.Extensions.Options;
using WebhookConsole.Filtering;

namespace WebhookConsole.Tests.Filtering;

public class JintFilterEvaluatorTests
{
    private readonly JintFilterEvaluator _evaluator = new(Options.Create(new FilteringOptions()));

    private const string SubmissionContext = """
        {
          "space": { "slug": "acme", "name": "ACME", "attributes": { "Task Server Host": ["task.acme.example"] } },
          "kapp": { "slug": "services", "name": "Services", "attributes": { "Owner": ["Facilities", "IT"] } },
          "form": { "slug": "cleaning-request", "name": "Cleaning Request", "attributes": { "Custom Submission Workflow": ["Submitted"] } },
          "submission": { "id": "s-1", "coreState": "Submitted", "createdBy": "ann", "values": { "Room": "B12", "Count": 3, "Urgent": true, "Rooms": ["B12", "B14"] } },
          "user": { "username": "ann", "email": "ann@acme.example", "attributes": { "Department": ["Facilities"] } }
        }
        """;

    private static ScriptBindings Submission(string json = SubmissionContext) =>
        ScriptBindings.FromJson("Submission", "Submitted", json, kapp: "services", form: "cleaning-request", source: "ui");

    private bool Eval(string filter, ScriptBindings? bindings = null)
    {
        var result = _evaluator.EvaluateFilter(filter, bindings ?? Submission());
        Assert.Null(result.Error);
        return result.Passed;
    }

    [Fact]
    public void Blank_filter_is_true() => Assert.True(Eval("   "));

    [Theory]
    [InlineData("space('slug') === 'acme'")]
    [InlineData("space('name') === 'ACME'")]
    [InlineData("space('attribute:Task Server Host') === 'task.acme.example'")]
    [InlineData("kapp('slug') === 'services'")]
    [InlineData("kapp('attributeValues:Owner').length === 2 && kapp('attributeValues:Owner')[1] === 'IT'")]
    [InlineData("form('slug') === 'cleaning-request'")]
    [InlineData("form('attribute:Custom Submission Workflow').indexOf('Submitted') > -1")]
    [InlineData("submission('coreState') === 'Submitted' && submission('createdBy') === 'ann' && submission('id') === 's-1'")]
    [InlineData("values('Room') === 'B12'")]
    [InlineData("values('Count') === 3 && values('Urgent') === true")]
    [InlineData("values('Rooms').indexOf('B14') === 1")]
    [InlineData("user('username') === 'ann' && user('email') === 'ann@acme.example'")]
    [InlineData("user('attribute:Department') === 'Facilities'")]
    [InlineData("event('type') === 'Submission' && event('action') === 'Submitted' && event('source') === 'ui'")]
    [InlineData("event('kapp') === 'services' && event('form') === 'cleaning-request'")]
    public void Submission_bindings_read_the_context(string filter) => Assert.True(Eval(filter));

    [Fact]
    public void Kapp_and_form_slugs_fall_back_to_the_event_envelope()
    {
        var bare = ScriptBindings.FromJson("Submission", "Submitted", "{}", kapp: "services", form: "intake");
        Assert.True(Eval("kapp('slug') === 'services' && form('slug') === 'intake' && form('name') === ''", bare));
    }

    [Fact]
    public void Team_binding_reads_team_events()
    {
        var team = ScriptBindings.FromJson("Team", "Created", """{ "team": { "name": "Facilities", "slug": "facilities", "attributes": { "Assignable": ["True"] } } }""");
        Assert.True(Eval("team('name') === 'Facilities' && team('attribute:Assignable') === 'True'", team));
    }

    [Theory]
    [InlineData("form('attribute:Missing').indexOf('Submitted') > -1")]
    [InlineData("values('No Such Field') !== ''")]
    [InlineData("user('attribute:Nope').length > 0")]
    public void Missing_keys_read_as_empty_string_so_filters_are_false_not_errors(string filter) => Assert.False(Eval(filter));

    [Fact]
    public void The_seed_filter_is_false_when_the_form_has_no_workflow_attribute()
    {
        var json = SubmissionContext.Replace("\"Custom Submission Workflow\": [\"Submitted\"]", "\"Other\": [\"x\"]");
        Assert.False(Eval("form('attribute:Custom Submission Workflow').indexOf('Submitted') > -1", Submission(json)));
    }

    [Fact]
    public void A_binding_the_type_does_not_carry_is_a_runtime_error_naming_the_available_ones()
    {
        var user = ScriptBindings.FromJson("User", "Created", """{ "user": { "username": "ann" } }""");
        var result = _evaluator.EvaluateFilter("form('slug') === 'x'", user);
        Assert.False(result.Passed);
        Assert.Equal(ScriptErrorKind.Runtime, result.Error!.Kind);
        Assert.Contains("form() is not available for User events", result.Error.Message);
        Assert.Contains("user()", result.Error.Message);
    }

    [Fact]
    public void Syntax_error_reports_line_and_column()
    {
        var error = _evaluator.ValidateFilter("values('Room') === 'B12' &&\n  form('slug' === 'x'");
        Assert.NotNull(error);
        Assert.Equal(ScriptErrorKind.Syntax, error.Kind);
        Assert.Equal(2, error.Line);
        Assert.True(error.Column > 1);
        Assert.Contains("line 2", error.ToString());
    }

    [Fact]
    public void Runtime_error_is_an_error_result_with_position()
    {
        var result = _evaluator.EvaluateFilter("null.foo", Submission());
        Assert.False(result.Passed);
        Assert.Equal(ScriptErrorKind.Runtime, result.Error!.Kind);
        Assert.Equal(1, result.Error.Line);
    }

    [Fact]
    public void Strict_mode_refuses_undeclared_globals()
    {
        var result = _evaluator.EvaluateFilter("leak = 1; true", Submission());
        Assert.False(result.Passed);
        Assert.Equal(ScriptErrorKind.Runtime, result.Error!.Kind);
    }

    public static TheoryData<string, ScriptErrorKind[]> Hostile => new()
    {
        { "while (true) {}", [ScriptErrorKind.StatementLimit, ScriptErrorKind.Timeout] },
        { "for (;;) { var x = 1; }", [ScriptErrorKind.StatementLimit, ScriptErrorKind.Timeout] },
        { "function f(n) { return f(n + 1) + 1; } f(0)", [ScriptErrorKind.RecursionLimit] },
        { "var a = []; while (true) { a.push('xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' + a.length); }", [ScriptErrorKind.MemoryLimit, ScriptErrorKind.StatementLimit, ScriptErrorKind.Runtime, ScriptErrorKind.Timeout] },
        { "var s = 'x'; for (var i = 0; i < 40; i++) { s = s + s; } s.length > 0", [ScriptErrorKind.MemoryLimit, ScriptErrorKind.Runtime] },
        { "new Array(50000000).fill(1).length > 0", [ScriptErrorKind.MemoryLimit, ScriptErrorKind.Runtime] },
        { "System.IO.File.ReadAllText('/etc/passwd')", [ScriptErrorKind.Runtime] },
        { "importNamespace('System.IO').File.Exists('/etc/passwd')", [ScriptErrorKind.Runtime] },
        { "Function('return this')().process", [ScriptErrorKind.Runtime] },
        { "eval('1 + 1') === 2", [ScriptErrorKind.Runtime] },
        { "typeof host !== 'undefined' ? host.ToString() : clr.System", [ScriptErrorKind.Runtime] },
        { "values.constructor.constructor('return 1')()", [ScriptErrorKind.Runtime] },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Hostile_scripts_end_in_an_error_result_quickly(string script, ScriptErrorKind[] expected)
    {
        var watch = Stopwatch.StartNew();
        var result = _evaluator.EvaluateFilter(script, Submission());
        watch.Stop();

        Assert.False(result.Passed);
        Assert.NotNull(result.Error);
        Assert.Contains(result.Error.Kind, expected);
        Assert.False(string.IsNullOrWhiteSpace(result.Error.Message));
        // Generous bound for a shared 2-core machine: the point is "stops", not "fast".
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
    }

    [Fact]
    public void Template_substitutes_and_url_encodes_each_value()
    {
        var result = _evaluator.RenderTemplate("https://task.acme.example/run/${kapp('slug')}/${form('name')}?room=${values('Room') + '&x=1'}", Submission());
        Assert.Null(result.Error);
        Assert.Equal("https://task.acme.example/run/services/Cleaning%20Request?room=B12%26x%3D1", result.Value);
    }

    [Fact]
    public void Template_with_braces_inside_strings_parses()
    {
        var result = _evaluator.RenderTemplate("https://h/${'}' + values('Room')}", Submission());
        Assert.Equal("https://h/%7DB12", result.Value);
    }

    [Theory]
    [InlineData("https://h/${kapp('slug')", 11)]
    [InlineData("https://h/${kapp('slug') +}", 27)]
    public void Template_errors_name_the_column_in_the_whole_url(string template, int column)
    {
        var error = _evaluator.ValidateTemplate(template);
        Assert.NotNull(error);
        Assert.Equal(column, error.Column);
    }

    [Fact]
    public void Template_expression_that_throws_is_an_error_not_an_exception()
    {
        var result = _evaluator.RenderTemplate("https://h/${null.x}", Submission());
        Assert.Null(result.Value);
        Assert.Equal(ScriptErrorKind.Runtime, result.Error!.Kind);
    }

    [Fact]
    public void Prepared_scripts_are_reused_across_evaluations_and_threads()
    {
        const string filter = "form('attribute:Custom Submission Workflow').indexOf('Submitted') > -1";
        var results = new bool[64];
        Parallel.For(0, results.Length, i => results[i] = _evaluator.EvaluateFilter(filter, Submission()).Passed);
        Assert.All(results, Assert.True);
    }

    // Each thread reuses one engine for speed; nothing a script does may reach the next evaluation.

    [Fact]
    public void A_script_with_declarations_runs_again_and_again_with_fresh_state()
    {
        const string counter = "var seen = typeof seen === 'number' ? seen + 1 : 1; let rooms = values('Rooms'); seen === 1 && rooms.length === 2";
        for (var i = 0; i < 3; i++) Assert.True(Eval(counter), $"run {i + 1} saw state left by an earlier run");
    }

    [Theory]
    [InlineData("String.prototype.indexOf = function () { return 0; }; true")]
    [InlineData("Array.prototype.includes = function () { return true; }; true")]
    [InlineData("globalThis.leak = 'yes'; true")]
    [InlineData("Object.defineProperty(globalThis, 'form', { value: () => 'Submitted' }); true")]
    [InlineData("JSON.parse = () => ({}); true")]
    public void A_script_cannot_change_what_the_next_script_sees(string tamper)
    {
        var result = _evaluator.EvaluateFilter(tamper, Submission());
        Assert.False(result.Passed);
        Assert.Equal(ScriptErrorKind.Runtime, result.Error?.Kind);

        Assert.False(Eval("'Closed'.indexOf('Submitted') > -1"));
        Assert.False(Eval("values('Rooms').includes('Z99')"));
        Assert.True(Eval("typeof leak === 'undefined'"));
        Assert.True(Eval("form('attribute:Custom Submission Workflow') === 'Submitted' && form('slug') === 'cleaning-request'"));
        Assert.True(Eval("JSON.parse('{\"a\":1}').a === 1"));
    }

    [Fact]
    public void A_runaway_script_leaves_the_reused_engine_usable()
    {
        var runaway = _evaluator.EvaluateFilter("while (true) {}", Submission());
        Assert.NotNull(runaway.Error);
        Assert.True(Eval("values('Room') === 'B12'"));
        Assert.True(Eval("values('Room') === 'B99'", Submission(SubmissionContext.Replace("B12", "B99"))));
    }

    [Fact]
    public void Threads_evaluating_at_once_each_see_their_own_event()
    {
        var failures = 0;
        Parallel.For(0, 4_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var room = $"R{i}";
            var result = _evaluator.EvaluateFilter($"values('Room') === '{room}'", Submission(SubmissionContext.Replace("B12", room)));
            if (!result.Passed) Interlocked.Increment(ref failures);
        });
        Assert.Equal(0, failures);
    }
}
