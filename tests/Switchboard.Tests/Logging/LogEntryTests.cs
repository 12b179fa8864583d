using Microsoft.Extensions.Logging;
using Switchboard.Logging;

namespace Switchboard.Tests.Logging;

public sealed class LogEntryTests
{
    private static LogEntry Entry(string template, params (string, object?)[] values) =>
        new(DateTimeOffset.UnixEpoch, LogLevel.Information, "c", 1, template,
            values.Select(v => new KeyValuePair<string, object?>(v.Item1, v.Item2)).ToArray(), null);

    [Fact]
    public void Formats_holes_by_name_with_invariant_culture_and_format_strings()
    {
        var entry = Entry("{Id} took {Ms:F1} ms, tokens={Tokens} {{literal}}", ("Ms", 1.26), ("Id", "req_1"), ("Tokens", null));
        Assert.Equal("req_1 took 1.3 ms, tokens=(null) {literal}", entry.Message);
    }

    [Fact]
    public void A_template_without_values_is_the_message()
    {
        Assert.Equal("plain {text}", Entry("plain {text}").Message);
    }

    [Fact]
    public void Doubled_braces_are_single_in_the_message_with_or_without_values()
    {
        // A framework message captured without a template arrives with its braces doubled (BatchingLoggerProvider).
        Assert.Equal("body {\"a\":1}", Entry("body {{\"a\":1}}").Message);
        Assert.Equal("{x} 7", Entry("{{x}} {N}", ("N", 7)).Message);
    }

    [Fact]
    public void A_value_cannot_forge_a_line_of_its_own_or_flood_the_log()
    {
        var forged = "gpt\n2026-12-01T00:00:00.000Z info: Switchboard[2000] forged\r\u001b[31m";
        var entry = Entry("model={Model} path={Path}", ("Model", forged), ("Path", new string('p', 100_000)));
        var message = entry.Message;
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain('\r', message);
        Assert.DoesNotContain('\u001b', message);
        Assert.Contains("gpt\\n2026", message, StringComparison.Ordinal);
        Assert.Contains("\\u001b", message, StringComparison.Ordinal);
        Assert.True(message.Length < 2 * LogValue.MaxLength, $"{message.Length} characters");
        Assert.Contains($"…(+{100_000 - LogValue.MaxLength} chars)", message, StringComparison.Ordinal);
    }
}
