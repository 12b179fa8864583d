using System.Runtime.CompilerServices;
using Switchboard.Inference.Quantization;
using Switchboard.Inference.Tensors;

namespace Switchboard.Inference.Models;

/// <summary>
/// One sequence being evaluated: its KV cache and position. <see cref="Evaluate"/> runs one token through the
/// model and returns the logits for the next; <see cref="Hidden"/> is the final normalised hidden state
/// (what embeddings pool). Arithmetic follows ggml's order where it matters to match llama.cpp's tokens.
/// </summary>
public sealed class LlamaSession
{
    private readonly LlamaModel _model;
    private readonly LlamaConfig _c;
    private readonly float[][] _keys, _values;
    private readonly float[] _x, _xn, _q, _k, _v, _attn, _proj, _gate, _up, _scores, _logits;

    private readonly bool _f16Cache;
    private readonly int _keyStride;

    internal LlamaSession(LlamaModel model, int contextSize, bool f16Cache)
    {
        _f16Cache = f16Cache;
        _model = model;
        _c = model.Config;
        ContextSize = contextSize;
        // Transposed keys (F32 cache) get rows one cache line longer than the context: with a power-of-two context,
        // rows a power of two apart fall into the same few L1 sets and evict each other on every pass.
        _keyStride = f16Cache ? contextSize : contextSize + 16;
        _keys = Enumerable.Range(0, _c.BlockCount).Select(_ => new float[_keyStride * _c.KvDim]).ToArray();
        _values = Enumerable.Range(0, _c.BlockCount).Select(_ => new float[contextSize * _c.KvDim]).ToArray();
        _x = new float[_c.EmbeddingLength];
        _xn = new float[_c.EmbeddingLength];
        _q = new float[_c.EmbeddingLength];
        _k = new float[_c.KvDim];
        _v = new float[_c.KvDim];
        _attn = new float[_c.EmbeddingLength];
        _proj = new float[_c.EmbeddingLength];
        _gate = new float[_c.FeedForwardLength];
        _up = new float[_c.FeedForwardLength];
        _scores = new float[ScoreRows * contextSize];
        _logits = new float[model.Output.Rows];
    }

    public int ContextSize { get; }

    /// <summary>Whether K and V are kept at F16 precision, as llama.cpp's default cache keeps them.</summary>
    public bool F16Cache => _f16Cache;
    public int Position { get; private set; }
    public ReadOnlySpan<float> Hidden => _xn;
    internal LlamaModel Model => _model;
    internal Span<float> HiddenBuffer => _xn;

    /// <summary>Moves the position on past tokens a <see cref="ForwardPass"/> has cached.</summary>
    internal void Advance(int tokens) => Position += tokens;

    public void Reset() => Position = 0;

    /// <exception cref="InvalidOperationException">The context is full.</exception>
    public ReadOnlySpan<float> Evaluate(int token)
    {
        if (Position >= ContextSize)
            throw new InvalidOperationException($"The context of {ContextSize} tokens is full: the prompt plus max_tokens must fit in it.");
        if ((uint)token >= (uint)_model.TokenEmbedding.Rows)
            throw new ArgumentOutOfRangeException(nameof(token), $"Token {token} is outside the vocabulary of {_model.TokenEmbedding.Rows}.");
        var pos = Position;
        _model.TokenEmbedding.CopyRow(token, _x);
        for (var layer = 0; layer < _c.BlockCount; layer++)
        {
            var block = _model.Blocks[layer];
            RmsNorm(_x, block.AttnNorm, _xn, _c.RmsEpsilon);
            block.Q.MultiplyVector(_xn, _q);
            block.K.MultiplyVector(_xn, _k);
            block.V.MultiplyVector(_xn, _v);
            PositionAndCache(block, layer, pos, _q, _k, _v);
            Attend(layer, pos, _q, _attn, _scores);
            block.Output.MultiplyVector(_attn, _proj);
            for (var i = 0; i < _x.Length; i++) _x[i] += _proj[i];

            RmsNorm(_x, block.FfnNorm, _xn, _c.RmsEpsilon);
            block.Gate.MultiplyVector(_xn, _gate);
            block.Up.MultiplyVector(_xn, _up);
            for (var i = 0; i < _gate.Length; i++) _gate[i] = _gate[i] / (1f + MathF.Exp(-_gate[i])) * _up[i];
            block.Down.MultiplyVector(_gate, _proj);
            for (var i = 0; i < _x.Length; i++) _x[i] += _proj[i];
        }
        RmsNorm(_x, _model.OutputNorm, _xn, _c.RmsEpsilon);
        _model.Output.MultiplyVector(_xn, _logits);
        Position++;
        return _logits;
    }

