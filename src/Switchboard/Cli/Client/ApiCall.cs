using System.ClientModel;
using System.Text.Json;

namespace Switchboard.Cli.Client;

/// <summary>
/// Runs one API call of a command and turns what can go wrong into one line on stderr and an exit code: 1 for an
/// API error (OpenAI's message) or an unreachable server (what to do), 130 when Ctrl-C stopped it.
/// </summary>
internal static class ApiCall
{
    public static async Task<int> RunAsync(CliContext context, Connection connection, Func<Task<int>> call)
    {
        try
        {
            return await call();
        }
        catch (ClientResultException e) when (e.Status == 0)
        {
            await context.Error.WriteLineAsync(Unreachable(connection, e.InnerException ?? e));
            return 1;
        }
        catch (ClientResultException e)
        {
            await context.Error.WriteLineAsync($"switchboard: {Describe(e)}");
            return 1;
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is ClientResultException { Status: 0 } or HttpRequestException))
        {
            // The SDK retried a failed connection and gave up: every attempt failed the same way.
            await context.Error.WriteLineAsync(Unreachable(connection, e.InnerExceptions[^1] is { InnerException: { } inner } ? inner : e.InnerExceptions[^1]));
            return 1;
        }
        catch (HttpRequestException e)
        {
            await context.Error.WriteLineAsync(Unreachable(connection, e));
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
    }

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
