using System.Text.Json.Nodes;
using WebhookConsole.Events;
using WebhookConsole.Catalog;

namespace WebhookConsole.Payloads;

/// <summary>Realistic sample contexts per event type: for the editor's Try it panel and the simulator.</summary>
public static class SampleEvents
{
    public static JsonObject Context(string type, string? kapp = null, string? form = null)
    {
        var info = EventCatalog.Find(type);
        var bindings = info?.Bindings ?? [];
        var ctx = new JsonObject
        {
            ["space"] = new JsonObject
            {
                ["slug"] = "acme", ["name"] = "ACME",
                ["attributes"] = new JsonObject { ["Task Server Host"] = new JsonArray("task.acme.example") },
            },
        };
        if (bindings.Contains("kapp"))
        {
            ctx["kapp"] = new JsonObject { ["slug"] = kapp ?? "services", ["name"] = "Services", ["attributes"] = new JsonObject() };
        }
        if (bindings.Contains("form"))
        {
            ctx["form"] = new JsonObject
            {
                ["slug"] = form ?? "cleaning-request", ["name"] = "Cleaning Request", ["status"] = "Active",
                ["attributes"] = new JsonObject { ["Custom Submission Workflow"] = new JsonArray("Submitted") },
            };
        }
        if (bindings.Contains("submission"))
        {
            ctx["submission"] = new JsonObject
            {
                ["id"] = "6f3c1d2e-8a7b-4c21-9e0f-1a2b3c4d5e6f", ["handle"] = "5E6F", ["label"] = "Cleaning B12",
                ["coreState"] = "Submitted", ["createdBy"] = "ann", ["createdAt"] = "2026-11-22T09:58:12.000Z",
                ["submittedAt"] = "2026-11-22T10:00:00.000Z", ["updatedAt"] = "2026-11-22T10:00:00.000Z",
                ["values"] = new JsonObject { ["Room"] = "B12", ["Requested For"] = "ann", ["Priority"] = "High", ["Rooms"] = new JsonArray("B12", "B14") },
            };
        }
        if (bindings.Contains("user"))
        {
            ctx["user"] = new JsonObject
            {
                ["username"] = "ann", ["email"] = "ann@acme.example", ["displayName"] = "Ann Archer", ["spaceAdmin"] = false,
                ["attributes"] = new JsonObject { ["Department"] = new JsonArray("Facilities") },
            };
        }
        if (bindings.Contains("team"))
        {
            ctx["team"] = new JsonObject { ["name"] = "Facilities", ["slug"] = "facilities", ["attributes"] = new JsonObject { ["Assignable"] = new JsonArray("True") } };
        }
        if (bindings.Contains("discussion"))
        {
            ctx["discussion"] = new JsonObject { ["id"] = "d-1001", ["title"] = "Cleaning B12", ["createdBy"] = "ann" };
        }
        if (bindings.Contains("invitation"))
        {
            ctx["invitation"] = new JsonObject { ["email"] = "bob@acme.example", ["invitedBy"] = "ann" };
        }
        return ctx;
    }
}
