using WebhookConsole.Data;
using WebhookConsole.Data.Entities;

namespace WebhookConsole.Tests.Data;

public class CompactColumnsTests
{
    public static TheoryData<HeaderEntry[]> HeaderLists() => new()
    {
        Array.Empty<HeaderEntry>(),
        new HeaderEntry[] { new("Content-Type", "application/json") },
        new HeaderEntry[] { new("webhook-id", "msg_1"), new("X-Api-Key", HeaderEntry.Masked, true), new("Set-Cookie", "a=1"), new("Set-Cookie", "b=2") },
        // Whatever a receiver or an old row held reads back exactly: separators, escapes, a value that looks like the secret mark.
        new HeaderEntry[] { new("Odd:Name", "value: with colon"), new("X", "*not secret"), new("Y", @"back\slash \n literal"), new("Z", "line\nbreak\r\n"), new("Empty", "") },
        new HeaderEntry[] { new(@"trailing\", @"ends\"), new("Ünïcode", "日本語 ✓", true) },
    };

    [Theory]
    [MemberData(nameof(HeaderLists))]
    public void Headers_read_back_exactly(HeaderEntry[] headers)
    {
        var block = CompactColumns.WriteHeaders([.. headers]);
        Assert.Equal(headers, CompactColumns.ReadHeaders(block));
    }

    [Fact]
    public void Headers_are_stored_as_the_block_on_the_wire_and_secret_ones_are_marked()
    {
        var block = CompactColumns.WriteHeaders([new("Content-Type", "application/json"), new("Authorization", HeaderEntry.Masked, true)]);
        Assert.Equal("Content-Type: application/json\nAuthorization:* " + HeaderEntry.Masked, block);
        Assert.True(CompactColumns.ReadHeaders(block)[1].Secret);
        Assert.False(CompactColumns.ReadHeaders(block)[0].Secret);
    }

    [Fact]
    public void Filtered_webhooks_read_back_exactly_and_take_their_ids_bytes_and_names()
    {
        var list = new List<FilteredWebhook>
        {
            new(Guid.CreateVersion7(), "cleaning"), new(Guid.Empty, ""), new(Guid.NewGuid(), "日本語"), new(Guid.NewGuid(), new string('x', 300)),
        };
        var packed = CompactColumns.WriteFiltered(list);
        Assert.Equal(list, CompactColumns.ReadFiltered(packed));
        // 16 bytes of id, a one- or two-byte length, the UTF-8 name: no per-element property names.
        Assert.Equal(4 * 16 + (1 + 8) + 1 + (1 + 9) + (2 + 300), packed.Length);
        Assert.Empty(CompactColumns.WriteFiltered([]));
        Assert.Empty(CompactColumns.ReadFiltered([]));
    }
}
