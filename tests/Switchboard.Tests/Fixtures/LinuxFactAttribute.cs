namespace Switchboard.Tests.Fixtures;

/// <summary>
/// A fact that measures the gateway through Linux's <c>/proc</c> and <c>ulimit</c>; reported as skipped, with the
/// reason, elsewhere or where the hard open-file limit is below <see cref="MinOpenFiles"/>.
/// </summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    private int _minOpenFiles;

    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "skipped: needs Linux (/proc, ulimit)";
    }

    public int MinOpenFiles
    {
        get => _minOpenFiles;
        set
        {
            _minOpenFiles = value;
            // The runtime raised this process's soft limit to the hard one, so the soft limit is the hard limit.
            if (Skip is null && OpenFileLimit() is { } limit && limit < value)
                Skip = $"skipped: needs an open-file hard limit of at least {value} (this machine's is {limit})";
        }
    }

    private static long? OpenFileLimit()
    {
        var line = File.ReadLines("/proc/self/limits").FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var fields = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields is { Length: > 0 } && long.TryParse(fields[0], out var soft) ? soft : null;
    }
}
