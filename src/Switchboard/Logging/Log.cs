namespace Switchboard.Logging;

/// <summary>Source-generated log messages. None of them takes an API key; content is logged only by <see cref="RequestContent"/>, which is off by default.</summary>
internal static partial class Log
{
    [LoggerMessage(LogEvents.Starting, LogLevel.Information, "Switchboard starting: {ProviderCount} provider(s), {ModelCount} configured model(s), data in {DataDirectory}")]
    public static partial void Starting(ILogger logger, int providerCount, int modelCount, string dataDirectory);

    [LoggerMessage(LogEvents.ConfigurationReloaded, LogLevel.Information,
        "Configuration reloaded ({Trigger}): {ProviderCount} provider(s), {ModelCount} configured model(s); providers added, changed or removed: {Changed}")]
    public static partial void ConfigurationReloaded(ILogger logger, string trigger, int providerCount, int modelCount, string changed);

    [LoggerMessage(LogEvents.ConfigurationRejected, LogLevel.Error, "Configuration change rejected ({Trigger}); the previous configuration stays in effect. {Problems}")]
    public static partial void ConfigurationRejected(ILogger logger, string trigger, string problems);

    [LoggerMessage(LogEvents.ConfigurationNeedsRestart, LogLevel.Warning,
        "Configuration change needs a restart to take effect for: {Sections} (providers, models, aliases, prices, limits and admission apply now)")]
    public static partial void ConfigurationNeedsRestart(ILogger logger, string sections);

    [LoggerMessage(LogEvents.ConfigurationNotWatched, LogLevel.Warning, "Config file changes are not watched ({Reason}); SIGHUP still reloads the configuration")]
    public static partial void ConfigurationNotWatched(ILogger logger, string reason);

    [LoggerMessage(LogEvents.Listening, LogLevel.Information, "Listening on {Urls}")]
    public static partial void Listening(ILogger logger, string urls);

    [LoggerMessage(LogEvents.OpenOnNonLoopback, LogLevel.Warning,
        "Open mode: no master key and no project keys, so any program on this machine can call the API. Create a key (POST /v1/organization/projects/proj_default/service_accounts) or set SWITCHBOARD_MASTER_KEY to require keys")]
    public static partial void OpenMode(ILogger logger);

    [LoggerMessage(LogEvents.Stopping, LogLevel.Information, "Switchboard stopping; in-flight requests get {Seconds}s to finish")]
    public static partial void Stopping(ILogger logger, double seconds);

    [LoggerMessage(LogEvents.RequestCompleted, LogLevel.Information,
        "{RequestId} {Endpoint} model={Model} provider={Provider} status={Status} latency_ms={LatencyMs} prompt_tokens={PromptTokens} completion_tokens={CompletionTokens} stream={Stream}")]
    public static partial void RequestCompleted(ILogger logger, string requestId, string endpoint, string model, string provider, int status, double latencyMs, int? promptTokens, int? completionTokens, bool stream);

    [LoggerMessage(LogEvents.RequestContent, LogLevel.Information, "{RequestId} request body: {Body}")]
    public static partial void RequestContent(ILogger logger, string requestId, LongText body);

    [LoggerMessage(LogEvents.UnhandledError, LogLevel.Error, "{RequestId} failed with an unhandled error")]
    public static partial void UnhandledError(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(LogEvents.ProviderSkipped, LogLevel.Warning, "Provider {Provider} skipped for {Model}: its circuit is open")]
    public static partial void ProviderSkipped(ILogger logger, string provider, string model);

    [LoggerMessage(LogEvents.RetryingUpstream, LogLevel.Information, "Retrying provider {Provider} (retry {Retry}) in {DelayMs} ms")]
    public static partial void RetryingUpstream(ILogger logger, string provider, int retry, long delayMs);

    [LoggerMessage(LogEvents.FallingBack, LogLevel.Warning, "Provider {Provider} failed for {Model}; trying the next provider if any")]
    public static partial void FallingBack(ILogger logger, string provider, string model);

