using Microsoft.Extensions.Logging;
using Switchboard.Configuration;
using Switchboard.Logging;

namespace Switchboard.Tests.Logging;

public sealed class RollingFileSinkTests
{
    private sealed class SettableTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new(2026, 11, 21, 23, 59, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void Rolls_by_size_and_keeps_only_the_newest_files()
    {
        var dir = Directory.CreateTempSubdirectory("switchboard-logs-").FullName;
        using (var provider = new BatchingLoggerProvider([new RollingFileSink(dir, new LogOptions { MaxFileBytes = 4096, RetainedFiles = 3 })], TimeProvider.System))
        {
            var logger = provider.CreateLogger("test");
            for (var i = 0; i < 400; i++) logger.LogInformation("line {Number} {Padding}", i, new string('x', 60));
        }
        var files = Directory.GetFiles(dir);
        Assert.Equal(3, files.Length);
        Assert.All(files, f => Assert.InRange(new FileInfo(f).Length, 1, 4096 + 512));
        // The newest lines survive pruning.
        Assert.Contains(files, f => File.ReadAllText(f).Contains("\"Number\":399", StringComparison.Ordinal));
    }

    [Fact]
    public void Starts_a_new_file_each_utc_day()
    {
        var dir = Directory.CreateTempSubdirectory("switchboard-logs-").FullName;
        var time = new SettableTime();
        using (var provider = new BatchingLoggerProvider([new RollingFileSink(dir, new LogOptions())], time))
        {
            var logger = provider.CreateLogger("test");
            logger.LogInformation("before midnight");
            provider.Dispose();
        }
        time.Now = time.Now.AddMinutes(2);
        using (var provider = new BatchingLoggerProvider([new RollingFileSink(dir, new LogOptions())], time))
        {
            provider.CreateLogger("test").LogInformation("after midnight");
        }
        Assert.Contains("before midnight", File.ReadAllText(Path.Combine(dir, "switchboard-20261121.log")), StringComparison.Ordinal);
        Assert.Contains("after midnight", File.ReadAllText(Path.Combine(dir, "switchboard-20261122.log")), StringComparison.Ordinal);
    }

    [Fact]
    public void Long_values_are_truncated_in_the_file_too()
    {
        var dir = Directory.CreateTempSubdirectory("switchboard-logs-").FullName;
        using (var provider = new BatchingLoggerProvider([new RollingFileSink(dir, new LogOptions())], TimeProvider.System))
        {
            provider.CreateLogger("test").LogInformation("model {Model}", new string('m', 1_000_000));
        }
        var line = File.ReadAllLines(Directory.GetFiles(dir).Single()).Single();
        var model = System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("Model").GetString()!;
        Assert.StartsWith(new string('m', LogValue.MaxLength) + "…", model, StringComparison.Ordinal);
        Assert.True(line.Length < 4 * LogValue.MaxLength);
    }
}
