using System.Globalization;

namespace Switchboard.Configuration;

/// <summary>
/// Reads typed settings out of configuration the way YARP validates its own: a bad value is recorded with its
/// full key and the problem, and reading goes on, so one start reports every problem at once. It also notes each
/// key it reads, so keys nothing reads — typos, settings of another version — are reported rather than ignored.
/// </summary>
internal sealed class SettingsReader
{
    private readonly List<string> _problems = [];
    private readonly HashSet<string> _read = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _readWhole = [];

    public void Problem(string key, string problem) => _problems.Add($"{key}: {problem}");

    /// <summary>Throws <see cref="ConfigurationException"/> with every problem, including keys under <paramref name="root"/> nothing read.</summary>
    public void ThrowIfInvalid(IConfigurationSection root)
    {
        foreach (var (key, value) in root.AsEnumerable())
        {
            if (value is null || _read.Contains(key)) continue;    // sections themselves have no value
            if (!_readWhole.Exists(prefix => key.StartsWith(prefix + ":", StringComparison.OrdinalIgnoreCase) || key.Equals(prefix, StringComparison.OrdinalIgnoreCase)))
                Problem(key, "not a setting Switchboard knows (check its spelling and nesting).");
        }
        if (_problems.Count > 0) throw new ConfigurationException(_problems);
    }

    public string? String(IConfigurationSection section, string key)
    {
        var child = section.GetSection(key);
        _read.Add(child.Path);
        return child.Value;
    }

    /// <summary>A list: YAML/JSON arrays (<c>key:0</c>, <c>key:1</c>) or one comma-separated value.</summary>
    public List<string> List(IConfigurationSection section, string key)
    {
        var child = section.GetSection(key);
        _readWhole.Add(child.Path);
        if (child.Value is { } scalar)
            return [.. scalar.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        return [.. child.GetChildren().Select(c => c.Value).OfType<string>().Where(v => v.Length > 0)];
    }

    /// <summary>A name → value map such as Azure's <c>Deployments</c>.</summary>
    public Dictionary<string, string> Map(IConfigurationSection section, string key)
    {
        var child = section.GetSection(key);
        _readWhole.Add(child.Path);
        return child.GetChildren().ToDictionary(c => c.Key, c => c.Value ?? "", StringComparer.Ordinal);
    }

    public long Long(IConfigurationSection section, string key, long fallback, long min = long.MinValue, long max = long.MaxValue)
    {
        var raw = String(section, key);
        if (raw is null) return fallback;
        if (long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max) return value;
        Problem($"{section.Path}:{key}", $"'{raw}' is not a whole number{(min > long.MinValue ? $" ≥ {min}" : "")}{(max < long.MaxValue ? $" and ≤ {max}" : "")}.");
        return fallback;
    }

    public int Int(IConfigurationSection section, string key, int fallback, int min = int.MinValue, int max = int.MaxValue) =>
        (int)Long(section, key, fallback, min, max);

    public double Double(IConfigurationSection section, string key, double fallback, double min)
    {
        var raw = String(section, key);
        if (raw is null) return fallback;
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && double.IsFinite(value)) return value;
        Problem($"{section.Path}:{key}", $"'{raw}' is not a number ≥ {min.ToString(CultureInfo.InvariantCulture)}.");
        return fallback;
    }

    public bool Bool(IConfigurationSection section, string key, bool fallback)
    {
        var raw = String(section, key);
        if (raw is null) return fallback;
        if (bool.TryParse(raw, out var value)) return value;
        Problem($"{section.Path}:{key}", $"'{raw}' is not true or false.");
        return fallback;
    }

    public T Enum<T>(IConfigurationSection section, string key, T fallback) where T : struct, Enum
    {
        var raw = String(section, key);
        if (raw is null) return fallback;
        if (System.Enum.TryParse<T>(raw, ignoreCase: true, out var value) && System.Enum.IsDefined(value)) return value;
        Problem($"{section.Path}:{key}", $"'{raw}' is not one of {string.Join(", ", System.Enum.GetNames<T>())}.");
        return fallback;
    }

    /// <summary>Dollars per million tokens, kept as integer micro-dollars.</summary>
    public long? Price(IConfigurationSection section, string key)
    {
        var raw = String(section, key);
        if (raw is null) return null;
        if (decimal.TryParse(raw, NumberStyles.Number, CultureInfo.InvariantCulture, out var dollars) && dollars >= 0 && dollars < 1_000_000)
            return (long)decimal.Round(dollars * 1_000_000m);
        Problem($"{section.Path}:{key}", $"'{raw}' is not a price in dollars per million tokens (for example 0.15).");
        return null;
    }

    /// <summary>Durations as <c>500ms</c>, <c>10s</c>, <c>2m</c>, <c>1h</c>, plain seconds, or <c>hh:mm:ss</c>; positive and at most <paramref name="max"/> (a week by default).</summary>
    public TimeSpan Duration(IConfigurationSection section, string key, TimeSpan fallback, TimeSpan? min = null, TimeSpan? max = null)
    {
        var raw = String(section, key);
        if (raw is null) return fallback;
        var floor = min ?? TimeSpan.Zero;
        var ceiling = max ?? TimeSpan.FromDays(7);
        if (TryParseDuration(raw, out var value) && value > TimeSpan.Zero && value >= floor && value <= ceiling) return value;
        Problem($"{section.Path}:{key}", $"'{raw}' is not a duration such as 500ms, 10s, 2m or 00:00:10{(min is null ? " (positive" : $" (at least {floor.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s")}, at most {ceiling.TotalDays.ToString(CultureInfo.InvariantCulture)} days).");
        return fallback;
    }

    internal static bool TryParseDuration(string raw, out TimeSpan value)
    {
        raw = raw.Trim();
        (string suffix, double scale)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, scale) in units)
        {
            if (raw.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) &&
                double.TryParse(raw[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n) && Math.Abs(n * scale) < 1e9)
            {
                value = TimeSpan.FromSeconds(n * scale);
                return true;
            }
        }
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds) && Math.Abs(seconds) < 1e9)
        {
            value = TimeSpan.FromSeconds(seconds);
            return true;
        }
        return TimeSpan.TryParse(raw, CultureInfo.InvariantCulture, out value);
    }
}
