using System.Buffers;

namespace Switchboard.Inference.Models;

/// <summary>
/// A prefill's activations, one row per token, rented rather than allocated: a server prefills every request, and
/// arrays this size would otherwise land on the large-object heap each time and hold memory until a full collection.
/// Arrays may be longer than asked; users index by token count.
/// </summary>
internal sealed class PrefillScratch : IDisposable
{
    public PrefillScratch(int tokens, LlamaConfig c)
    {
        int embd = tokens * c.EmbeddingLength, kv = tokens * c.KvDim, ff = tokens * c.FeedForwardLength;
        X = Rent(embd);
        Normed = Rent(embd);
        Q = Rent(embd);
        K = Rent(kv);
        V = Rent(kv);
        Attention = Rent(embd);
        Projected = Rent(embd);
        Gate = Rent(ff);
        Up = Rent(ff);
    }

    public float[] X { get; }
    public float[] Normed { get; }
    public float[] Q { get; }
    public float[] K { get; }
    public float[] V { get; }
    public float[] Attention { get; }
    public float[] Projected { get; }
    public float[] Gate { get; }
    public float[] Up { get; }

    private static float[] Rent(int length) => ArrayPool<float>.Shared.Rent(length);

    public void Dispose()
    {
        foreach (var array in new[] { X, Normed, Q, K, V, Attention, Projected, Gate, Up }) ArrayPool<float>.Shared.Return(array);
    }
}
