using Switchboard.Buffers;

namespace Switchboard.Tests.Buffers;

/// <summary>Pooled buffers under concurrency: no two live buffers share an array, and the budget comes back whole.</summary>
public sealed class ByteBufferTests
{
    [Fact]
    public async Task Concurrent_buffers_of_every_pooled_size_keep_their_own_bytes_and_return_the_budget()
    {
        var budget = new BufferBudget(1L << 30);
        // Sizes on both sides of the gateway's own pool's limit (16 KiB) and of the shared pool's buckets.
        int[] sizes = [100, 4095, 4097, 9000, 16 * 1024, 16 * 1024 + 1, 40_000];
        await Parallel.ForAsync(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, cancel) =>
        {
            var size = sizes[i % sizes.Length];
            using var buffer = new ByteBuffer(budget, 1 << 20);
            var pattern = (byte)(i * 31 + 7);
            var content = new byte[size];
            Array.Fill(content, pattern);
            // Written in two parts with a yield between, so other buffers are rented and returned meanwhile.
            Assert.Equal(GrowResult.Ok, buffer.TryWrite(content.AsSpan(0, size / 2)));
            await Task.Yield();
            Assert.Equal(GrowResult.Ok, buffer.TryWrite(content.AsSpan(size / 2)));
            await Task.Yield();
            Assert.Equal(size, buffer.Count);
            Assert.True(buffer.WrittenSpan.IndexOfAnyExcept(pattern) < 0, $"buffer {i} ({size} bytes) was written by another");
        });
        Assert.Equal(0, budget.Used);
    }
}
