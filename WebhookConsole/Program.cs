using WebhookConsole;
using WebhookConsole.Data;
using WebhookConsole.Dispatching;
using WebhookConsole.Events;
using WebhookConsole.Features.Inspector;
using WebhookConsole.Filtering;
using WebhookConsole.Security;

var builder = WebApplication.CreateBuilder(args);

builder.AddRootSettings();
builder.AddData();
builder.AddSecurity();
builder.AddFiltering();
builder.AddEvents();
builder.AddInspector();
builder.AddDispatching();
builder.AddConsole();

var app = builder.Build();

await app.InitializeDatabaseAsync();
app.UseConsole();
app.MapConsole();

await app.RunAsync();

public partial class Program;
