namespace Switchboard.Configuration;

/// <summary>Everything the gateway is configured with, read and validated once at startup.</summary>
public sealed record GatewayOptions
{
    public required IReadOnlyList<string> Urls { get; init; }
    public required string DataDirectory { get; init; }
    /// <summary>When set, every endpoint but the health checks needs it as a bearer token.</summary>
    public string? MasterKey { get; init; }
    /// <summary>Without a master key the gateway is open to whoever reaches it; <see cref="CrossSite"/> then also guards Host and Content-Type.</summary>
    public bool IsKeyless => MasterKey is null;
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Read per request; a configuration reload replaces them (<see cref="Relimit"/>), except where noted.</summary>
    public required LimitOptions Limits { get => _limits; init => _limits = value; }
    public required CrossSiteOptions CrossSite { get; init; }
    public required LogOptions Logging { get; init; }
    public required IReadOnlyList<ProviderOptions> Providers { get; init; }
    public required IReadOnlyList<ModelOptions> Models { get; init; }
    public required LocalOptions Local { get; init; }
    /// <summary>Where projects, keys and the ledger live: PostgreSQL when a connection string is given, else SQLite under the data directory.</summary>
    public required Storage.StorageOptions Storage { get; init; }
    public KeyOptions Keys { get; init; } = new();
    public LedgerOptions Ledger { get; init; } = new();
    /// <summary>Read per request; a configuration reload replaces them.</summary>
    public AdmissionOptions Admission { get => _admission; init => _admission = value; }

    // The two sections a reload changes in place: every consumer reads them from this one object per request.
    private volatile LimitOptions _limits = null!;
    private volatile AdmissionOptions _admission = new();

    /// <summary>New requests see these limits and admission settings from now on (a configuration reload).</summary>
    internal void Relimit(LimitOptions limits, AdmissionOptions admission)
    {
        _limits = limits;
        _admission = admission;
    }
    public MetricsOptions Metrics { get; init; } = new();
    public TracingOptions Tracing { get; init; } = new();
    /// <summary>Prices per model (<c>Switchboard:Prices:MODEL:Input|CachedInput|Output</c>, dollars per million tokens), over the built-in table.</summary>
    public IReadOnlyDictionary<string, Ledger.Price> Prices { get; init; } = new Dictionary<string, Ledger.Price>();
}

/// <summary>What the gateway exports about itself (<c>Switchboard:Metrics</c>).</summary>
public sealed record MetricsOptions
{
    /// <summary>Serves <c>/metrics</c> (Prometheus text format); off, the instruments have no listener and cost a flag check.</summary>
    public bool Enabled { get; init; } = true;
    /// <summary>
    /// A listen address of its own for <c>/metrics</c> (<c>http://0.0.0.0:9464</c>): served only there, and nothing
    /// else is served there. Unset, <c>/metrics</c> is on the gateway's own addresses.
    /// </summary>
    public Uri? Url { get; init; }
}

/// <summary>Where request spans go (<c>Switchboard:Tracing</c>); off unless an endpoint is set.</summary>
public sealed record TracingOptions
{
    /// <summary>The OpenTelemetry collector's OTLP endpoint (http://collector:4318 for HTTP, :4317 for gRPC).</summary>
    public Uri? OtlpEndpoint { get; init; }
    /// <summary>OTLP over gRPC (<c>Protocol: grpc</c>) rather than HTTP with protobuf (the default).</summary>
    public bool Grpc { get; init; }
}

/// <summary>How requests reach the ledger (<c>Switchboard:Ledger</c>).</summary>
public sealed record LedgerOptions
{
    /// <summary>Rows gather this long before being written in one transaction: the most a crash can take back.</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Rows waiting to be written; past it requests wait for room (back-pressure, never a dropped row).</summary>
    public int QueueCapacity { get; init; } = 100_000;
    /// <summary>Raw rows older than this are deleted; the daily rollup (usage and costs by day) is kept.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(30);
}

/// <summary>How admission reserves for a request before it runs (<c>Switchboard:Admission</c>).</summary>
public sealed record AdmissionOptions
{
    /// <summary>The output reserved (per choice) for a request that names no <c>max_tokens</c> / <c>max_completion_tokens</c>.</summary>
    public int DefaultMaxOutputTokens { get; init; } = 4096;
    /// <summary>Requests of one key that may wait for a free slot when it is at its <c>max_concurrent_requests</c>; 0: refuse at once.</summary>
    public int QueueLength { get; init; }
    /// <summary>How long a queued request waits for a slot before it is refused.</summary>
    public TimeSpan QueueTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>The model that checks the input of keys with <c>limits.moderate_input</c>, routed like any model.</summary>
    public string ModerationModel { get; init; } = "omni-moderation-latest";
}

