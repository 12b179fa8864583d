using System.Globalization;
using System.Text.Json;
using Switchboard.Buffers;
using Switchboard.Configuration;
using Switchboard.Errors;
using Switchboard.Requests;

namespace Switchboard.Admin;

/// <summary>What the administration endpoints read from a request: a JSON object body, and OpenAI's list parameters.</summary>
internal static class AdminRequests
{
    /// <summary>The body as a JSON object (an empty body is an empty object), read within the gateway's body limits.</summary>
    public static async Task<(JsonElement Body, OpenAiError? Error)> ReadObjectAsync(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<GatewayOptions>();
        var budget = context.RequestServices.GetRequiredService<BufferBudget>();
        if (context.Request.ContentLength is 0 || (context.Request.ContentLength is null && context.Request.Headers.TransferEncoding.Count == 0))
            return (JsonDocument.Parse("{}").RootElement, null);
        var (body, error) = await RequestBodyReader.ReadAsync(context.Request, options.Limits, budget, context.RequestAborted);
        if (error is not null) return (default, error);
        using (body)
        {
            try
            {
                using var document = JsonDocument.Parse(body!.Written);
                if (document.RootElement.ValueKind != JsonValueKind.Object) return (default, GatewayErrors.BodyNotObject());
                return (document.RootElement.Clone(), null);
            }
            catch (JsonException e)
            {
                return (default, GatewayErrors.InvalidJson(e.Message));
            }
        }
    }

    /// <summary>A required non-empty string member (or an optional one when <paramref name="required"/> is false).</summary>
    public static (string? Value, OpenAiError? Error) String(JsonElement body, string name, bool required, int maxLength = 256)
    {
        if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return required ? (null, GatewayErrors.MissingParameter(name)) : (null, null);
        if (value.ValueKind != JsonValueKind.String) return (null, GatewayErrors.InvalidType(name, "a string"));
        var text = value.GetString()!;
        if (required && text.Trim().Length == 0) return (null, GatewayErrors.InvalidValue(name, "it must not be empty."));
        if (text.Length > maxLength) return (null, GatewayErrors.InvalidValue(name, $"it must be at most {maxLength} characters."));
        return (text, null);
    }

    /// <summary>OpenAI's <c>limit</c> (1–100, default 20) and <c>after</c> cursor.</summary>
    public static (int Limit, string? After, OpenAiError? Error) Page(HttpRequest request)
    {
        var limit = 20;
        if (request.Query.TryGetValue("limit", out var raw) && (!int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 100))
            return (0, null, GatewayErrors.InvalidValue("limit", "it must be an integer from 1 to 100."));
        var after = request.Query.TryGetValue("after", out var cursor) && cursor.ToString().Length > 0 ? cursor.ToString() : null;
        return (limit, after, null);
    }

    /// <summary>One page of a list fetched with one row more than the limit, to know whether there are more.</summary>
    public static ListObject<T> List<TRow, T>(List<TRow> rows, int limit, Func<TRow, T> map, Func<T, string> id)
    {
        var items = rows.Take(limit).Select(map).ToList();
        return new ListObject<T>(items, items.Count > 0 ? id(items[0]) : null, items.Count > 0 ? id(items[^1]) : null, rows.Count > limit);
    }
}
