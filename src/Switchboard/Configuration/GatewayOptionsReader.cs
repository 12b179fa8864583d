using System.Text.RegularExpressions;
using Switchboard.Connections;
using Switchboard.Providers;

namespace Switchboard.Configuration;

/// <summary>
/// Reads <see cref="GatewayOptions"/> out of layered configuration and validates it, so a bad config stops the
/// gateway at startup — with every bad or unknown key and what is wrong with it — rather than at the first request.
/// </summary>
public static partial class GatewayOptionsReader
{
    private const string S = ConfigurationSources.Section;
    private const string DefaultOpenAiBaseUrl = "https://api.openai.com/v1";
    private const long MaxBodyLimit = 1L << 30;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    private static partial Regex ProviderName();

    public static GatewayOptions Read(IConfiguration configuration, string workingDirectory)
    {
        var settings = new SettingsReader();
        var root = configuration.GetSection(S);
        var providers = ReadProviders(settings, configuration, root.GetSection("Providers"));
        var models = ReadModels(settings, root.GetSection("Models"), providers);
        var urls = settings.List(root, "Urls");
        if (urls.Count == 0) urls = ["http://127.0.0.1:8080"];
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var u) || (u.Scheme != "http" && u.Scheme != "https"))
                settings.Problem($"{S}:Urls", $"'{url}' is not an http(s) URL such as http://127.0.0.1:8080.");
        }
        var masterKey = settings.String(root, "MasterKey");
        if (masterKey is { Length: > 0 and < 8 }) settings.Problem($"{S}:MasterKey", "must be at least 8 characters when set.");
        // Open mode (no keys at all) is for one machine: listening beyond loopback needs a master key.
        if (string.IsNullOrEmpty(masterKey) && urls.FirstOrDefault(u => !IsLoopback(u)) is { } exposed)
            settings.Problem($"{S}:Urls", $"'{exposed}' listens beyond loopback, which needs a master key (Switchboard:MasterKey or SWITCHBOARD_MASTER_KEY) so that only key holders can use it.");
        var log = root.GetSection("Logging");
        var limits = root.GetSection("Limits");
        var cors = root.GetSection("Cors");
        var local = root.GetSection("Local");
        var keys = root.GetSection("Keys");
        var dataDirectory = Path.GetFullPath(settings.String(root, "DataDirectory") ?? "data", workingDirectory);
        var database = settings.String(root, "Database");
        if (database is not null && !database.Contains('=', StringComparison.Ordinal))
            settings.Problem($"{S}:Database", "must be a PostgreSQL connection string such as Host=db;Username=switchboard;Password=…;Database=switchboard (leave it unset for the embedded SQLite store).");
        var options = new GatewayOptions
        {
            Urls = urls,
            DataDirectory = dataDirectory,
            Storage = new Storage.StorageOptions { PostgresConnectionString = database, SqlitePath = Path.Combine(dataDirectory, "switchboard.db") },
            Ledger = new LedgerOptions
            {
                FlushInterval = settings.Duration(root.GetSection("Ledger"), "FlushInterval", TimeSpan.FromMilliseconds(200), min: TimeSpan.FromMilliseconds(10), max: TimeSpan.FromMinutes(1)),
                QueueCapacity = settings.Int(root.GetSection("Ledger"), "QueueCapacity", 100_000, min: 100, max: 10_000_000),
                Retention = TimeSpan.FromDays(settings.Int(root.GetSection("Ledger"), "RetentionDays", 30, min: 1, max: 3650)),
            },
            Prices = ReadPrices(settings, root.GetSection("Prices")),
            Metrics = ReadMetrics(settings, root.GetSection("Metrics"), urls),
            Tracing = ReadTracing(settings, root.GetSection("Tracing")),
            Admission = new AdmissionOptions
            {
                DefaultMaxOutputTokens = settings.Int(root.GetSection("Admission"), "DefaultMaxOutputTokens", 4096, min: 1, max: 10_000_000),
                QueueLength = settings.Int(root.GetSection("Admission"), "QueueLength", 0, min: 0, max: 100_000),
                QueueTimeout = settings.Duration(root.GetSection("Admission"), "QueueTimeout", TimeSpan.FromSeconds(30), min: TimeSpan.FromMilliseconds(1), max: TimeSpan.FromHours(1)),
                ModerationModel = settings.String(root.GetSection("Admission"), "ModerationModel") ?? "omni-moderation-latest",
            },
            Keys = new KeyOptions
            {
                RefreshInterval = settings.Duration(keys, "RefreshInterval", TimeSpan.FromSeconds(1), min: TimeSpan.FromMilliseconds(50), max: TimeSpan.FromMinutes(10)),
                LastUsedFlushInterval = settings.Duration(keys, "LastUsedFlushInterval", TimeSpan.FromSeconds(10), max: TimeSpan.FromHours(1)),
            },
            MasterKey = string.IsNullOrEmpty(masterKey) ? null : masterKey,
            ShutdownTimeout = settings.Duration(root, "ShutdownTimeout", TimeSpan.FromSeconds(30)),
            Limits = new LimitOptions
            {
                MaxRequestBodyBytes = (int)settings.Long(limits, "MaxRequestBodyBytes", LimitOptions.DefaultMaxRequestBodyBytes, min: 1024, max: MaxBodyLimit),
                MaxResponseBodyBytes = (int)settings.Long(limits, "MaxResponseBodyBytes", 64 * 1024 * 1024, min: 1024, max: MaxBodyLimit),
                MaxEventBytes = (int)settings.Long(limits, "MaxEventBytes", 4 * 1024 * 1024, min: 1024, max: MaxBodyLimit),
                MaxBufferedBytes = settings.Long(limits, "MaxBufferedBytes", DefaultBufferBudget(), min: 1024 * 1024),
                MaxConnections = settings.Int(limits, "MaxConnections", DescriptorLimit.DefaultMaxConnections(), min: 1),
                RequestHeadersTimeout = settings.Duration(limits, "RequestHeadersTimeout", TimeSpan.FromSeconds(30)),
                MinRequestBodyBytesPerSecond = settings.Double(limits, "MinRequestBodyBytesPerSecond", 240, min: 1),
                // Kestrel checks data rates once a second, so a shorter grace period could not be honoured.
                RequestBodyGracePeriod = settings.Duration(limits, "RequestBodyGracePeriod", TimeSpan.FromSeconds(5), min: TimeSpan.FromSeconds(1.5)),
            },
            CrossSite = new CrossSiteOptions
            {
                AllowedOrigins = settings.List(cors, "AllowedOrigins"),
                AllowedHosts = settings.List(root, "AllowedHosts"),
            },
            Logging = new LogOptions
            {
                LogContent = settings.Bool(log, "LogContent", false),
                FileEnabled = settings.Bool(log, "File:Enabled", true),
                ConsoleEnabled = settings.Bool(log, "Console", true),
                MaxFileBytes = settings.Long(log, "File:MaxFileBytes", 10 * 1024 * 1024, min: 4096),
                RetainedFiles = settings.Int(log, "File:RetainedFiles", 14, min: 1),
                MinimumLevel = settings.Enum(log, "Level", LogLevel.Information),
            },
            Providers = providers,
            Models = models,
            Local = new LocalOptions
            {
                // The plain variable is what `switchboard models` reads too; configuration (and --models-dir) wins over it.
                ModelsDirectory = Path.GetFullPath(settings.String(local, "ModelsDirectory")
                    ?? (Environment.GetEnvironmentVariable("SWITCHBOARD_MODELS_DIR") is { Length: > 0 } fromEnvironment ? fromEnvironment : "models"), workingDirectory),
                MaxConcurrentSequences = settings.Int(local, "MaxConcurrentSequences", 8, min: 1, max: 256),
                MaxQueuedRequests = settings.Int(local, "MaxQueuedRequests", 16, min: 0, max: 100_000),
                MaxContextTokens = settings.Int(local, "MaxContextTokens", 8192, min: 16, max: 1 << 20),
                IdleUnloadAfter = settings.Duration(local, "IdleUnloadAfter", TimeSpan.FromMinutes(10), max: TimeSpan.FromDays(365)),
                // Most of the memory the process may use, leaving room for caches and requests.
                MaxModelBytes = settings.Long(local, "MaxModelBytes", GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * 3 / 4, min: 1024),
            },
        };
        foreach (var origin in options.CrossSite.AllowedOrigins)
        {
            if (origin != "*" && (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.PathAndQuery.TrimEnd('/').Length > 0))
                settings.Problem($"{S}:Cors:AllowedOrigins", $"'{origin}' is not a web origin such as https://app.example.com (scheme, host and port only).");
        }
        if (options.Limits.MaxEventBytes > options.Limits.MaxBufferedBytes || options.Limits.MaxRequestBodyBytes > options.Limits.MaxBufferedBytes)
            settings.Problem($"{S}:Limits:MaxBufferedBytes", "must be at least MaxRequestBodyBytes and MaxEventBytes, or no such request or event could ever be held.");
        settings.ThrowIfInvalid(root);
        return options;
    }

    private static MetricsOptions ReadMetrics(SettingsReader settings, IConfigurationSection section, IReadOnlyList<string> urls)
    {
        var enabled = settings.Bool(section, "Enabled", true);
        if (settings.String(section, "Url") is not { } url) return new MetricsOptions { Enabled = enabled };
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "http" || uri.IsDefaultPort || uri.Port == 0 || uri.PathAndQuery != "/")
        {
            settings.Problem($"{S}:Metrics:Url", $"'{url}' is not a listen address such as http://0.0.0.0:9464 (http, an explicit port, no path).");
            return new MetricsOptions { Enabled = enabled };
        }
        if (urls.Any(u => Uri.TryCreate(u.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var main) && main.Port == uri.Port))
            settings.Problem($"{S}:Metrics:Url", $"port {uri.Port} is also one of Switchboard:Urls; give metrics a port of their own, or leave this unset to serve /metrics there.");
        return new MetricsOptions { Enabled = enabled, Url = uri };
    }

    private static TracingOptions ReadTracing(SettingsReader settings, IConfigurationSection section)
    {
        var endpoint = settings.String(section, "OtlpEndpoint");
        var protocol = settings.String(section, "Protocol") ?? "http/protobuf";
        if (protocol is not ("grpc" or "http/protobuf"))
            settings.Problem($"{S}:Tracing:Protocol", $"'{protocol}' is not an OTLP protocol: use grpc or http/protobuf.");
        if (endpoint is null) return new TracingOptions();
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            settings.Problem($"{S}:Tracing:OtlpEndpoint", $"'{endpoint}' is not an http(s) URL such as http://collector:4318.");
            return new TracingOptions();
        }
        return new TracingOptions { OtlpEndpoint = uri, Grpc = protocol == "grpc" };
    }

    private static bool IsLoopback(string url)
    {
        if (!Uri.TryCreate(url.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)) return true;
        return uri.IsLoopback || (System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && System.Net.IPAddress.IsLoopback(ip));
    }

    /// <summary>
    /// Prices for any model name (<c>Switchboard:Prices:MODEL:Input|CachedInput|Output</c>, dollars per million tokens),
    /// kept as integer micro-dollars per million. Cached input defaults to the input price.
    /// </summary>
    private static Dictionary<string, Ledger.Price> ReadPrices(SettingsReader settings, IConfigurationSection section)
    {
        var prices = new Dictionary<string, Ledger.Price>(StringComparer.OrdinalIgnoreCase);
        foreach (var model in section.GetChildren())
        {
            var input = settings.Price(model, "Input") ?? 0;
            prices[model.Key] = new Ledger.Price(input, settings.Price(model, "CachedInput") ?? input, settings.Price(model, "Output") ?? 0);
        }
        return prices;
    }

    /// <summary>A quarter of the memory the process may use, at most 1 GiB.</summary>
    private static long DefaultBufferBudget() => Math.Clamp(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4, 64L << 20, 1L << 30);

    private static List<ProviderOptions> ReadProviders(SettingsReader settings, IConfiguration configuration, IConfigurationSection section)
    {
        var providers = new List<ProviderOptions>();
        foreach (var child in section.GetChildren())
        {
            // Names are case-insensitive identifiers: SWITCHBOARD__PROVIDERS__OPENAI__APIKEY names "openai".
            var name = child.Key.ToLowerInvariant();
            if (!ProviderName().IsMatch(name))
                settings.Problem(child.Path, "provider names may use letters, digits, '_', '-' and '.'.");
            if (name == LocalOptions.ProviderName)
                settings.Problem(child.Path, "'local' is the built-in provider of the models in Local:ModelsDirectory; give this provider another name.");
            var isOpenAi = name.Equals("openai", StringComparison.OrdinalIgnoreCase);
            var type = (settings.String(child, "Type") ?? "openai").ToLowerInvariant();
            var kind = type switch
            {
                "openai" or "openai-compatible" or "compatible" => ProviderKind.OpenAiCompatible,
                "azure" or "azure-openai" => ProviderKind.Azure,
                _ => (ProviderKind?)null,
            };
            if (kind is null) settings.Problem($"{child.Path}:Type", $"'{type}' is not a provider type; use 'openai' (any OpenAI-compatible server) or 'azure'.");
            var baseUrl = settings.String(child, "BaseUrl") ?? (isOpenAi ? configuration["OPENAI_BASE_URL"] ?? DefaultOpenAiBaseUrl : null);
            if (baseUrl is null) settings.Problem($"{child.Path}:BaseUrl", "required (for example https://api.deepseek.com/v1).");
            var apiVersion = settings.String(child, "ApiVersion");
            if (kind == ProviderKind.Azure && string.IsNullOrEmpty(apiVersion))
                settings.Problem($"{child.Path}:ApiVersion", "required for Azure providers (for example 2024-10-21).");
            var deployments = settings.Map(child, "Deployments");
            foreach (var (model, deployment) in deployments)
            {
                if (!UpstreamProvider.DeploymentName().IsMatch(deployment))
                    settings.Problem($"{child.Path}:Deployments:{model}", $"'{deployment}' is not an Azure deployment name (letters, digits, '.', '_', '-'; at most 64).");
            }
            providers.Add(new ProviderOptions
            {
                Name = name,
                Kind = kind ?? ProviderKind.OpenAiCompatible,
                BaseUrl = ReadBaseUrl(settings, child.Path + ":BaseUrl", baseUrl ?? DefaultOpenAiBaseUrl),
                ApiKey = settings.String(child, "ApiKey") ?? (isOpenAi ? configuration["OPENAI_API_KEY"] : null),
                Organization = settings.String(child, "Organization") ?? (isOpenAi ? configuration["OPENAI_ORG_ID"] : null),
                ApiVersion = apiVersion,
                Deployments = deployments,
                Models = settings.List(child, "Models"),
                Timeouts = new TimeoutOptions
                {
                    Connect = settings.Duration(child, "Timeouts:Connect", TimeSpan.FromSeconds(10)),
                    FirstByte = settings.Duration(child, "Timeouts:FirstByte", TimeSpan.FromSeconds(120)),
                    Idle = settings.Duration(child, "Timeouts:Idle", TimeSpan.FromSeconds(60)),
                    Total = settings.Duration(child, "Timeouts:Total", TimeSpan.FromMinutes(30)),
                },
                Retry = new RetryOptions
                {
                    MaxRetries = settings.Int(child, "Retry:MaxRetries", 2, min: 0, max: 10),
                    BaseDelay = settings.Duration(child, "Retry:BaseDelay", TimeSpan.FromMilliseconds(500)),
                    MaxDelay = settings.Duration(child, "Retry:MaxDelay", TimeSpan.FromSeconds(10)),
                },
                CircuitBreaker = new CircuitBreakerOptions
                {
                    FailureThreshold = settings.Int(child, "CircuitBreaker:FailureThreshold", 5, min: 2),
                    Window = settings.Duration(child, "CircuitBreaker:Window", TimeSpan.FromSeconds(30)),
                    BreakDuration = settings.Duration(child, "CircuitBreaker:BreakDuration", TimeSpan.FromSeconds(30)),
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
                BaseUrl = ReadBaseUrl(settings, "OPENAI_BASE_URL", configuration["OPENAI_BASE_URL"] ?? DefaultOpenAiBaseUrl),
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

    private static List<ModelOptions> ReadModels(SettingsReader settings, IConfigurationSection section, List<ProviderOptions> providers)
    {
        var models = new List<ModelOptions>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var child in section.GetChildren())
        {
            var targets = new List<ModelTarget>();
            var entries = settings.List(child, "Providers");
            if (settings.String(child, "Provider") is { Length: > 0 } single) entries.Insert(0, single);
            if (entries.Count == 0)
                settings.Problem($"{child.Path}:Providers", "list at least one provider (\"name\" or \"name:upstream-model\").");
            foreach (var entry in entries)
            {
                var colon = entry.IndexOf(':', StringComparison.Ordinal);
                var providerName = colon < 0 ? entry : entry[..colon];
                var provider = providers.FirstOrDefault(p => p.Name.Equals(providerName, StringComparison.OrdinalIgnoreCase));
                if (providerName.Equals(LocalOptions.ProviderName, StringComparison.OrdinalIgnoreCase))
                {
                    targets.Add(new ModelTarget(LocalOptions.ProviderName, colon < 0 ? child.Key : entry[(colon + 1)..]));
                    continue;
                }
                if (provider is null)
                {
                    settings.Problem($"{child.Path}:Providers", $"'{providerName}' is not a configured provider (known: {string.Join(", ", providers.Select(p => p.Name).Append(LocalOptions.ProviderName))}).");
                    continue;
                }
                targets.Add(new ModelTarget(provider.Name, colon < 0 ? child.Key : entry[(colon + 1)..]));
            }
            var aliases = settings.List(child, "Aliases");
            foreach (var name in aliases.Prepend(child.Key))
            {
                if (!names.Add(name))
                    settings.Problem(child.Path, $"the name or alias '{name}' is used by more than one model.");
            }
            var contextWindow = settings.String(child, "ContextWindow") is null ? (int?)null : settings.Int(child, "ContextWindow", 0, min: 1);
            models.Add(new ModelOptions
            {
                Name = child.Key,
                Targets = targets,
                Aliases = aliases,
                ContextWindow = contextWindow,
                InputMicrosPerMillion = settings.Price(child, "InputPricePerMillion"),
                OutputMicrosPerMillion = settings.Price(child, "OutputPricePerMillion"),
            });
        }
        return models;
    }

    private static Uri ReadBaseUrl(SettingsReader settings, string key, string value)
    {
        if (!Uri.TryCreate(value.TrimEnd('/'), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            settings.Problem(key, $"'{value}' is not an absolute http(s) URL.");
            return new Uri(DefaultOpenAiBaseUrl);
        }
        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment))
            settings.Problem(key, $"'{value}' must not carry a query or fragment.");
        return uri;
    }
}
