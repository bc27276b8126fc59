namespace WebhookConsole.Security;

public static class Roles
{
    /// <summary>Everything.</summary>
    public const string Admin = "Admin";
    /// <summary>Sees everything; retries and abandons jobs; changes no webhooks, users or keys.</summary>
    public const string Support = "Support";
    public static readonly IReadOnlyList<string> All = [Admin, Support];
}

public static class ApiScopes
{
    public const string EventsWrite = "events:write";
    public const string WebhooksManage = "webhooks:manage";
    public const string JobsManage = "jobs:manage";
    public const string ClaimType = "scope";
    public static readonly IReadOnlyList<string> All = [EventsWrite, WebhooksManage, JobsManage];
}

public static class Policies
{
    public const string Admin = "Admin";
    /// <summary>Admin or Support: the people who may retry and abandon jobs.</summary>
    public const string Operator = "Operator";
    public const string ApiEvents = "api:" + ApiScopes.EventsWrite;
    public const string ApiWebhooks = "api:" + ApiScopes.WebhooksManage;
    public const string ApiJobs = "api:" + ApiScopes.JobsManage;
}
