using System.Numerics;
using System.Runtime.InteropServices;
using Switchboard.Inference.Gguf;

namespace Switchboard.Inference.Tensors;

/// <summary>
/// A 2-D weight tensor read in place from the mapped file: ggml's <c>ne0</c> (<see cref="Columns"/>, contiguous)
/// by <c>ne1</c> (<see cref="Rows"/>). <see cref="MultiplyVector"/> computes <c>y[r] = W[r,:] · x</c>.
/// </summary>
public sealed unsafe class WeightMatrix
{
    private readonly byte* _data;

    internal WeightMatrix(GgufFile file, GgufTensorInfo tensor)
    {
        if (tensor.Dimensions.Count is < 1 or > 2)
            throw new GgufException($"Tensor '{tensor.Name}' has {tensor.Dimensions.Count} dimensions; a weight matrix has 1 or 2.");
        if (tensor.Type is not (GgmlType.F32 or GgmlType.F16))
            throw new NotSupportedException($"Tensor '{tensor.Name}' is {tensor.Type}; this engine build multiplies F32 and F16 weights only.");
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
        if (Type == GgmlType.F32)
        {
            new ReadOnlySpan<float>(_data + (long)row * Columns * 4, Columns).CopyTo(destination);
            return;
        }
        var halves = new ReadOnlySpan<Half>(_data + (long)row * Columns * 2, Columns);
        for (var i = 0; i < Columns; i++) destination[i] = (float)halves[i];
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
        // ggml multiplies F16 weights by activations converted to F16 (its vec_dot_type for F16), so rounding
        // the activations the same way is part of matching it.
        Span<float> rounded = Columns <= 4096 ? stackalloc float[Columns] : new float[Columns];
        for (var i = 0; i < Columns; i++) rounded[i] = (float)(Half)x[i];
        Span<float> row = Columns <= 4096 ? stackalloc float[Columns] : new float[Columns];
        for (var r = 0; r < Rows; r++)
        {
            var halves = new ReadOnlySpan<Half>(_data + (long)r * Columns * 2, Columns);
            for (var i = 0; i < Columns; i++) row[i] = (float)halves[i];
            y[r] = Dot(row, rounded);
        }
    }

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
