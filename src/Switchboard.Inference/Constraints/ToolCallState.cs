using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Switchboard.Inference.Constraints;

/// <summary>
/// The functions a forced tool call may name: for each, the JSON that opens its call,
/// <c>{"name": "NAME", "KEY": </c>, sorted by bytes so the names still possible after a prefix are a range, and the
/// schema of its arguments.
/// </summary>
public sealed class ToolCallGrammar
{
    /// <param name="functions">Each function's name and compiled parameter schema (an object).</param>
    /// <param name="argumentsKey">The member the model's syntax puts the arguments in (<c>arguments</c>, <c>parameters</c>).</param>
    public ToolCallGrammar(IReadOnlyList<(string Name, JsonSchemaNode Parameters)> functions, string argumentsKey)
    {
        var key = Encoding.UTF8.GetString(JsonEncodedText.Encode(argumentsKey, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes);
        var openings = functions
            .Select(f => (Bytes: Encoding.UTF8.GetBytes($"{{\"name\": \"{Encoding.UTF8.GetString(JsonEncodedText.Encode(f.Name, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes)}\", \"{key}\": "), f.Parameters))
            .OrderBy(o => o.Bytes, SortedBytes.Order)
            .ToList();
        Openings = [.. openings.Select(o => o.Bytes)];
        Parameters = [.. openings.Select(o => o.Parameters)];
        Horizon = Openings.Max(o => o.Length) + Parameters.Max(SchemaState.Horizon) + 1;
        Reach = Openings.Max(o => o.Length) + Parameters.Max(SchemaState.Reach);
    }

    internal byte[][] Openings { get; }
    internal JsonSchemaNode[] Parameters { get; }

    /// <summary>A bound on the bytes completing a call from anywhere in it.</summary>
    public int Horizon { get; }

    /// <summary>A bound on what one token can add to a call's completion.</summary>
    public int Reach { get; }
}

/// <summary>
/// A forced tool call as it is written: the opening of one of the functions' calls byte for byte, then its
/// arguments under their schema (<see cref="SchemaState"/>), then the closing <c>}</c>.
/// </summary>
public struct ToolCallState(ToolCallGrammar grammar) : IJsonPrefix
{
    private const int Opening = 0, Arguments = 1, Closing = 2, Done = 3;
    private int _phase;
    private int _lo, _hi = grammar.Openings.Length, _pos;
    private SchemaState _arguments;

    public readonly bool IsComplete => _phase == Done;

    public readonly int PlainTextRoom => _phase == Arguments ? _arguments.PlainTextRoom : -1;

    public readonly bool PlainTextKeepsCompletion => _phase == Arguments && _arguments.PlainTextKeepsCompletion;

    public bool Advance(byte b)
    {
        switch (_phase)
        {
            case Opening:
                var openings = grammar.Openings;
                var (lo, hi) = SortedBytes.Narrow(openings, _lo, _hi, _pos, b);
                if (lo == hi) return false;
                (_lo, _hi) = (lo, hi);
                // Each opening ends with its own name's quote and key: none is a prefix of another.
                if (++_pos == openings[lo].Length)
                {
                    _arguments = new SchemaState(grammar.Parameters[lo]);
                    _phase = Arguments;
                }
                return true;
            case Arguments:
                if (!_arguments.Advance(b)) return false;
                if (_arguments.IsComplete) _phase = Closing;
                return true;
            case Closing:
                if (b != (byte)'}') return false;
                _phase = Done;
                return true;
            default:
                return false;
        }
    }

    public readonly byte NextClosingByte()
    {
        switch (_phase)
        {
            case Opening:
                var shortest = _lo;
                for (var i = _lo; i < _hi; i++)
                {
                    if (grammar.Openings[i].Length < grammar.Openings[shortest].Length) shortest = i;
                }
                return grammar.Openings[shortest][_pos];
            case Arguments: return _arguments.NextClosingByte();
            default: return (byte)'}';
        }
    }

}
