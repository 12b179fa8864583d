using System.Text;

namespace Switchboard.Inference.Generation;

/// <summary>
/// OpenAI's <c>stop</c>: generation ends at the first stop string, which is never emitted, wherever token boundaries
/// fall. Text that could still be the start of a stop string is held back until it cannot.
/// </summary>
public sealed class StopSequences
{
    private readonly string[] _stops;
    private readonly StringBuilder _pending = new();

    public StopSequences(IEnumerable<string> stops) => _stops = stops.Where(s => s.Length > 0).Distinct(StringComparer.Ordinal).ToArray();

    public bool IsEmpty => _stops.Length == 0;

    /// <summary>Takes the next piece of generated text; returns what may be emitted now, and whether a stop string was reached.</summary>
    public (string Emit, bool Stopped) Append(string text)
    {
        if (_stops.Length == 0) return (text, false);
        _pending.Append(text);
        var pending = _pending.ToString();
        var first = -1;
        foreach (var stop in _stops)
        {
            var at = pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first)) first = at;
        }
        _pending.Clear();
        if (first >= 0) return (pending[..first], true);
        var keep = 0;
        foreach (var stop in _stops)
        {
            for (var length = Math.Min(stop.Length - 1, pending.Length); length > keep; length--)
            {
                if (pending.AsSpan(pending.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    keep = length;
                    break;
                }
            }
        }
        _pending.Append(pending, pending.Length - keep, keep);
        return (pending[..^keep], false);
    }

    /// <summary>What was held back, at the end of a generation that reached no stop string.</summary>
    public string Flush()
    {
        var rest = _pending.ToString();
        _pending.Clear();
        return rest;
    }
}
