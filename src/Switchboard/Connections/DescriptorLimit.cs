using System.Globalization;

namespace Switchboard.Connections;

/// <summary>
/// The process's open-file limit. The .NET runtime already raises the soft limit to the hard one at startup on
/// Linux, so this only reads it, to size the default connection limit below it.
/// </summary>
internal static class DescriptorLimit
{
    // Descriptors kept for everything that is not a client connection: logs, the runtime, the listening sockets.
    private const int Reserved = 64;

    /// <summary>Client connections that fit: each may also hold one pooled upstream connection.</summary>
    public static int DefaultMaxConnections() => Read() is { } limit ? (int)Math.Clamp((limit - Reserved) / 2, 64, 100_000) : 10_000;

    private static long? Read()
    {
        const string Path = "/proc/self/limits";
        if (!File.Exists(Path)) return null;
        foreach (var line in File.ReadLines(Path))
        {
            if (!line.StartsWith("Max open files", StringComparison.Ordinal)) continue;
            var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 0 && long.TryParse(fields[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var soft) ? soft : null;
        }
        return null;
    }
}
