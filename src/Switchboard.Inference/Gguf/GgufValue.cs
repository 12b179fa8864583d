namespace Switchboard.Inference.Gguf;

// Names follow the GGUF specification (UINT8 → UInt8 …).
#pragma warning disable CA1720

/// <summary>Metadata value types, numbered as in the GGUF specification.</summary>
public enum GgufValueType : uint
{
    UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
    String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
}

/// <summary>
/// One metadata value. Scalars are boxed in <see cref="Value"/>; arrays are typed .NET arrays
/// (<c>string[]</c>, <c>float[]</c>, <c>int[]</c>, …) with <see cref="ElementType"/> saying what they held.
/// </summary>
public readonly record struct GgufValue(GgufValueType Type, object Value, GgufValueType ElementType = GgufValueType.UInt8)
{
    public override string ToString() => Type == GgufValueType.Array ? $"{ElementType}[{((Array)Value).Length}]" : $"{Value}";
}
