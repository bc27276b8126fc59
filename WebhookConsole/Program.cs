using WebhookConsole;

var builder = WebApplication.CreateBuilder(args);

builder.AddRootSettings();
builder.AddConsoleServices();
builder.AddConsolePages();

var app = builder.Build();

await app.InitializeDatabaseAsync();
app.UseConsole();
app.MapConsole();

await app.RunAsync();

public partial class Program;
