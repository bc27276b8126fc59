namespace WebhookConsole.Tests.TestSupport;

public static class Eventually
{
    /// <summary>Polls until the condition holds, failing with the message after the timeout.</summary>
    public static async Task<T> WaitAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        T value;
        while (true)
        {
            value = await read();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) throw new Xunit.Sdk.XunitException($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}; last value: {value}");
            await Task.Delay(100);
        }
    }
}
