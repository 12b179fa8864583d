using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Switchboard.Json;

/// <summary>
/// The top-level members of an upstream answer (a body or a stream chunk) the gateway acts on:
/// <c>usage</c>, <c>choices</c> and <c>error</c>, <see cref="JsonPropertyRange.None"/> where absent
/// (the last wins if repeated, names compared unescaped).
/// </summary>
internal struct ResponseMembers
{
    public JsonPropertyRange Usage;
    public JsonPropertyRange Choices;
    public JsonPropertyRange Error;

    /// <summary>Whether <paramref name="json"/> is exactly one JSON object; if so, where its members of interest are.</summary>
    /// <remarks>
    /// The stream relay calls this for every upstream event. Compiled fully optimised up front: left to tiering on
    /// the gateway's saturated core, the scanner's code stayed unoptimised long into a benchmark.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryScan(ReadOnlySpan<byte> json, out ResponseMembers members)
    {
        members = new ResponseMembers { Usage = JsonPropertyRange.None, Choices = JsonPropertyRange.None, Error = JsonPropertyRange.None };
        try
        {
            var scanner = new JsonObjectScanner(json);
            if (!scanner.TryReadStart()) return false;
            while (scanner.MoveNext())
            {
                var usage = scanner.NameIs("usage"u8);
                var choices = !usage && scanner.NameIs("choices"u8);
                var error = !usage && !choices && scanner.NameIs("error"u8);
                var value = scanner.ReadValue();
                if (usage) members.Usage = value;
                else if (choices) members.Choices = value;
                else if (error) members.Error = value;
            }
            return true;
        }
        catch (JsonException)
        {
            return false;    // a broken event or body from upstream: the caller's outcome, rare by nature
        }
    }
}
