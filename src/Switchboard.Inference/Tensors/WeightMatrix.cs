using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Switchboard.Inference.Gguf;
using Switchboard.Inference.Quantization;

namespace Switchboard.Inference.Tensors;

/// <summary>
/// A 2-D weight tensor read in place from the mapped file: ggml's <c>ne0</c> (<see cref="Columns"/>, contiguous)
/// by <c>ne1</c> (<see cref="Rows"/>). <see cref="MultiplyVector"/> computes <c>y[r] = W[r,:] · x</c>.
/// </summary>
public sealed unsafe class WeightMatrix
{
    private readonly byte* _data;
    private readonly int _blockElements, _blockBytes;

    private long RowBytes => (long)Columns / _blockElements * _blockBytes;

    internal WeightMatrix(GgufFile file, GgufTensorInfo tensor)
    {
        if (tensor.Dimensions.Count is < 1 or > 2)
            throw new GgufException($"Tensor '{tensor.Name}' has {tensor.Dimensions.Count} dimensions; a weight matrix has 1 or 2.");
        if (tensor.Type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.Q8_0 or GgmlType.Q4_0 or GgmlType.Q4_K or GgmlType.Q6_K))
            throw new NotSupportedException($"Tensor '{tensor.Name}' is {tensor.Type}; supported: F32, F16, Q8_0, Q4_0, Q4_K, Q6_K.");
        GgmlTypeInfo.TryGetBlock(tensor.Type, out _blockElements, out _blockBytes);
        Name = tensor.Name;
        Type = tensor.Type;
        Columns = (int)tensor.Dimensions[0];
        Rows = tensor.Dimensions.Count == 2 ? (int)tensor.Dimensions[1] : 1;
        _data = file.TensorPointer(tensor);
    }

    public string Name { get; }
    public GgmlType Type { get; }
    public int Columns { get; }
    public int Rows { get; }

    /// <summary>Row <paramref name="row"/> as F32 (embedding lookup).</summary>
    public void CopyRow(int row, Span<float> destination)
    {
        var bytes = new ReadOnlySpan<byte>(_data + row * RowBytes, (int)RowBytes);
        switch (Type)
        {
            case GgmlType.F32: MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination); break;
            case GgmlType.Q8_0: Dequantizer.Q8_0(bytes, destination[..Columns]); break;
            case GgmlType.Q4_0: Dequantizer.Q4_0(bytes, destination[..Columns]); break;
            case GgmlType.Q4_K: Dequantizer.Q4_K(bytes, destination[..Columns]); break;
            case GgmlType.Q6_K: Dequantizer.Q6_K(bytes, destination[..Columns]); break;
            default:
                var halves = MemoryMarshal.Cast<byte, Half>(bytes);
                for (var i = 0; i < Columns; i++) destination[i] = (float)halves[i];
                break;
        }
    }

    /// <summary>The vector as F32 (norm weights and other 1-D tensors).</summary>
    public float[] ToArray()
    {
        var values = new float[Columns * Rows];
        for (var r = 0; r < Rows; r++) CopyRow(r, values.AsSpan(r * Columns, Columns));
        return values;
    }

    public void MultiplyVector(ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.Length != Columns || y.Length != Rows)
            throw new ArgumentException($"{Name}: {Rows}x{Columns} cannot multiply a vector of {x.Length} into {y.Length}.");
        if (Type == GgmlType.F32)
        {
            for (var r = 0; r < Rows; r++) y[r] = Dot(new ReadOnlySpan<float>(_data + (long)r * Columns * 4, Columns), x);
            return;
        }
        if (Type != GgmlType.F16)
        {
            MultiplyQuantized(x, y);
            return;
        }
        // ggml multiplies F16 weights by activations converted to F16 (its vec_dot_type for F16), so rounding
        // the activations the same way is part of matching it.
        Span<float> rounded = Columns <= 4096 ? stackalloc float[Columns] : new float[Columns];
        HalfPrecision.Round(x, rounded);
        Span<float> row = Columns <= 4096 ? stackalloc float[Columns] : new float[Columns];
        for (var r = 0; r < Rows; r++)
        {
            var halves = new ReadOnlySpan<Half>(_data + (long)r * Columns * 2, Columns);
            for (var i = 0; i < Columns; i++) row[i] = (float)halves[i];
            y[r] = Dot(row, rounded);
        }
    }

    /// <summary>
    /// <c>Y[t] = W · X[t]</c> for a batch of <paramref name="count"/> vectors (rows of <paramref name="x"/>; the arrays
    /// may be longer than the batch): each weight row is read once for the whole batch, and the batch's activations are
    /// converted once.
    /// </summary>
    public void MultiplyMatrix(float[] x, float[] y, int count)
    {
        if (x.Length < count * Columns || y.Length < count * Rows)
            throw new ArgumentException($"{Name}: {Rows}x{Columns} cannot multiply {count} vectors held in {x.Length} values into {y.Length}.");
        if (ReferenceEquals(x, y)) throw new ArgumentException($"{Name}: the batch cannot be multiplied in place.", nameof(y));
        var cols = Columns;
        var rows = Rows;
        var output = y;     // captured by the row lambdas under the name the kernels use
        var data = _data;
        var type = Type;
        if (type is GgmlType.F32 or GgmlType.F16)
        {
            // ggml meets F16 weights with F16-rounded activations; F32 weights with the activations as they are.
            var inputs = x;
            if (type == GgmlType.F16)
            {
                inputs = ArrayPool<float>.Shared.Rent(count * cols);
                HalfPrecision.Round(x.AsSpan(0, count * cols), inputs);
            }
            RowPartition.For(rows, (long)rows * RowBytes, (start, end) =>
            {
                var row = new float[cols];
                for (var r = start; r < end; r++)
                {
                    if (type == GgmlType.F32) new ReadOnlySpan<float>(data + (long)r * cols * 4, cols).CopyTo(row);
                    else
                    {
                        var halves = new ReadOnlySpan<Half>(data + (long)r * cols * 2, cols);
                        for (var i = 0; i < cols; i++) row[i] = (float)halves[i];
                    }
                    for (var t = 0; t < count; t++) output[t * rows + r] = Dot(row, inputs.AsSpan(t * cols, cols));
                }
            });
            if (!ReferenceEquals(inputs, x)) ArrayPool<float>.Shared.Return(inputs);
        }
        else if (BatchDot.IsSupported && type is GgmlType.Q8_0 or GgmlType.Q4_0)
        {
            MultiplyBatch(x, output, count);
        }
        else
        {
            var kQuant = type is GgmlType.Q4_K or GgmlType.Q6_K;
            var perVector = kQuant ? cols / 256 * BlockLayouts.Q8_KBytes : cols / 32 * BlockLayouts.Q8_0Bytes;
            var activations = ArrayPool<byte>.Shared.Rent(count * perVector);
            RowPartition.For(count, (long)count * cols * 4, (start, end) =>
            {
                for (var t = start; t < end; t++)
                {
                    if (kQuant) Quantizer.ToQ8_K(x.AsSpan(t * cols, cols), activations.AsSpan(t * perVector, perVector));
                    else ActivationQuantizer.ToQ8_0(x.AsSpan(t * cols, cols), activations.AsSpan(t * perVector, perVector));
                }
            });
            var blocks = cols / _blockElements;
            var rowBytes = RowBytes;
            RowPartition.For(rows, (long)rows * rowBytes, (start, end) =>
                MultiplyQuantizedRows(data, rowBytes, type, blocks, activations, perVector, count, output, rows, start, end));
            ArrayPool<byte>.Shared.Return(activations);
        }
    }

    /// <summary>
    /// The batch quantised once into the split layout, then the weights in tiles of <see cref="TileRows"/> rows, each
    /// tile met by four vectors at a time: a tile and four vectors' quants stay in L1 while they are multiplied.
    /// </summary>
    private void MultiplyBatch(float[] x, float[] output, int count)
    {
        var cols = Columns;
        var rows = Rows;
        var blocks = cols / BlockLayouts.Q8_0Elements;
        var quants = ArrayPool<sbyte>.Shared.Rent(count * cols);
        var scales = ArrayPool<float>.Shared.Rent(count * blocks);
        RowPartition.For(count, (long)count * cols * 4, (start, end) =>
        {
            for (var t = start; t < end; t++)
                ActivationQuantizer.ToSplitQ8_0(x.AsSpan(t * cols, cols), quants.AsSpan(t * cols, cols), scales.AsSpan(t * blocks, blocks));
        });
        var data = _data;
        var rowBytes = RowBytes;
        var q4 = Type == GgmlType.Q4_0;
        RowPartition.For(rows, (long)rows * rowBytes, (start, end) =>
        {
            if (q4) MultiplyBatchRows<BatchDot.Q4_0Blocks>(data, rowBytes, blocks, quants, scales, cols, count, output, rows, start, end);
            else MultiplyBatchRows<BatchDot.Q8_0Blocks>(data, rowBytes, blocks, quants, scales, cols, count, output, rows, start, end);
        });
        ArrayPool<float>.Shared.Return(scales);
        ArrayPool<sbyte>.Shared.Return(quants);
    }

    private const int TileRows = 8;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyBatchRows<TBlocks>(byte* data, long rowBytes, int blocks, sbyte[] quants, float[] scales, int cols,
        int count, float[] output, int rows, int start, int end) where TBlocks : BatchDot.IWeightBlocks
    {
        var four = stackalloc float[4];
        fixed (sbyte* u = quants)
        fixed (float* s = scales, o = output)
        {
            for (var tile = start; tile < end; tile += TileRows)
            {
                var tileEnd = Math.Min(tile + TileRows, end);
                var t = 0;
                for (; t + 4 <= count; t += 4)
                {
                    for (var r = tile; r < tileEnd; r++)
                    {
                        BatchDot.Four<TBlocks>(data + r * rowBytes, blocks, u + (long)t * cols, s + (long)t * blocks, cols, four);
                        for (var i = 0; i < 4; i++) o[(long)(t + i) * rows + r] = four[i];
                    }
                }
                for (; t < count; t++)
                {
                    for (var r = tile; r < tileEnd; r++)
                        o[(long)t * rows + r] = BatchDot.One<TBlocks>(data + r * rowBytes, blocks, u + (long)t * cols, s + (long)t * blocks);
                }
            }
        }
    }

    /// <summary>
    /// The batch loop for the K-quants (four vectors per weight row where AVX2 allows) and for every format without
    /// AVX2, in tiles of <see cref="TileRows"/> rows like <see cref="MultiplyBatchRows"/>. Compiled fully optimised
    /// up front: as a long-running loop it was otherwise left to on-stack replacement, and its speed varied by half.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyQuantizedRows(byte* data, long rowBytes, GgmlType type, int blocks, byte[] activations, int perVector,
        int count, float[] output, int rows, int start, int end)
    {
        var four = stackalloc float[4];
        var batched = QuantizedDot.UseAvx2 && type is GgmlType.Q4_K or GgmlType.Q6_K;
        fixed (byte* x = activations)
        {
            for (var tile = start; tile < end; tile += TileRows)
            {
                var tileEnd = Math.Min(tile + TileRows, end);
                var t = 0;
                for (; batched && t + 4 <= count; t += 4)
                {
                    for (var r = tile; r < tileEnd; r++)
                    {
                        if (type == GgmlType.Q4_K) KQuantAvx2.Q4_Kx4(data + r * rowBytes, blocks, x + (long)t * perVector, perVector, four);
                        else KQuantAvx2.Q6_Kx4(data + r * rowBytes, blocks, x + (long)t * perVector, perVector, four);
                        for (var i = 0; i < 4; i++) output[(t + i) * rows + r] = four[i];
                    }
                }
                for (; t < count; t++)
                {
                    var xt = activations.AsSpan(t * perVector, perVector);
                    for (var r = tile; r < tileEnd; r++)
                    {
                        var row = new ReadOnlySpan<byte>(data + r * rowBytes, (int)rowBytes);
                        output[t * rows + r] = type switch
                        {
                            GgmlType.Q8_0 => QuantizedDot.Q8_0(row, xt, blocks),
                            GgmlType.Q4_0 => QuantizedDot.Q4_0(row, xt, blocks),
                            GgmlType.Q4_K => QuantizedDot.Q4_K(row, xt, blocks),
                            _ => QuantizedDot.Q6_K(row, xt, blocks),
                        };
                    }
                }
            }
        }
    }

    /// <summary>
    /// Quantises the activations once (Q8_0 for Q8_0/Q4_0 weights, Q8_K for K-quants, as ggml does), then takes
    /// each row's dot product on the blocks directly; rows are split across the cores for large matrices.
    /// </summary>
    private void MultiplyQuantized(ReadOnlySpan<float> x, Span<float> y)
    {
        var kQuant = Type is GgmlType.Q4_K or GgmlType.Q6_K;
        // Pooled: a decode step runs ~200 of these, and fresh arrays each time grow the heap for nothing.
        var activationBytes = kQuant ? Columns / 256 * BlockLayouts.Q8_KBytes : Columns / 32 * BlockLayouts.Q8_0Bytes;
        var activations = ArrayPool<byte>.Shared.Rent(activationBytes);
        if (kQuant) Quantizer.ToQ8_K(x, activations);
        else ActivationQuantizer.ToQ8_0(x, activations);
        var blocks = Columns / _blockElements;
        var rowBytes = RowBytes;
        var data = _data;
        var type = Type;
        var output = ArrayPool<float>.Shared.Rent(Rows);
        RowPartition.For(Rows, (long)Rows * rowBytes, (start, end) =>
        {
            for (var r = start; r < end; r++)
            {
                var row = new ReadOnlySpan<byte>(data + r * rowBytes, (int)rowBytes);
                output[r] = type switch
                {
                    GgmlType.Q8_0 => QuantizedDot.Q8_0(row, activations, blocks),
                    GgmlType.Q4_0 => QuantizedDot.Q4_0(row, activations, blocks),
                    GgmlType.Q4_K => QuantizedDot.Q4_K(row, activations, blocks),
                    _ => QuantizedDot.Q6_K(row, activations, blocks),
                };
            }
        });
        output.AsSpan(0, Rows).CopyTo(y);
        ArrayPool<float>.Shared.Return(output);
        ArrayPool<byte>.Shared.Return(activations);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = Vector<float>.Zero;
        var i = 0;
        var va = MemoryMarshal.Cast<float, Vector<float>>(a);
        var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
        for (var v = 0; v < va.Length; v++) sum += va[v] * vb[v];
        i = va.Length * Vector<float>.Count;
        var total = Vector.Sum(sum);
        for (; i < a.Length; i++) total += a[i] * b[i];
        return total;
    }
}
