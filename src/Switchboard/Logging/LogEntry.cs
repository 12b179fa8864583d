namespace Switchboard.Logging;

/// <summary>One log event, captured on the caller's thread and written later by a batching sink.</summary>
public sealed record LogEntry(
    DateTimeOffset Timestamp, LogLevel Level, string Category, int EventId, string Message,
    KeyValuePair<string, object?>[]? Properties, string? Exception);
