using System.Globalization;
using System.Text.RegularExpressions;

namespace Switchboard.Configuration;

/// <summary>
/// Reads <see cref="GatewayOptions"/> out of layered configuration and validates it, failing with
/// the full key and what is wrong, so a bad config stops the gateway at startup rather than at the first request.
/// </summary>
public static partial class GatewayOptionsReader
{
    private const string S = ConfigurationSources.Section;
    private const string DefaultOpenAiBaseUrl = "https://api.openai.com/v1";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    private static partial Regex ProviderName();

    public static GatewayOptions Read(IConfiguration configuration, string workingDirectory)
    {
        var root = configuration.GetSection(S);
        var providers = ReadProviders(configuration, root.GetSection("Providers"));
        var models = ReadModels(root.GetSection("Models"), providers);
        var urls = ReadList(root, "Urls");
        if (urls.Count == 0) urls = ["http://127.0.0.1:8080"];
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https"))
                throw new ConfigurationException($"{S}:Urls: '{url}' is not an http(s) URL such as http://127.0.0.1:8080.");
        }
        var masterKey = root["MasterKey"];
        if (masterKey is { Length: < 8 })
            throw new ConfigurationException($"{S}:MasterKey: must be at least 8 characters when set.");
        var log = root.GetSection("Logging");
        return new GatewayOptions
        {
            Urls = urls,
            DataDirectory = Path.GetFullPath(root["DataDirectory"] ?? "data", workingDirectory),
            MasterKey = string.IsNullOrEmpty(masterKey) ? null : masterKey,
            MaxRequestBodyBytes = ReadLong(root, "MaxRequestBodyBytes", 32 * 1024 * 1024, min: 1024),
            ShutdownTimeout = ReadDuration(root, "ShutdownTimeout", TimeSpan.FromSeconds(30)),
            Logging = new LogOptions
            {
                LogContent = ReadBool(log, "LogContent", false),
                FileEnabled = ReadBool(log, "File:Enabled", true),
                ConsoleEnabled = ReadBool(log, "Console", true),
                MaxFileBytes = ReadLong(log, "File:MaxFileBytes", 10 * 1024 * 1024, min: 4096),
                RetainedFiles = (int)ReadLong(log, "File:RetainedFiles", 14, min: 1),
                MinimumLevel = ReadEnum(log, "Level", LogLevel.Information),
            },
            Providers = providers,
            Models = models,
        };
    }

    private static List<ProviderOptions> ReadProviders(IConfiguration configuration, IConfigurationSection section)
    {
        var providers = new List<ProviderOptions>();
        foreach (var child in section.GetChildren())
        {
            // Names are case-insensitive identifiers: SWITCHBOARD__PROVIDERS__OPENAI__APIKEY names "openai".
            var name = child.Key.ToLowerInvariant();
            if (!ProviderName().IsMatch(name))
                throw new ConfigurationException($"{child.Path}: provider names may use letters, digits, '_', '-' and '.'.");
            var isOpenAi = name.Equals("openai", StringComparison.OrdinalIgnoreCase);
            var kind = (child["Type"] ?? "openai").ToLowerInvariant() switch
            {
                "openai" or "openai-compatible" or "compatible" => ProviderKind.OpenAiCompatible,
                "azure" or "azure-openai" => ProviderKind.Azure,
                var other => throw new ConfigurationException($"{child.Path}:Type: '{other}' is not a provider type; use 'openai' (any OpenAI-compatible server) or 'azure'."),
            };
            var baseUrl = child["BaseUrl"] ?? (isOpenAi ? configuration["OPENAI_BASE_URL"] ?? DefaultOpenAiBaseUrl : null)
                ?? throw new ConfigurationException($"{child.Path}:BaseUrl: required (for example https://api.deepseek.com/v1).");
            var apiKey = child["ApiKey"] ?? (isOpenAi ? configuration["OPENAI_API_KEY"] : null);
            var apiVersion = child["ApiVersion"];
            if (kind == ProviderKind.Azure && string.IsNullOrEmpty(apiVersion))
                throw new ConfigurationException($"{child.Path}:ApiVersion: required for Azure providers (for example 2024-10-21).");
            providers.Add(new ProviderOptions
            {
                Name = name,
                Kind = kind,
                BaseUrl = ReadBaseUrl(child.Path + ":BaseUrl", baseUrl),
                ApiKey = apiKey,
                Organization = child["Organization"] ?? (isOpenAi ? configuration["OPENAI_ORG_ID"] : null),
                ApiVersion = apiVersion,
                Deployments = child.GetSection("Deployments").GetChildren().ToDictionary(c => c.Key, c => c.Value ?? "", StringComparer.Ordinal),
                Models = ReadList(child, "Models"),
                Timeouts = new TimeoutOptions
                {
                    Connect = ReadDuration(child, "Timeouts:Connect", TimeSpan.FromSeconds(10)),
                    FirstByte = ReadDuration(child, "Timeouts:FirstByte", TimeSpan.FromSeconds(120)),
                    Idle = ReadDuration(child, "Timeouts:Idle", TimeSpan.FromSeconds(60)),
                },
                Retry = new RetryOptions
                {
                    MaxRetries = (int)ReadLong(child, "Retry:MaxRetries", 2, min: 0, max: 10),
                    BaseDelay = ReadDuration(child, "Retry:BaseDelay", TimeSpan.FromMilliseconds(500)),
                    MaxDelay = ReadDuration(child, "Retry:MaxDelay", TimeSpan.FromSeconds(10)),
                },
                CircuitBreaker = new CircuitBreakerOptions
                {
                    FailureThreshold = (int)ReadLong(child, "CircuitBreaker:FailureThreshold", 5, min: 2),
                    Window = ReadDuration(child, "CircuitBreaker:Window", TimeSpan.FromSeconds(30)),
                    BreakDuration = ReadDuration(child, "CircuitBreaker:BreakDuration", TimeSpan.FromSeconds(30)),
                },
            });
        }

        // With only OPENAI_API_KEY set, OpenAI's models must work with no file at all.
        if (configuration["OPENAI_API_KEY"] is { Length: > 0 } key && !providers.Any(p => p.Name.Equals("openai", StringComparison.OrdinalIgnoreCase)))
        {
            providers.Add(new ProviderOptions
            {
                Name = "openai",
                Kind = ProviderKind.OpenAiCompatible,
                BaseUrl = ReadBaseUrl("OPENAI_BASE_URL", configuration["OPENAI_BASE_URL"] ?? DefaultOpenAiBaseUrl),
                ApiKey = key,
                Organization = configuration["OPENAI_ORG_ID"],
                Models = ["*"],
                Timeouts = new TimeoutOptions(),
                Retry = new RetryOptions(),
                CircuitBreaker = new CircuitBreakerOptions(),
            });
        }
        return providers;
    }

    private static List<ModelOptions> ReadModels(IConfigurationSection section, List<ProviderOptions> providers)
    {
        var models = new List<ModelOptions>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var child in section.GetChildren())
        {
            var targets = new List<ModelTarget>();
            var entries = ReadList(child, "Providers");
            if (child["Provider"] is { Length: > 0 } single) entries.Insert(0, single);
            if (entries.Count == 0)
                throw new ConfigurationException($"{child.Path}:Providers: list at least one provider (\"name\" or \"name:upstream-model\").");
            foreach (var entry in entries)
            {
                var colon = entry.IndexOf(':', StringComparison.Ordinal);
                var providerName = colon < 0 ? entry : entry[..colon];
                var provider = providers.FirstOrDefault(p => p.Name.Equals(providerName, StringComparison.OrdinalIgnoreCase))
                    ?? throw new ConfigurationException($"{child.Path}:Providers: '{providerName}' is not a configured provider (known: {string.Join(", ", providers.Select(p => p.Name).DefaultIfEmpty("none"))}).");
                targets.Add(new ModelTarget(provider.Name, colon < 0 ? child.Key : entry[(colon + 1)..]));
            }
            var aliases = ReadList(child, "Aliases");
            foreach (var name in aliases.Prepend(child.Key))
            {
                if (!names.Add(name))
                    throw new ConfigurationException($"{child.Path}: the name or alias '{name}' is used by more than one model.");
            }
            models.Add(new ModelOptions
            {
                Name = child.Key,
                Targets = targets,
                Aliases = aliases,
                ContextWindow = child["ContextWindow"] is null ? null : (int)ReadLong(child, "ContextWindow", 0, min: 1),
                InputMicrosPerMillion = ReadPrice(child, "InputPricePerMillion"),
                OutputMicrosPerMillion = ReadPrice(child, "OutputPricePerMillion"),
            });
        }
        return models;
    }

    private static Uri ReadBaseUrl(string key, string value)
    {
        if (!Uri.TryCreate(value.TrimEnd('/'), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ConfigurationException($"{key}: '{value}' is not an absolute http(s) URL.");
        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            throw new ConfigurationException($"{key}: '{value}' must not carry a query or fragment.");
        return uri;
    }

    private static List<string> ReadList(IConfigurationSection section, string key)
    {
        var child = section.GetSection(key);
        if (child.Value is { } scalar)
            return scalar.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        return child.GetChildren().Select(c => c.Value).OfType<string>().Where(v => v.Length > 0).ToList();
    }

    private static long ReadLong(IConfigurationSection section, string key, long fallback, long min = long.MinValue, long max = long.MaxValue)
    {
        var raw = section[key];
        if (raw is null) return fallback;
        if (!long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new ConfigurationException($"{section.Path}:{key}: '{raw}' is not a whole number{(min > long.MinValue ? $" ≥ {min}" : "")}{(max < long.MaxValue ? $" and ≤ {max}" : "")}.");
        return value;
    }

    private static bool ReadBool(IConfigurationSection section, string key, bool fallback)
    {
        var raw = section[key];
        if (raw is null) return fallback;
        return bool.TryParse(raw, out var value) ? value
            : throw new ConfigurationException($"{section.Path}:{key}: '{raw}' is not true or false.");
    }

    private static T ReadEnum<T>(IConfigurationSection section, string key, T fallback) where T : struct, Enum
    {
        var raw = section[key];
        if (raw is null) return fallback;
        return Enum.TryParse<T>(raw, ignoreCase: true, out var value) ? value
            : throw new ConfigurationException($"{section.Path}:{key}: '{raw}' is not one of {string.Join(", ", Enum.GetNames<T>())}.");
    }

    private static long? ReadPrice(IConfigurationSection section, string key)
    {
        var raw = section[key];
        if (raw is null) return null;
        if (!decimal.TryParse(raw, NumberStyles.Number, CultureInfo.InvariantCulture, out var dollars) || dollars < 0)
            throw new ConfigurationException($"{section.Path}:{key}: '{raw}' is not a price in dollars per million tokens (for example 0.15).");
        return (long)decimal.Round(dollars * 1_000_000m);
    }

    /// <summary>Durations as <c>500ms</c>, <c>10s</c>, <c>2m</c>, <c>1h</c>, plain seconds, or <c>hh:mm:ss</c>.</summary>
    internal static TimeSpan ReadDuration(IConfigurationSection section, string key, TimeSpan fallback)
    {
        var raw = section[key];
        if (raw is null) return fallback;
        return TryParseDuration(raw, out var value) && value > TimeSpan.Zero ? value
            : throw new ConfigurationException($"{section.Path}:{key}: '{raw}' is not a positive duration such as 500ms, 10s, 2m or 00:00:10.");
    }

    internal static bool TryParseDuration(string raw, out TimeSpan value)
    {
        raw = raw.Trim();
        (string suffix, double scale)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)];
        foreach (var (suffix, scale) in units)
        {
            if (raw.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) &&
                double.TryParse(raw[..^suffix.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
            {
                value = TimeSpan.FromSeconds(n * scale);
                return true;
            }
        }
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            value = TimeSpan.FromSeconds(seconds);
            return true;
        }
        return TimeSpan.TryParse(raw, CultureInfo.InvariantCulture, out value);
    }
}
