using System.Runtime.InteropServices;

namespace Switchboard.Inference.Quantization;

#pragma warning disable CA1707 // ggml's format names

/// <summary>The scalar reference: blocks back to F32, exactly as ggml's dequantize_row_* functions.</summary>
internal static class Dequantizer
{
    public static void Q8_0(ReadOnlySpan<byte> blocks, Span<float> y)
    {
        for (var b = 0; b < y.Length / 32; b++)
        {
            var block = blocks.Slice(b * BlockLayouts.Q8_0Bytes, BlockLayouts.Q8_0Bytes);
            var d = (float)MemoryMarshal.Read<Half>(block);
            for (var j = 0; j < 32; j++) y[b * 32 + j] = (sbyte)block[2 + j] * d;
        }
    }

    public static void Q4_0(ReadOnlySpan<byte> blocks, Span<float> y)
    {
        for (var b = 0; b < y.Length / 32; b++)
        {
            var block = blocks.Slice(b * BlockLayouts.Q4_0Bytes, BlockLayouts.Q4_0Bytes);
            var d = (float)MemoryMarshal.Read<Half>(block);
            for (var j = 0; j < 16; j++)
            {
                y[b * 32 + j] = ((block[2 + j] & 0xF) - 8) * d;
                y[b * 32 + j + 16] = ((block[2 + j] >> 4) - 8) * d;
            }
        }
    }

    public static void Q4_K(ReadOnlySpan<byte> blocks, Span<float> y)
    {
        for (var b = 0; b < y.Length / 256; b++)
        {
            var block = blocks.Slice(b * BlockLayouts.Q4_KBytes, BlockLayouts.Q4_KBytes);
            var d = (float)MemoryMarshal.Read<Half>(block);
            var dmin = (float)MemoryMarshal.Read<Half>(block[2..]);
            var scales = block.Slice(4, 12);
            var q = block.Slice(16, 128);
            var o = y.Slice(b * 256, 256);
            for (int j = 0, sub = 0; j < 256; j += 64, sub += 2)
            {
                ScaleMinK4(sub, scales, out var sc1, out var m1);
                ScaleMinK4(sub + 1, scales, out var sc2, out var m2);
                float d1 = d * sc1, min1 = dmin * m1, d2 = d * sc2, min2 = dmin * m2;
                var qs = q.Slice(j / 2, 32);
                for (var l = 0; l < 32; l++)
                {
                    o[j + l] = d1 * (qs[l] & 0xF) - min1;
                    o[j + 32 + l] = d2 * (qs[l] >> 4) - min2;
                }
            }
        }
    }

    public static void Q6_K(ReadOnlySpan<byte> blocks, Span<float> y)
    {
        for (var b = 0; b < y.Length / 256; b++)
        {
            var block = blocks.Slice(b * BlockLayouts.Q6_KBytes, BlockLayouts.Q6_KBytes);
            var d = (float)MemoryMarshal.Read<Half>(block[208..]);
            var o = y.Slice(b * 256, 256);
            for (var n = 0; n < 2; n++)
            {
                var ql = block.Slice(n * 64, 64);
                var qh = block.Slice(128 + n * 32, 32);
                var sc = MemoryMarshal.Cast<byte, sbyte>(block.Slice(192 + n * 8, 8));
                var out128 = o.Slice(n * 128, 128);
                for (var l = 0; l < 32; l++)
                {
                    var s = l / 16;
                    out128[l] = d * sc[s] * Q6(ql[l] & 0xF, qh[l] >> 0);
                    out128[l + 32] = d * sc[s + 2] * Q6(ql[l + 32] & 0xF, qh[l] >> 2);
                    out128[l + 64] = d * sc[s + 4] * Q6(ql[l] >> 4, qh[l] >> 4);
                    out128[l + 96] = d * sc[s + 6] * Q6(ql[l + 32] >> 4, qh[l] >> 6);
                }
            }
        }
    }

    public static void Q8_K(ReadOnlySpan<byte> blocks, Span<float> y)
    {
        for (var b = 0; b < y.Length / 256; b++)
        {
            var block = blocks.Slice(b * BlockLayouts.Q8_KBytes, BlockLayouts.Q8_KBytes);
            var d = MemoryMarshal.Read<float>(block);
            for (var j = 0; j < 256; j++) y[b * 256 + j] = (sbyte)block[4 + j] * d;
        }
    }

    internal static int Q6(int low, int high) => (low | ((high & 3) << 4)) - 32;

    /// <summary>ggml's get_scale_min_k4: eight 6-bit scales and eight 6-bit mins packed in 12 bytes.</summary>
    internal static void ScaleMinK4(int j, ReadOnlySpan<byte> q, out int scale, out int min)
    {
        if (j < 4)
        {
            scale = q[j] & 63;
            min = q[j + 4] & 63;
        }
        else
        {
            scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
            min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
        }
    }
}
