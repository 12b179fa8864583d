using System.Runtime.CompilerServices;
using Switchboard.Buffers;

namespace Switchboard.Streaming;

/// <summary>What <see cref="SseReader.ReadAsync"/> found.</summary>
internal enum SseReadStatus
{
    /// <summary><see cref="SseReader.Data"/> holds the next event's data.</summary>
    Event,
    /// <summary>The stream ended (an unterminated last event is dropped, as the SSE rules say).</summary>
    End,
    /// <summary>An event grew past the size limit before it ended.</summary>
    TooLarge,
    /// <summary>The event would not fit in the process-wide buffer budget.</summary>
    OverBudget,
}

/// <summary>
/// Reads server-sent events from an upstream body (WHATWG rules: LF, CR or CRLF line ends, comments, multi-line
/// <c>data</c>, a leading BOM). Written for the relay's hot path rather than using <c>SseParser</c>: an event's
/// data is returned as a view of the read buffer (copied only when it spans several <c>data</c> lines), an event
/// is capped at a maximum size, and <see cref="HasBufferedEvent"/> tells the relay, without I/O, whether the next
/// event is already here, so it flushes exactly when it is about to wait for the upstream. It owns the stream.
/// </summary>
internal sealed class SseReader(Stream upstream, BufferBudget budget, int maxEventBytes) : IDisposable
{
    private const int MinRead = 4096;
    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];
    private readonly ByteBuffer _buffer = new(budget, maxEventBytes);
    private ByteBuffer? _joined;
    private int _consumed;          // the first byte not yet returned as part of an event
    private int _searchFrom;        // a line start in the pending bytes from which to look for the event's end
    private int _pendingEnd = -1;   // the end of the next complete event, once found
    private bool _started;
    private bool _ended;
    private ReadOnlyMemory<byte> _data;

    /// <summary>The data of the event last returned; valid until the next read.</summary>
    public ReadOnlyMemory<byte> Data => _data;

    /// <summary>Whether the next <see cref="ReadAsync"/> can complete from what is already buffered.</summary>
    public bool HasBufferedEvent => FindEventEnd() >= 0;

    public async ValueTask<SseReadStatus> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var end = FindEventEnd();
            if (end >= 0)
            {
                var start = _consumed;
                _consumed = _searchFrom = end;
                _pendingEnd = -1;
                var parsed = Parse(start, end);
                if (parsed == SseReadStatus.End) continue;    // no data: a comment or keep-alive is not an event
                return parsed;
            }
            if (_ended) return SseReadStatus.End;
            var room = MakeRoom();
            if (room != SseReadStatus.Event) return room;
            var read = await upstream.ReadAsync(_buffer.Free, cancellationToken);
            if (read == 0)
            {
                _ended = true;
                continue;
            }
            _buffer.Advance(read);
            if (!_started) SkipBom();
        }
    }

    private void SkipBom()
    {
        var text = _buffer.WrittenSpan;
        if (text.Length < Bom.Length && Bom.AsSpan().StartsWith(text)) return;
        _started = true;
        if (text.StartsWith(Bom)) _consumed = _searchFrom = Bom.Length;
    }

    /// <summary>Moves unread bytes to the front, and grows the buffer when an unfinished event fills it.</summary>
    private SseReadStatus MakeRoom()
    {
        if (_buffer.Free.Length >= MinRead) return SseReadStatus.Event;
        _buffer.DiscardPrefix(_consumed);
        _searchFrom -= _consumed;
        _consumed = 0;
        if (_buffer.Free.Length >= MinRead) return SseReadStatus.Event;
        var pending = _buffer.Count;
        return _buffer.TryEnsureFree(Math.Min(Math.Max(MinRead, pending), _buffer.MaxBytes - pending)) switch
        {
            GrowResult.Ok when _buffer.Free.Length > 0 => SseReadStatus.Event,
            GrowResult.OverBudget => SseReadStatus.OverBudget,
            _ => SseReadStatus.TooLarge,
        };
    }

    /// <summary>The end (past its blank line) of the first complete event in the pending bytes, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int FindEventEnd()
    {
        if (_pendingEnd >= 0) return _pendingEnd;
        var text = _buffer.WrittenSpan;
        var line = _searchFrom;
        while (true)
        {
            var at = text[line..].IndexOfAny((byte)'\r', (byte)'\n');
            if (at < 0) break;
            at += line;
            var terminator = 1;
            if (text[at] == (byte)'\r')
            {
                if (at + 1 < text.Length)
                {
                    if (text[at + 1] == (byte)'\n') terminator = 2;
                }
                else if (at != line && !_ended)
                {
                    break;    // a line ending in CR may yet continue with LF: decide when more arrives
                }
            }
            if (at == line)
            {
                _pendingEnd = at + terminator;
                return _pendingEnd;
            }
            line = at + terminator;
        }
        _searchFrom = line;
        return -1;
    }

    /// <summary>Collects the <c>data</c> lines of the event in [start, end): <see cref="SseReadStatus.End"/> when it has none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private SseReadStatus Parse(int start, int end)
    {
        var text = _buffer.WrittenSpan;
        int first = 0, firstLength = 0, lines = 0;
        for (var line = start; line < end;)
        {
            var at = text[line..end].IndexOfAny((byte)'\r', (byte)'\n') + line;
            var content = text[line..at];
            line = at + (text[at] == (byte)'\r' && at + 1 < end && text[at + 1] == (byte)'\n' ? 2 : 1);
            var colon = content.IndexOf((byte)':');
            if (colon == 0 || !(colon < 0 ? content : content[..colon]).SequenceEqual("data"u8)) continue;
            var valueStart = colon < 0 ? content.Length : colon + 1 + (colon + 1 < content.Length && content[colon + 1] == (byte)' ' ? 1 : 0);
            var value = content[valueStart..];
            if (lines++ == 0)
            {
                first = at - value.Length;
                firstLength = value.Length;
                continue;
            }
            // Several data lines join with LF into a copy: rare, so that buffer exists only when needed.
            var joined = _joined ??= new ByteBuffer(budget, maxEventBytes);
            var written = GrowResult.Ok;
            if (lines == 2)
            {
                joined.Clear();
                written = joined.TryWrite(text.Slice(first, firstLength));
            }
            if (written == GrowResult.Ok) written = joined.TryWrite("\n"u8);
            if (written == GrowResult.Ok) written = joined.TryWrite(value);
            if (written != GrowResult.Ok) return written == GrowResult.OverBudget ? SseReadStatus.OverBudget : SseReadStatus.TooLarge;
        }
        if (lines == 0) return SseReadStatus.End;
        _data = lines == 1 ? _buffer.Written.Slice(first, firstLength) : _joined!.Written;
        return SseReadStatus.Event;
    }

    public void Dispose()
    {
        upstream.Dispose();
        _buffer.Dispose();
        _joined?.Dispose();
    }
}
