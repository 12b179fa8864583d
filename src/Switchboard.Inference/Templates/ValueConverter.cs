using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace Switchboard.Inference.Templates;

/// <summary>Copies caller values into template values, so templates that mutate (append, pop) never touch the caller's.</summary>
internal static class ValueConverter
{
    public static object? FromClr(object? value) => value switch
    {
        null => null,
        string or bool or long or double => value,
        int or short or sbyte or byte or ushort or uint => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        ulong u => u <= long.MaxValue ? (object)(long)u : (double)u,
        float or decimal => Convert.ToDouble(value, CultureInfo.InvariantCulture),
        ChatMessage m => Message(m),
        PyDict made => made,    // built here already
        JsonElement e => FromJson(e),
        IReadOnlyDictionary<string, object?> d => FromPairs(d.Select(kv => (kv.Key, kv.Value))),
        IDictionary d => FromPairs(d.Cast<DictionaryEntry>().Select(e => (Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "", e.Value))),
        IEnumerable e => e.Cast<object?>().Select(FromClr).ToList(),
        _ => throw new ArgumentException($"chat template values cannot be of type {value.GetType().Name}", nameof(value)),
    };

    private static PyDict Dict(params (string Key, object? Value)[] pairs) => FromPairs(pairs);

    // Keys only when set: templates test `'tool_calls' in message` as well as its truth.
    private static PyDict Message(ChatMessage m)
    {
        var dict = Dict(("role", m.Role), ("content", m.Content));
        if (m.ToolCalls is { Count: > 0 } calls)
            dict["tool_calls"] = calls.Select(c => (object?)Dict(("id", c.Id), ("type", "function"), ("function", Dict(("name", c.Name), ("arguments", Arguments(c.Arguments)))))).ToList();
        if (m.ToolCallId is { } id) dict["tool_call_id"] = id;
        return dict;
    }

    private static object? Arguments(string arguments)
    {
        try
        {
            using var document = JsonDocument.Parse(arguments);
            return document.RootElement.ValueKind == JsonValueKind.Object ? FromJson(document.RootElement) : arguments;
        }
        catch (JsonException)
        {
            return arguments;
        }
    }

    private static PyDict FromPairs(IEnumerable<(string Key, object? Value)> pairs)
    {
        var dict = new PyDict();
        foreach (var (key, value) in pairs) dict[key] = FromClr(value);
        return dict;
    }

    // Whatever JSON a request carries renders: a number past double's range as written, a string no .NET string
    // can hold (a lone surrogate escape) as its escaped text.
    private static object? FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => Text(e),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Number => e.TryGetInt64(out var l) ? l : e.TryGetDouble(out var d) && double.IsFinite(d) ? d : e.GetRawText(),
        JsonValueKind.Array => e.EnumerateArray().Select(FromJson).ToList(),
        JsonValueKind.Object => FromJsonObject(e),
        _ => null,
    };

    private static string Text(JsonElement e)
    {
        try
        {
            return e.GetString()!;
        }
        catch (InvalidOperationException)
        {
            return e.GetRawText()[1..^1];
        }
    }

    private static PyDict FromJsonObject(JsonElement e)
    {
        var dict = new PyDict();
        var index = 0;
        foreach (var property in e.EnumerateObject())
        {
            string name;
            try
            {
                name = property.Name;
            }
            catch (InvalidOperationException)
            {
                // A name no .NET string can hold: kept apart under a stand-in.
                name = $"\uFFFD{index}";
            }
            dict[name] = FromJson(property.Value);
            index++;
        }
        return dict;
    }
}
