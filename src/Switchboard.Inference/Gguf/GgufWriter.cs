using System.Text;

namespace Switchboard.Inference.Gguf;

/// <summary>Writes a valid GGUF v3 file (metadata, tensor table, 32-byte aligned data): for quantised test models and benchmarks.</summary>
public sealed class GgufWriter
{
    private const int Alignment = 32;
    private readonly List<(string Key, GgufValue Value)> _metadata = [];
    private readonly List<(string Name, GgmlType Type, long[] Dims, byte[] Data)> _tensors = [];

    public GgufWriter Add(string key, string value) => Add(key, new GgufValue(GgufValueType.String, value));
    public GgufWriter Add(string key, uint value) => Add(key, new GgufValue(GgufValueType.UInt32, value));
    public GgufWriter Add(string key, float value) => Add(key, new GgufValue(GgufValueType.Float32, value));
    public GgufWriter Add(string key, bool value) => Add(key, new GgufValue(GgufValueType.Bool, value));

    public GgufWriter Add(string key, GgufValue value)
    {
        _metadata.Add((key, value));
        return this;
    }

    /// <summary>Adds a tensor; <paramref name="dims"/> are in ggml order, the contiguous dimension first.</summary>
    public GgufWriter AddTensor(string name, GgmlType type, long[] dims, byte[] data)
    {
        if (!GgmlTypeInfo.TryGetBlock(type, out var blockElements, out var blockBytes))
            throw new ArgumentException($"Unsupported type {type}.", nameof(type));
        var elements = dims.Aggregate(1L, (a, d) => a * d);
        if (dims[0] % blockElements != 0 || data.Length != elements / blockElements * blockBytes)
            throw new ArgumentException($"Tensor '{name}': {data.Length} bytes do not hold [{string.Join(", ", dims)}] of {type}.", nameof(data));
        _tensors.Add((name, type, dims, data));
        return this;
    }

    public void Write(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        using var w = new BinaryWriter(stream, Encoding.UTF8);
        w.Write(0x46554747u);
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            WriteString(w, key);
            w.Write((uint)value.Type);
            WriteValue(w, value);
        }
        long offset = 0;
        foreach (var (name, type, dims, data) in _tensors)
        {
            WriteString(w, name);
            w.Write((uint)dims.Length);
            foreach (var d in dims) w.Write((ulong)d);
            w.Write((uint)type);
            w.Write((ulong)offset);
            offset = Align(offset + data.Length);
        }
        Pad(w);
        foreach (var (_, _, _, data) in _tensors)
        {
            w.Write(data);
            Pad(w);
        }
    }

    private static void WriteValue(BinaryWriter w, GgufValue value)
    {
        switch (value.Value)
        {
            case string s: WriteString(w, s); break;
            case uint u: w.Write(u); break;
            case int i: w.Write(i); break;
            case float f: w.Write(f); break;
            case bool b: w.Write((byte)(b ? 1 : 0)); break;
            case string[] strings:
                w.Write((uint)GgufValueType.String);
                w.Write((ulong)strings.Length);
                foreach (var s in strings) WriteString(w, s);
                break;
            case float[] floats:
                w.Write((uint)GgufValueType.Float32);
                w.Write((ulong)floats.Length);
                foreach (var f in floats) w.Write(f);
                break;
            case int[] ints:
                w.Write((uint)GgufValueType.Int32);
                w.Write((ulong)ints.Length);
                foreach (var i in ints) w.Write(i);
                break;
            default:
                throw new NotSupportedException($"Cannot write metadata of type {value.Value.GetType().Name}.");
        }
    }

    private static void WriteString(BinaryWriter w, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static long Align(long value) => (value + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter w)
    {
        var position = w.BaseStream.Position;
        for (var i = position; i < Align(position); i++) w.Write((byte)0);
    }
}
