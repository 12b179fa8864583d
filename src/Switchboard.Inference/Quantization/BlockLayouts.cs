namespace Switchboard.Inference.Quantization;

#pragma warning disable CA1707 // ggml's format names

/// <summary>Block sizes of the ggml formats we read (ggml-common.h): elements per block and bytes per block.</summary>
public static class BlockLayouts
{
    public const int Q8_0Elements = 32, Q8_0Bytes = 2 + 32;           // half d; int8 qs[32]
    public const int Q4_0Elements = 32, Q4_0Bytes = 2 + 16;           // half d; nibbles qs[16]: j and j+16
    public const int KElements = 256;
    public const int Q4_KBytes = 2 + 2 + 12 + 128;                    // half d, dmin; 6-bit scales/mins[12]; nibbles[128]
    public const int Q6_KBytes = 128 + 64 + 16 + 2;                   // ql[128]; qh[64]; int8 scales[16]; half d
    public const int Q8_KBytes = 4 + 256 + 16 * 2;                    // float d; int8 qs[256]; int16 bsums[16]
}
