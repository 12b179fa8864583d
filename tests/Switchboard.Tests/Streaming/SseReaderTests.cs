using System.Text;
using Switchboard.Buffers;
using Switchboard.Streaming;

namespace Switchboard.Tests.Streaming;

public sealed class SseReaderTests
{
    /// <summary>A body that arrives in the given pieces, one per read, as TCP may deliver it.</summary>
    private sealed class PiecewiseStream(IEnumerable<byte[]> pieces) : Stream
    {
        private readonly Queue<byte[]> _pieces = new(pieces);
        private byte[] _current = [];
        private int _offset;

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            while (_offset == _current.Length)
            {
                if (!_pieces.TryDequeue(out var next)) return ValueTask.FromResult(0);
                (_current, _offset) = (next, 0);
            }
            var count = Math.Min(buffer.Length, _current.Length - _offset);
            _current.AsSpan(_offset, count).CopyTo(buffer.Span);
            _offset += count;
            return ValueTask.FromResult(count);
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static async Task<(List<string> Events, SseReadStatus End)> ReadAll(IEnumerable<byte[]> pieces, int maxEventBytes = 1 << 20)
    {
        using var reader = new SseReader(new PiecewiseStream(pieces), new BufferBudget(1L << 30), maxEventBytes);
        var events = new List<string>();
        while (true)
        {
            var status = await reader.ReadAsync(CancellationToken.None);
            if (status != SseReadStatus.Event) return (events, status);
            events.Add(Encoding.UTF8.GetString(reader.Data.Span));
        }
    }

    private const string Text = "\uFEFF: comment\r\ndata: {\"a\":\"你好\"}\r\n\r\nevent: x\ndata: line one\ndata:line two\n\ndata\n\n\rdata: cr\r\rretry: 5\n\ndata: [DONE]\n\n";
    private static readonly string[] Expected = ["{\"a\":\"你好\"}", "line one\nline two", "", "cr", "[DONE]"];

    [Fact]
    public async Task Events_are_read_the_same_however_the_bytes_are_split()
    {
        var bytes = Encoding.UTF8.GetBytes(Text);
        Assert.Equal(Expected, (await ReadAll([bytes])).Events);
        // Every split point, including inside the BOM, inside CRLF and inside a multi-byte character.
        for (var at = 1; at < bytes.Length; at++)
        {
            var (events, end) = await ReadAll([bytes[..at], bytes[at..]]);
            Assert.True(Expected.SequenceEqual(events), $"split at {at}: [{string.Join(" | ", events)}]");
            Assert.Equal(SseReadStatus.End, end);
        }
        // And byte by byte.
        Assert.Equal(Expected, (await ReadAll(bytes.Select(b => new[] { b }))).Events);
    }

    [Fact]
    public async Task An_unfinished_last_event_is_dropped_and_the_end_reported()
    {
        var (events, end) = await ReadAll([Encoding.UTF8.GetBytes("data: one\n\ndata: cut off")]);
        Assert.Equal(["one"], events);
        Assert.Equal(SseReadStatus.End, end);
    }

    [Fact]
    public async Task A_line_that_never_ends_stops_at_the_event_limit()
    {
        var endless = Enumerable.Repeat(Encoding.ASCII.GetBytes(new string('x', 4096)), 1000).Prepend(Encoding.ASCII.GetBytes("data: first\n\ndata: "));
        var (events, end) = await ReadAll(endless, maxEventBytes: 64 * 1024);
        Assert.Equal(["first"], events);
        Assert.Equal(SseReadStatus.TooLarge, end);
    }

    [Fact]
    public async Task An_event_just_under_the_limit_is_read_whole()
    {
        var data = new string('y', 60 * 1024);
        var (events, end) = await ReadAll([Encoding.ASCII.GetBytes($"data: {data}\n\n")], maxEventBytes: 64 * 1024);
        Assert.Equal([data], events);
        Assert.Equal(SseReadStatus.End, end);
    }

    [Fact]
    public async Task The_buffer_budget_bounds_a_growing_event()
    {
        using var reader = new SseReader(new PiecewiseStream([Encoding.ASCII.GetBytes("data: " + new string('z', 200_000) + "\n\n")]), new BufferBudget(64 * 1024), 1 << 20);
        Assert.Equal(SseReadStatus.OverBudget, await reader.ReadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task It_tells_whether_the_next_event_is_already_buffered()
    {
        using var reader = new SseReader(new PiecewiseStream([Encoding.ASCII.GetBytes("data: a\n\ndata: b\n\n"), Encoding.ASCII.GetBytes("data: c\n\n")]), new BufferBudget(1 << 20), 1 << 20);
        Assert.Equal(SseReadStatus.Event, await reader.ReadAsync(CancellationToken.None));
        Assert.True(reader.HasBufferedEvent);
        Assert.Equal(SseReadStatus.Event, await reader.ReadAsync(CancellationToken.None));
        Assert.False(reader.HasBufferedEvent);
        Assert.Equal(SseReadStatus.Event, await reader.ReadAsync(CancellationToken.None));
        Assert.Equal("c", Encoding.ASCII.GetString(reader.Data.Span));
    }
}
