using System.IO.MemoryMappedFiles;
using System.Numerics;

namespace Switchboard.Inference.Gguf;

/// <summary>
/// A GGUF model file, memory-mapped read-only and validated when opened: header, metadata, tensor table
/// (names, shapes, types, sizes with overflow checks), alignment, and that every tensor lies inside the file
/// without overlapping another. Tensor data is not copied; it stays in the page cache until used.
/// </summary>
public sealed unsafe class GgufFile : IDisposable
{
    private const uint Magic = 0x46554747; // "GGUF" read little-endian
    private const int MaxDimensions = 4;   // GGML_MAX_DIMS
    private const int MaxTensorName = 63;  // GGML_MAX_NAME - 1
    private const long DefaultAlignment = 32;

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _data;
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName;

    private GgufFile(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* data, long length)
    {
        Path = path;
        _map = map;
        _view = view;
        _data = data;
        Length = length;
        var cursor = new GgufCursor(data, length);
        (Version, Metadata, Tensors, Alignment, DataOffset) = Parse(ref cursor, length);
        _tensorsByName = Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public string Path { get; }
    public long Length { get; }
    public uint Version { get; }
    public IReadOnlyDictionary<string, GgufValue> Metadata { get; }
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }
    public long Alignment { get; }
    /// <summary>Where the tensor data section starts; tensor offsets in the file are relative to it.</summary>
    public long DataOffset { get; }