    [LoggerMessage(LogEvents.UpstreamUnreachable, LogLevel.Warning, "Provider {Provider} failed before answering: {Reason}")]
    public static partial void UpstreamUnreachable(ILogger logger, string provider, string reason);

    [LoggerMessage(LogEvents.UpstreamError, LogLevel.Information, "Provider {Provider} answered {Status}")]
    public static partial void UpstreamError(ILogger logger, string provider, int status);

    [LoggerMessage(LogEvents.ModelListFailed, LogLevel.Warning, "Listing models of provider {Provider} failed: {Reason}")]
    public static partial void ModelListFailed(ILogger logger, string provider, string reason);

    [LoggerMessage(LogEvents.DescriptorsExhausted, LogLevel.Warning,
        "Out of file descriptors: accepting paused for {PauseMs} ms at a time until some are free (raise 'ulimit -n', or lower Switchboard:Limits:MaxConnections)")]
    public static partial void DescriptorsExhausted(ILogger logger, double pauseMs);

    [LoggerMessage(LogEvents.ConnectionsAboveDescriptorLimit, LogLevel.Warning,
        "Switchboard:Limits:MaxConnections is {MaxConnections}, more than the open-file limit of {Descriptors} can hold (each connection may need two descriptors): raise 'ulimit -n' or lower it")]
    public static partial void ConnectionsAboveDescriptorLimit(ILogger logger, int maxConnections, long descriptors);

    [LoggerMessage(LogEvents.DescriptorsAvailable, LogLevel.Information, "File descriptors available again: accepting connections")]
    public static partial void DescriptorsAvailable(ILogger logger);

    [LoggerMessage(LogEvents.LocalModelFound, LogLevel.Information, "Local model {Model}: {Architecture}, {Quantization}, context {Context}")]
    public static partial void LocalModelFound(ILogger logger, string model, string? architecture, string? quantization, long? context);

    [LoggerMessage(LogEvents.LocalModelUnreadable, LogLevel.Warning, "Local model {Model} cannot be served: {Problem}")]
    public static partial void LocalModelUnreadable(ILogger logger, string model, string problem);

    [LoggerMessage(LogEvents.LocalModelLoaded, LogLevel.Information, "Loaded local model {Model} ({Megabytes:0.0} MB) in {Milliseconds:0} ms")]
    public static partial void LocalModelLoaded(ILogger logger, string model, double megabytes, double milliseconds);

    [LoggerMessage(LogEvents.LocalModelUnloaded, LogLevel.Information, "Unloaded local model {Model}: unused for {IdleUnloadAfter}")]
    public static partial void LocalModelUnloaded(ILogger logger, string model, TimeSpan idleUnloadAfter);

    [LoggerMessage(LogEvents.StoreSyncFailed, LogLevel.Warning, "Refreshing keys from the store failed (serving the keys already loaded; retrying): {Reason}")]
    public static partial void StoreSyncFailed(ILogger logger, string reason);

    [LoggerMessage(LogEvents.StoreOpened, LogLevel.Information, "Store: {Store}")]
    public static partial void StoreOpened(ILogger logger, string store);

    [LoggerMessage(LogEvents.LedgerWriteFailed, LogLevel.Warning, "Writing {Rows} ledger rows failed (kept, retrying): {Reason}")]
    public static partial void LedgerWriteFailed(ILogger logger, int rows, string reason);

    [LoggerMessage(LogEvents.LedgerRowsLost, LogLevel.Error, "Stopping with the store unreachable: {Rows} ledger rows could not be written")]
    public static partial void LedgerRowsLost(ILogger logger, int rows);

    [LoggerMessage(LogEvents.NothingToServe, LogLevel.Warning,
        "No models to serve yet. For OpenAI's models set OPENAI_API_KEY (environment, .env or ~/.openai/config); for a model that runs here, run 'switchboard models pull qwen2.5-0.5b-instruct' (models directory: {ModelsDirectory})")]
    public static partial void NothingToServe(ILogger logger, string modelsDirectory);
}
