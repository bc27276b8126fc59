using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using WebhookConsole.Components.Shared;
using WebhookConsole.Catalog;
using WebhookConsole.Data.Entities;
using WebhookConsole.Events;
using WebhookConsole.Payloads;
using WebhookConsole.Security;

namespace WebhookConsole.Features.Events;

public partial class SimulatorPage
{
    [Inject] private SimulatorService Simulator { get; set; } = default!;
    [Inject] private EventsQuery Events { get; set; } = default!;
    [Inject] private ICurrentUser Me { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;

    private string _type = "Submission";
    private string _action = "Submitted";
    private string? _kapp = "services";
    private string? _form = "cleaning-request";
    private EventSource _source = EventSource.Ui;
    private string _context = "";
    private CodeEditor? _contextEditor;
    private bool _sending;
    private string? _error;
    private EventDetail? _result;
    private IReadOnlyList<DryRunOutcome>? _dryRun;
    private bool _forReal;

    protected override void OnInitialized() => ResetContext();

    private void TypeChanged(string type)
    {
        _type = type;
        var info = EventCatalog.Find(type)!;
        _action = info.Actions.Contains("Submitted") ? "Submitted" : info.Actions[0];
        ResetContext();
    }

    /// <summary>Keeps the context's kapp and form objects in step with the slugs typed above.</summary>
    private const string SectionKapp = "kapp";
    private const string SectionForm = "form";

    private void SlugChanged(string section, string? slug)
    {
        if (section == "kapp") _kapp = slug;
        else _form = slug;
        try
        {
            if (JsonNode.Parse(_context) is JsonObject root && root[section] is JsonObject obj && !string.IsNullOrWhiteSpace(slug))
            {
                obj["slug"] = slug.Trim();
                _context = root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
            }
        }
        catch (JsonException)
        {
            // The context is being edited into shape; leave it alone.
        }
    }

    private void ResetContext() =>
        _context = SampleEvents.Context(_type, _kapp, _form).ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    private async Task SendAsync()
    {
        // The context as the editor holds it now: the click can overtake the last keystrokes' change events.
        if (_contextEditor is not null) _context = await _contextEditor.FlushAsync();
        _error = null;
        _result = null;
        _dryRun = null;
        JsonElement context;
        try
        {
            using var document = JsonDocument.Parse(_context);
            context = document.RootElement.ValueKind == JsonValueKind.Object
                ? document.RootElement.Clone() : throw new JsonException("The context must be a JSON object.");
        }
        catch (JsonException ex)
        {
            _error = "The context is not valid JSON: " + ex.Message;
            return;
        }
        var input = new EventInput { Type = _type, Action = _action, Kapp = _kapp, Form = _form, Source = _source.ToString(), Context = context };
        var (valid, invalid) = EventValidator.Validate(input, Time.GetUtcNow().UtcDateTime);
        if (invalid is not null)
        {
            _error = invalid.Detail;
            return;
        }
        _sending = true;
        try
        {
            var actor = await Me.ActorAsync();
            if (_forReal)
            {
                var reply = await Simulator.SendAsync(actor, valid!);
                _result = await Events.GetAsync(reply.EventId);
            }
            else
            {
                _dryRun = await Simulator.DryRunAsync(actor, valid!);
            }
        }
        finally
        {
            _sending = false;
        }
    }
}