/// <summary>How the in-memory key cache follows the store (<c>Switchboard:Keys</c>).</summary>
public sealed record KeyOptions
{
    /// <summary>How often the store's key version is checked: a key revoked elsewhere stops working here within this (plus one reload).</summary>
    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>How often keys' last-use times are written, in one batch.</summary>
    public TimeSpan LastUsedFlushInterval { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>Bounds on what one client, one upstream or all of them together can make the gateway hold.</summary>
public sealed record LimitOptions
{
    public const int DefaultMaxRequestBodyBytes = 32 * 1024 * 1024;
    /// <summary>Largest request body, after Content-Encoding is decoded.</summary>
    public int MaxRequestBodyBytes { get; init; } = DefaultMaxRequestBodyBytes;
    /// <summary>Largest non-streamed upstream response.</summary>
    public int MaxResponseBodyBytes { get; init; } = 64 * 1024 * 1024;
    /// <summary>Largest single event of an upstream stream.</summary>
    public int MaxEventBytes { get; init; } = 4 * 1024 * 1024;
    /// <summary>All request and response buffers together; past it requests get a retryable 503.</summary>
    public required long MaxBufferedBytes { get; init; }
    /// <summary>Open client connections; further ones are closed at once.</summary>
    public required int MaxConnections { get; init; }
    /// <summary>How long a client may take to send its request headers.</summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>A request body arriving slower than this (after the grace period) gets 408.</summary>
    public double MinRequestBodyBytesPerSecond { get; init; } = 240;
    public TimeSpan RequestBodyGracePeriod { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>What browsers on other sites may do (<c>Switchboard:Cors</c>, <c>Switchboard:AllowedHosts</c>).</summary>
/// <summary>The built-in provider <c>local</c>: GGUF models in a directory, run in-process.</summary>
public sealed record LocalOptions
{
    /// <summary>The provider name models and aliases use to point at local models.</summary>
    public const string ProviderName = "local";

    public required string ModelsDirectory { get; init; }
    /// <summary>Generations decoded together per model (one batched forward pass per token for all of them); each holds its own cache.</summary>
    public int MaxConcurrentSequences { get; init; } = 8;
    /// <summary>Requests waiting for a free sequence; beyond them, 429.</summary>
    public int MaxQueuedRequests { get; init; } = 16;
    /// <summary>The most bytes of model files loaded at once (they are mapped into memory whole); a model that would pass it is refused, saying what it needs.</summary>
    public required long MaxModelBytes { get; init; }
    /// <summary>The most tokens (prompt and completion) one request may use, whatever a model's own context: each sequence's cache is sized by it.</summary>
    public int MaxContextTokens { get; init; } = 8192;
    /// <summary>A loaded model nobody has used for this long is unloaded (its memory given back); the next request loads it again.</summary>
    public TimeSpan IdleUnloadAfter { get; init; } = TimeSpan.FromMinutes(10);
}

public sealed record CrossSiteOptions
{
    /// <summary>Web origins (<c>https://app.example.com</c>) whose pages may call the API; <c>*</c> allows any.</summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];
    /// <summary>Host names a keyless gateway answers to besides IP addresses and localhost; <c>*</c> allows any.</summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];
}

public sealed record LogOptions
{
    /// <summary>Log prompt and completion text. Off by default: prompts are user data.</summary>
    public bool LogContent { get; init; }
    public bool FileEnabled { get; init; } = true;
    public bool ConsoleEnabled { get; init; } = true;
    public long MaxFileBytes { get; init; } = 10 * 1024 * 1024;
    public int RetainedFiles { get; init; } = 14;
    public LogLevel MinimumLevel { get; init; } = LogLevel.Information;
}

public enum ProviderKind
{
    /// <summary>OpenAI or any server that speaks its API (DeepSeek, vLLM, Ollama, llama.cpp server …).</summary>
    OpenAiCompatible,
    /// <summary>Azure OpenAI: deployments in the path, <c>api-version</c> query, <c>api-key</c> header.</summary>
    Azure,
}

public sealed record ProviderOptions
{
    public required string Name { get; init; }
    public required ProviderKind Kind { get; init; }
    public required Uri BaseUrl { get; init; }
    public string? ApiKey { get; init; }
    public string? Organization { get; init; }
    public string? ApiVersion { get; init; }
    public IReadOnlyDictionary<string, string> Deployments { get; init; } = new Dictionary<string, string>();
    /// <summary>Model names this provider serves when no model entry names it; <c>*</c> and <c>prefix-*</c> patterns allowed.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];
    public required TimeoutOptions Timeouts { get; init; }
    public required RetryOptions Retry { get; init; }
    public required CircuitBreakerOptions CircuitBreaker { get; init; }
}

public sealed record TimeoutOptions
{
    public TimeSpan Connect { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>From sending the request to the response headers.</summary>
    public TimeSpan FirstByte { get; init; } = TimeSpan.FromSeconds(120);
    /// <summary>Longest silence between two reads of a response body.</summary>
    public TimeSpan Idle { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Longest whole attempt, from sending the request to the last byte of the response (a stream's total duration).</summary>
    public TimeSpan Total { get; init; } = TimeSpan.FromMinutes(30);
}

public sealed record RetryOptions
{
    /// <summary>Retries after the first attempt, per provider.</summary>
    public int MaxRetries { get; init; } = 2;
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);
    /// <summary>A retry-after longer than this is not waited for: the next provider is tried, or the error returned.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);
}

public sealed record CircuitBreakerOptions
{
    /// <summary>Failures within <see cref="Window"/> that open the circuit; at least 2, so one failure never opens it.</summary>
    public int FailureThreshold { get; init; } = 5;
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(30);
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>A model clients can name, routed to providers in order (the first is primary, the rest fallbacks).</summary>
public sealed record ModelOptions
{
    public required string Name { get; init; }
    public required IReadOnlyList<ModelTarget> Targets { get; init; }
    public IReadOnlyList<string> Aliases { get; init; } = [];
    public int? ContextWindow { get; init; }
    /// <summary>Price in micro-dollars per million tokens (integers: money is never floating point).</summary>
    public long? InputMicrosPerMillion { get; init; }
    public long? OutputMicrosPerMillion { get; init; }
}

/// <summary>One provider serving a model, and the name that provider knows it by.</summary>
public sealed record ModelTarget(string Provider, string UpstreamModel);
