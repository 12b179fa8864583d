using System.ClientModel;
using System.Text.Json;

namespace Switchboard.Cli.Client;

/// <summary>
/// Runs one API call of a command and turns what can go wrong into one line on stderr and an exit code: 1 for an
/// API error (OpenAI's message), an unreachable server or a dropped connection (what to do), 130 when Ctrl-C stopped it.
/// </summary>
internal static class ApiCall
{
    public static async Task<int> RunAsync(CliContext context, Connection connection, Func<Task<int>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (OneLine(e, connection) is { } problem)
        {
            await context.Error.WriteLineAsync(problem);
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
    }

    /// <summary>The line that explains a failed call, or null for an exception that is not a call's failure (Ctrl-C, a bug).</summary>
    public static string? OneLine(Exception e, Connection connection) => e switch
    {
        ClientResultException { Status: 0 } failed => Unreachable(connection, failed.InnerException ?? failed),
        ClientResultException refused => $"switchboard: {Describe(refused)}",
        // The SDK retried and gave up: every attempt failed the same way, the last one says how.
        AggregateException { InnerExceptions.Count: > 0 } retried when retried.InnerExceptions.All(i => OneLine(i, connection) is not null) =>
            OneLine(retried.InnerExceptions[^1], connection),
        OperationCanceledException { InnerException: TimeoutException } =>
            $"switchboard: {connection.BaseUrl} did not answer within {Connection.Timeout.TotalMinutes:0} minutes.",
        HttpRequestException request => Unreachable(connection, request),
        // A connection that breaks while an answer streams (the SDK reads the body itself).
        Api.StreamFailedException cut => $"switchboard: the answer stopped part-way: {cut.Message}",
        IOException broken => $"switchboard: the connection to {connection.BaseUrl} broke while the answer was arriving ({broken.Message}).",
        _ => null,
    };

    private static string Unreachable(Connection connection, Exception e) =>
        $"switchboard: could not reach {connection.BaseUrl} ({e.Message}). Is the gateway running? Start it with 'switchboard serve', or point --base-url / OPENAI_BASE_URL at it.";

    /// <summary>The status, OpenAI's code and message, and for a refused key what to do about it.</summary>
    private static string Describe(ClientResultException e)
    {
        string? message = null, code = null;
        try
        {
            if (e.GetRawResponse()?.Content is { } content)
            {
                using var body = JsonDocument.Parse(content.ToMemory());
                if (body.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
                {
                    message = error.TryGetProperty("message", out var m) ? m.GetString() : null;
                    code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                }
            }
        }
        catch (JsonException)
        {
            // Not OpenAI's error shape: the SDK's own message below says what came back.
        }
        var text = $"{e.Status}{(code is null ? "" : $" {code}")}: {message ?? e.Message}";
        return e.Status switch
        {
            401 => $"{text} (the key was refused: give one with --api-key or OPENAI_API_KEY; for admin commands --admin-key or SWITCHBOARD_MASTER_KEY)",
            403 => $"{text} (this key may not do that: admin commands need the master or an admin key, --admin-key or SWITCHBOARD_MASTER_KEY)",
            _ => text,
        };
    }
}
