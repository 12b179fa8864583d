using System.Text;

namespace Switchboard.Inference.Tests.Gguf;

/// <summary>Writes small GGUF files for tests, with hooks to write them wrong in every way the reader must catch.</summary>
public sealed class GgufBuilder
{
    private readonly List<Action<BinaryWriter>> _metadata = [];
    private readonly List<(string Name, ulong[] Dims, uint Type, ulong Offset, int Size)> _tensors = [];

    public uint Magic { get; set; } = 0x46554747;
    public uint Version { get; set; } = 3;
    public ulong? TensorCountOverride { get; set; }
    public ulong? MetadataCountOverride { get; set; }
    public uint Alignment { get; set; } = 32;

    public GgufBuilder String(string key, string value) => Raw(key, 8, w => WriteString(w, value));
    public GgufBuilder UInt32(string key, uint value) => Raw(key, 4, w => w.Write(value));
    public GgufBuilder Float32(string key, float value) => Raw(key, 6, w => w.Write(value));
    public GgufBuilder Bool(string key, bool value) => Raw(key, 7, w => w.Write((byte)(value ? 1 : 0)));

    public GgufBuilder Strings(string key, params string[] values) => Raw(key, 9, w =>
    {
        w.Write(8u);
        w.Write((ulong)values.Length);
        foreach (var v in values) WriteString(w, v);
    });

    public GgufBuilder Floats(string key, params float[] values) => Raw(key, 9, w =>
    {
        w.Write(6u);
        w.Write((ulong)values.Length);
        foreach (var v in values) w.Write(v);
    });

    /// <summary>A metadata entry whose value bytes the test writes itself.</summary>
    public GgufBuilder Raw(string key, uint type, Action<BinaryWriter> value)
    {
        _metadata.Add(w =>
        {
            WriteString(w, key);
            w.Write(type);
            value(w);
        });
        return this;
    }

    /// <summary>A tensor; its data is filled with a byte pattern so tests can check they read the right bytes.</summary>
    public GgufBuilder Tensor(string name, uint type, ulong offset, int size, params ulong[] dims)
    {
        _tensors.Add((name, dims, type, offset, size));
        return this;
    }

    public byte[] Build()
    {
        using var stream = new MemoryStream();
        using var w = new BinaryWriter(stream, Encoding.UTF8);
        w.Write(Magic);
        w.Write(Version);
        w.Write(TensorCountOverride ?? (ulong)_tensors.Count);
        w.Write(MetadataCountOverride ?? (ulong)(_metadata.Count + 1));
        WriteString(w, "general.alignment");
        w.Write(4u);
        w.Write(Alignment);
        foreach (var kv in _metadata) kv(w);
        foreach (var (name, dims, type, offset, _) in _tensors)
        {
            WriteString(w, name);
            w.Write((uint)dims.Length);
            foreach (var d in dims) w.Write(d);
            w.Write(type);
            w.Write(offset);
        }
        var align = Math.Max(1, Alignment);
        while (stream.Length % align != 0) w.Write((byte)0);
        var dataStart = stream.Length;
        foreach (var (_, _, _, offset, size) in _tensors.OrderBy(t => t.Offset))
        {
            if (offset > 1 << 20) continue; // deliberately out-of-file offsets are not materialised
            stream.SetLength(Math.Max(stream.Length, dataStart + (long)offset + size));
            stream.Position = dataStart + (long)offset;
            for (var i = 0; i < size; i++) w.Write((byte)((int)offset + i));
            stream.Position = stream.Length;
        }
        return stream.ToArray();
    }

    private static void WriteString(BinaryWriter w, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }
}