    /// <summary>One query row's attention over this sequence's cache up to <paramref name="pos"/>; <paramref name="scores"/> holds at least <see cref="ScoreRows"/> × (pos + 1) values.</summary>
    internal void Attend(int layer, int pos, ReadOnlySpan<float> query, Span<float> attention, Span<float> scores)
    {
        if (_f16Cache) AttendF16(layer, pos, query, attention);
        else AttendF32(layer, pos, query, attention, scores);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AttendF32(int layer, int pos, ReadOnlySpan<float> query, Span<float> attention, Span<float> scores)
    {
        var hd = _c.HeadDim;
        var group = _c.HeadCount / _c.HeadCountKv;
        var scale = 1f / MathF.Sqrt(hd);
        var keys = _keys[layer];
        var values = _values[layer];
        var count = pos + 1;
        var scoreStride = scores.Length / ScoreRows;
        for (var kvHead = 0; kvHead < _c.HeadCountKv; kvHead++)
        {
            var kvOffset = kvHead * hd;
            var headKeys = keys.AsSpan(kvOffset * _keyStride);
            var headValues = values.AsSpan(kvOffset);
            for (var first = 0; first < group; first += ScoreRows)
            {
                var heads = Math.Min(ScoreRows, group - first);
                var h = kvHead * group + first;
                var q = query.Slice(h * hd, heads * hd);
                var output = attention.Slice(h * hd, heads * hd);
                switch (heads)
                {
                    case 3: AttentionKernels.Attend<AttentionKernels.ThreeHeads>(q, headKeys, _keyStride, headValues, _c.KvDim, count, scale, scores, scoreStride, output); break;
                    case 2: AttentionKernels.Attend<AttentionKernels.TwoHeads>(q, headKeys, _keyStride, headValues, _c.KvDim, count, scale, scores, scoreStride, output); break;
                    default: AttentionKernels.Attend<AttentionKernels.OneHead>(q, headKeys, _keyStride, headValues, _c.KvDim, count, scale, scores, scoreStride, output); break;
                }
            }
        }
    }

    // Query heads attended in one pass over a key/value head: the kernels hold three heads' partial sums in registers.
    internal const int ScoreRows = 3;

    /// <summary>
    /// Attention over an F16 cache as llama.cpp's default (flash attention) computes it: an online softmax whose
    /// running output is held in F16 (rescaled on each new maximum), and whose sum is held in F32.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AttendF16(int layer, int pos, ReadOnlySpan<float> query, Span<float> attention)
    {
        var hd = _c.HeadDim;
        var group = _c.HeadCount / _c.HeadCountKv;
        var scale = 1f / MathF.Sqrt(hd);
        var keys = _keys[layer];
        var values = _values[layer];
        // F16 values held as floats (see HalfPrecision).
        Span<float> acc = stackalloc float[hd];
        for (var h = 0; h < _c.HeadCount; h++)
        {
            var q = query.Slice(h * hd, hd);
            var kvOffset = h / group * hd;
            acc.Clear();
            float sum = 0, max = float.NegativeInfinity;
            for (var t = 0; t <= pos; t++)
            {
                var s = WeightMatrix.Dot(keys.AsSpan(t * _c.KvDim + kvOffset, hd), q) * scale;
                float ms = 1, vs = 1;
                if (s > max)
                {
                    ms = MathF.Exp(max - s);
                    max = s;
                    HalfPrecision.Scale(acc, ms);
                }
                else
                {
                    vs = MathF.Exp(s - max);
                }
                var v = values.AsSpan(t * _c.KvDim + kvOffset, hd);
                HalfPrecision.MultiplyAdd(acc, v, vs);
                sum = sum * ms + vs;
            }
            var inv = sum == 0 ? 0 : 1f / sum;
            var output = attention.Slice(h * hd, hd);
            for (var i = 0; i < hd; i++) output[i] = acc[i] * inv;
        }
    }

    /// <summary>
    /// ggml's rotary embedding angles for one position: θ starts at the position and is multiplied by
    /// base^(-2/n_dims) per pair, in float, and divided by the pair's frequency factor where the model has them.
    /// Computed once and applied to every head of Q and K.
    /// </summary>
    private void RopeAngles(int pos, Span<float> cos, Span<float> sin)
    {
        var thetaScale = MathF.Pow(_c.RopeFreqBase, -2f / _c.RopeDimensions);
        var factors = _model.RopeFreqFactors;
        float theta = pos;
        for (var p = 0; p < cos.Length; p++)
        {
            var angle = factors is null ? theta : theta / factors[p];
            cos[p] = MathF.Cos(angle);
            sin[p] = MathF.Sin(angle);
            theta *= thetaScale;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Rope(Span<float> vectors, int heads, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        var hd = _c.HeadDim;
        var half = _c.RopeDimensions / 2;
        for (var h = 0; h < heads; h++)
        {
            var v = vectors.Slice(h * hd, hd);
            for (var p = 0; p < half; p++)
            {
                // NORM pairs (2p, 2p+1); NEOX pairs (p, p + n_dims/2).
                int a = _c.RopeNeox ? p : 2 * p, b = _c.RopeNeox ? p + half : 2 * p + 1;
                var x0 = v[a];
                var x1 = v[b];
                v[a] = x0 * cos[p] - x1 * sin[p];
                v[b] = x0 * sin[p] + x1 * cos[p];
            }
        }
    }

    /// <summary>ggml's RMSNorm: the mean of squares summed in double, the scale in float, then the weight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void RmsNorm(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, Span<float> output, float eps)
    {
        double sum = 0;
        foreach (var value in x) sum += (double)(value * value);
        var mean = (float)(sum / x.Length);
        var scale = 1f / MathF.Sqrt(mean + eps);
        for (var i = 0; i < x.Length; i++) output[i] = x[i] * scale * weight[i];
    }

    /// <summary>
    /// Evaluates a whole prompt and returns the logits after its last token. Each weight matrix is streamed once per
    /// pass of <see cref="ForwardPass.RowsPerPass"/> tokens rather than once per token; the arithmetic per token is the same as
    /// <see cref="Evaluate"/>'s, so the results are too.
    /// </summary>
    /// <param name="tokens">The prompt.</param>
    /// <param name="cancellationToken">Checked before each layer: a long prefill is most of a request's time to first token.</param>
    /// <exception cref="InvalidOperationException">The prompt does not fit in the context.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the session is then unusable.</exception>
    public ReadOnlySpan<float> Prefill(ReadOnlySpan<int> tokens, CancellationToken cancellationToken = default)
    {
        if (tokens.IsEmpty) throw new ArgumentException("Nothing to prefill.", nameof(tokens));
        var all = tokens.ToArray();
        // The whole prompt is checked before its first pass, so a prompt that cannot run leaves the session as it was.
        ForwardPass.Validate(_model, [new SequenceStep(this, all)]);
        for (var start = 0; start < all.Length; start += ForwardPass.RowsPerPass)
        {
            var take = Math.Min(ForwardPass.RowsPerPass, all.Length - start);
            ForwardPass.Run(_model, [new SequenceStep(this, all.AsMemory(start, take), WantLogits: start + take == all.Length)], _logits, cancellationToken);
        }
        return _logits;
    }

    /// <summary>
    /// One token's Q, K, V after projection: biases, rotary position, F16 rounding when the cache is F16 (kept as
    /// the F32 value of that F16; Q meets the cache at F16 too), and K, V written into the cache at <paramref name="pos"/>.
    /// </summary>
    internal void PositionAndCache(LlamaBlock block, int layer, int pos, Span<float> q, Span<float> k, Span<float> v)
    {
        AddBias(q, block.QBias);
        AddBias(k, block.KBias);
        AddBias(v, block.VBias);
        var half = _c.RopeDimensions / 2;
        Span<float> cos = stackalloc float[half], sin = stackalloc float[half];
        RopeAngles(pos, cos, sin);
        Rope(q, _c.HeadCount, cos, sin);
        Rope(k, _c.HeadCountKv, cos, sin);
        if (_f16Cache)
        {
            HalfPrecision.Round(k, k);
            HalfPrecision.Round(v, v);
            HalfPrecision.Round(q, q);
            k.CopyTo(_keys[layer].AsSpan(pos * _c.KvDim, _c.KvDim));
        }
        else
        {
            // Transposed (one row per key dimension) so that scores for consecutive positions are one vector load.
            var keys = _keys[layer];
            for (var j = 0; j < k.Length; j++) keys[j * _keyStride + pos] = k[j];
        }
        v.CopyTo(_values[layer].AsSpan(pos * _c.KvDim, _c.KvDim));
    }

    private static void AddBias(Span<float> values, float[]? bias)
    {
        if (bias is null) return;
        for (var i = 0; i < values.Length; i++) values[i] += bias[i];
    }
}

