namespace WebhookConsole.Filtering;

public static class FilteringExtensions
{
    public static IHostApplicationBuilder AddFiltering(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<FilteringOptions>(builder.Configuration.GetSection("Filtering"));
        builder.Services.AddSingleton<IFilterEvaluator, JintFilterEvaluator>();
        return builder;
    }
}
