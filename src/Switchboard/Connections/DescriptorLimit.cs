using System.Globalization;

namespace Switchboard.Connections;

/// <summary>
/// The process's open-file limit. The .NET runtime already raises the soft limit to the hard one at startup on
/// Linux, so this only reads it, to size the default connection limit below it.
/// </summary>
internal static class DescriptorLimit
{
    // Descriptors kept for everything that is not a client connection: the runtime holds about two per loaded
    // assembly (an idle gateway has ~170 open, more as code paths load), plus logs and listening sockets.
    private const int Reserved = 384;

    /// <summary>Client connections that fit under the open-file limit (10,000 where it cannot be read).</summary>
    public static int DefaultMaxConnections() => Read() is { } limit ? ConnectionsFor(limit) : 10_000;

    /// <summary>Each client connection may also hold one pooled upstream connection.</summary>
    public static int ConnectionsFor(long descriptors) => (int)Math.Clamp((descriptors - Reserved) / 2, 16, 100_000);

    /// <summary>The soft open-file limit, or null where <c>/proc</c> does not say.</summary>
    public static long? Read()
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