    /// <exception cref="GgufException">The file is not a valid GGUF file; the message says why.</exception>
    public static GgufFile Open(string path)
    {
        // The length of what the path leads to: FileInfo would give a symbolic link's own size (models are often links into a cache).
        long length;
        using (var handle = File.OpenHandle(path)) length = RandomAccess.GetLength(handle);
        if (length < 24)
            throw new GgufException($"'{path}' is {length} bytes: too short for a GGUF header (24 bytes).");
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        var acquired = false;
        try
        {
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            acquired = true;
            return new GgufFile(path, map, view, pointer + view.PointerOffset, length);
        }
        catch
        {
            if (acquired) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    public GgufTensorInfo? FindTensor(string name) => _tensorsByName.GetValueOrDefault(name);

    public GgufTensorInfo GetTensor(string name) => FindTensor(name)
        ?? throw new GgufException($"'{Path}' has no tensor '{name}'.");

    /// <summary>The raw bytes of a tensor, straight from the mapping.</summary>
    public ReadOnlySpan<byte> GetTensorBytes(GgufTensorInfo tensor)
    {
        if (tensor.ByteSize > int.MaxValue)
            throw new NotSupportedException($"Tensor '{tensor.Name}' is {tensor.ByteSize} bytes; read it in slices through TensorPointer.");
        return new ReadOnlySpan<byte>(_data + tensor.Offset, (int)tensor.ByteSize);
    }

    internal byte* TensorPointer(GgufTensorInfo tensor) => _data + tensor.Offset;

    public string? GetString(string key) => Get(key, GgufValueType.String) as string;

    /// <summary>An integer value of any integer type, if it fits a <see cref="long"/>.</summary>
    public long? GetInteger(string key)
    {
        if (!Metadata.TryGetValue(key, out var value)) return null;
        return value.Value switch
        {
            byte v => v, sbyte v => v, ushort v => v, short v => v, uint v => v, int v => v, long v => v,
            ulong v when v <= long.MaxValue => (long)v,
            _ => throw new GgufException($"Metadata '{key}' is {value.Type}, not an integer."),
        };
    }

    public float? GetFloat(string key)
    {
        if (!Metadata.TryGetValue(key, out var value)) return null;
        return value.Value switch
        {
            float f => f,
            double d => (float)d,
            _ => throw new GgufException($"Metadata '{key}' is {value.Type}, not a float."),
        };
    }

    public bool? GetBool(string key) => Get(key, GgufValueType.Bool) as bool?;

    public T[]? GetArray<T>(string key)
    {
        if (!Metadata.TryGetValue(key, out var value)) return null;
        return value.Value as T[] ?? throw new GgufException($"Metadata '{key}' is {value}, not an array of {typeof(T).Name}.");
    }

    private object? Get(string key, GgufValueType type)
    {
        if (!Metadata.TryGetValue(key, out var value)) return null;
        return value.Type == type ? value.Value : throw new GgufException($"Metadata '{key}' is {value.Type}, not {type}.");
    }

    private static (uint, Dictionary<string, GgufValue>, List<GgufTensorInfo>, long, long) Parse(ref GgufCursor cursor, long length)
    {
        var magic = cursor.Read<uint>("the magic");
        if (magic != Magic)
            throw new GgufException($"Not a GGUF file: the magic is 0x{magic:X8}, expected 0x{Magic:X8} (\"GGUF\").");
        var version = cursor.Read<uint>("the version");
        if (version is 1)
            throw new GgufException("GGUF version 1 is not supported (it predates 64-bit counts); convert the model with a current llama.cpp.");
        if (version is not (2 or 3))
            throw new GgufException(BinaryPrimitivesIsSwapped(version)
                ? "This GGUF file is big-endian; only little-endian files are supported."
                : $"Unsupported GGUF version {version}; versions 2 and 3 are supported.");

        var tensorCount = cursor.Read<ulong>("the tensor count");
        var kvCount = cursor.Read<ulong>("the metadata count");
        cursor.CheckCount(kvCount, 8 + 4 + 1, "The metadata count");
        var metadata = new Dictionary<string, GgufValue>((int)kvCount, StringComparer.Ordinal);
        for (ulong i = 0; i < kvCount; i++)
        {
            var key = cursor.ReadString($"metadata key #{i}");
            var type = (GgufValueType)cursor.Read<uint>($"the type of '{key}'");
            var value = ReadValue(ref cursor, type, key);
            if (!metadata.TryAdd(key, value))
                throw new GgufException($"Metadata key '{key}' appears twice.");
        }

        var alignment = DefaultAlignment;
        if (metadata.TryGetValue("general.alignment", out var alignValue))
        {
            if (alignValue.Value is not uint a || a == 0 || !BitOperations.IsPow2(a))
                throw new GgufException($"general.alignment is {alignValue}; it must be a power-of-two uint32.");
            alignment = a;
        }

        cursor.CheckCount(tensorCount, 8 + 4 + 8 + 4 + 8, "The tensor count");
        var infos = new List<(string Name, long[] Dims, GgmlType Type, ulong Offset, long Size)>((int)tensorCount);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (ulong i = 0; i < tensorCount; i++)
        {
            var name = cursor.ReadString($"the name of tensor #{i}");
            if (name.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(name) > MaxTensorName)
                throw new GgufException($"Tensor #{i} has a name of {name.Length} characters; names must be 1 to {MaxTensorName} bytes.");
            if (!names.Add(name)) throw new GgufException($"Tensor '{name}' appears twice.");
            var dimCount = cursor.Read<uint>($"the dimension count of '{name}'");
            if (dimCount is 0 or > MaxDimensions)
                throw new GgufException($"Tensor '{name}' has {dimCount} dimensions; 1 to {MaxDimensions} are allowed.");
            var dims = new long[dimCount];
            long elements = 1;
            for (var d = 0; d < dimCount; d++)
            {
                var dim = cursor.Read<ulong>($"dimension {d} of '{name}'");
                if (dim == 0 || dim > long.MaxValue)
                    throw new GgufException($"Tensor '{name}' has dimension {d} = {dim}.");
                dims[d] = (long)dim;
                if (elements > long.MaxValue / dims[d])
                    throw new GgufException($"Tensor '{name}' has more elements than fit in 64 bits.");
                elements *= dims[d];
            }
            var rawType = cursor.Read<uint>($"the type of '{name}'");
            var type = (GgmlType)rawType;
            if (!GgmlTypeInfo.TryGetBlock(type, out var blockElements, out var blockBytes))
                throw new GgufException($"Tensor '{name}' has unsupported type {rawType}.");
            if (dims[0] % blockElements != 0)
                throw new GgufException($"Tensor '{name}' is {type} (blocks of {blockElements}) but its first dimension is {dims[0]}.");
            var blocks = elements / blockElements;
            if (blocks > long.MaxValue / blockBytes)
                throw new GgufException($"Tensor '{name}' is larger than 64-bit sizes allow.");
            var offset = cursor.Read<ulong>($"the data offset of '{name}'");
            if (offset % (ulong)alignment != 0)
                throw new GgufException($"Tensor '{name}' starts at data offset {offset}, not a multiple of the alignment {alignment}.");
            infos.Add((name, dims, type, offset, blocks * blockBytes));
        }

        var dataOffset = (cursor.Position + alignment - 1) / alignment * alignment;
        if (infos.Count > 0 && dataOffset > length)
            throw new GgufException($"The file is truncated: the tensor data would start at {dataOffset}, past its end at {length}.");
        var tensors = new List<GgufTensorInfo>(infos.Count);
        foreach (var (name, dims, type, offset, size) in infos)
        {
            var available = (ulong)(length - dataOffset);
            if (offset > available || (ulong)size > available - offset)
                throw new GgufException($"Tensor '{name}' ({size} bytes at data offset {offset}) runs past the end of the file ({available} data bytes).");
            tensors.Add(new GgufTensorInfo(name, dims, type, dataOffset + (long)offset, size));
        }
        var byStart = tensors.OrderBy(t => t.Offset).ToList();
        for (var i = 1; i < byStart.Count; i++)
        {
            if (byStart[i].Offset < byStart[i - 1].Offset + byStart[i - 1].ByteSize)
                throw new GgufException($"Tensors '{byStart[i - 1].Name}' and '{byStart[i].Name}' overlap.");
        }
        return (version, metadata, tensors, alignment, dataOffset);
    }

    private static GgufValue ReadValue(ref GgufCursor cursor, GgufValueType type, string key) => type switch
    {
        GgufValueType.UInt8 => new(type, cursor.Read<byte>(key)),
        GgufValueType.Int8 => new(type, cursor.Read<sbyte>(key)),
        GgufValueType.UInt16 => new(type, cursor.Read<ushort>(key)),
        GgufValueType.Int16 => new(type, cursor.Read<short>(key)),
        GgufValueType.UInt32 => new(type, cursor.Read<uint>(key)),
        GgufValueType.Int32 => new(type, cursor.Read<int>(key)),
        GgufValueType.Float32 => new(type, cursor.Read<float>(key)),
        GgufValueType.Bool => new(type, cursor.Read<byte>(key) != 0),
        GgufValueType.String => new(type, cursor.ReadString($"the value of '{key}'")),
        GgufValueType.UInt64 => new(type, cursor.Read<ulong>(key)),
        GgufValueType.Int64 => new(type, cursor.Read<long>(key)),
        GgufValueType.Float64 => new(type, cursor.Read<double>(key)),
        GgufValueType.Array => ReadArray(ref cursor, key),
        _ => throw new GgufException($"Metadata '{key}' has unknown value type {(uint)type} at offset {cursor.Position - 4}."),
    };

    private static GgufValue ReadArray(ref GgufCursor cursor, string key)
    {
        var elementType = (GgufValueType)cursor.Read<uint>($"the element type of '{key}'");
        var count = cursor.Read<ulong>($"the length of '{key}'");
        return elementType switch
        {
            GgufValueType.UInt8 => Array<byte>(ref cursor, count, key, elementType),
            GgufValueType.Int8 => Array<sbyte>(ref cursor, count, key, elementType),
            GgufValueType.UInt16 => Array<ushort>(ref cursor, count, key, elementType),
            GgufValueType.Int16 => Array<short>(ref cursor, count, key, elementType),
            GgufValueType.UInt32 => Array<uint>(ref cursor, count, key, elementType),
            GgufValueType.Int32 => Array<int>(ref cursor, count, key, elementType),
            GgufValueType.Float32 => Array<float>(ref cursor, count, key, elementType),
            GgufValueType.UInt64 => Array<ulong>(ref cursor, count, key, elementType),
            GgufValueType.Int64 => Array<long>(ref cursor, count, key, elementType),
            GgufValueType.Float64 => Array<double>(ref cursor, count, key, elementType),
            GgufValueType.Bool => new(GgufValueType.Array, Array<byte>(ref cursor, count, key, elementType).Value is byte[] b ? b.Select(x => x != 0).ToArray() : [], elementType),
            GgufValueType.String => StringArray(ref cursor, count, key),
            GgufValueType.Array => throw new GgufException($"Metadata '{key}' is an array of arrays, which is not supported."),
            _ => throw new GgufException($"Metadata '{key}' is an array of unknown type {(uint)elementType}."),
        };
    }

    private static GgufValue Array<T>(ref GgufCursor cursor, ulong count, string key, GgufValueType elementType) where T : unmanaged
    {
        cursor.CheckCount(count, sizeof(T), $"The length of '{key}'");
        var items = new T[count];
        for (ulong i = 0; i < count; i++) items[i] = cursor.Read<T>(key);
        return new GgufValue(GgufValueType.Array, items, elementType);
    }

    private static GgufValue StringArray(ref GgufCursor cursor, ulong count, string key)
    {
        cursor.CheckCount(count, 8, $"The length of '{key}'");
        var items = new string[count];
        for (ulong i = 0; i < count; i++) items[i] = cursor.ReadString($"item {i} of '{key}'");
        return new GgufValue(GgufValueType.Array, items, GgufValueType.String);
    }

    private static bool BinaryPrimitivesIsSwapped(uint version) =>
        System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(version) is 2 or 3;

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }
}
