using System.Runtime.Intrinsics;
using Switchboard.Inference.Quantization;

namespace Switchboard.Inference.Tests.Quantization;

public sealed class HalfPrecisionTests
{
    private static void AssertRoundsLikeHalf(IEnumerable<float> values)
    {
        var batch = new float[8];
        var count = 0;
        void Check()
        {
            var rounded = HalfPrecision.Round(Vector256.Create(batch));
            for (var i = 0; i < count; i++)
            {
                var expected = (float)(Half)batch[i];
                Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(rounded[i]) || (float.IsNaN(expected) && float.IsNaN(rounded[i])),
                    $"{batch[i]:R} (0x{BitConverter.SingleToInt32Bits(batch[i]):X8}): expected {expected:R}, got {rounded[i]:R}");
            }
            count = 0;
        }
        foreach (var value in values)
        {
            batch[count++] = value;
            if (count == 8) Check();
        }
        if (count > 0)
        {
            Array.Fill(batch, 0f, count, 8 - count);
            Check();
        }
    }

    [Fact]
    public void Every_half_value_and_every_midpoint_between_two_rounds_as_the_half_cast_does()
    {
        // Each F16 value, the exact midpoint to the next one (a tie: half to even decides) and the floats on either
        // side of that midpoint, for both signs — this covers subnormals, the normal range and the overflow edge.
        var values = new List<float>();
        for (var bits = 0; bits < 0x7C00; bits++)
        {
            var value = (double)BitConverter.UInt16BitsToHalf((ushort)bits);
            var next = bits + 1 < 0x7C00 ? (double)BitConverter.UInt16BitsToHalf((ushort)(bits + 1)) : 65536.0;
            var middle = (float)((value + next) / 2);
            foreach (var v in new[] { (float)value, middle, MathF.BitDecrement(middle), MathF.BitIncrement(middle) })
            {
                values.Add(v);
                values.Add(-v);
            }
        }
        AssertRoundsLikeHalf(values);
    }

    [Fact]
    public void Random_floats_of_every_magnitude_and_the_specials_round_as_the_half_cast_does()
    {
        var random = new Random(7);
        var values = Enumerable.Range(0, 400_000).Select(_ =>
            BitConverter.Int32BitsToSingle(random.Next() & 0x7FFF_FFFF | (random.Next(2) << 31))).ToList();
        values.AddRange([0f, -0f, float.Epsilon, 1e-30f, 65504f, 65519.99f, 65520f, 1e10f, float.MaxValue,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN]);
        AssertRoundsLikeHalf(values);
    }

    [Fact]
    public void Span_helpers_round_each_element_including_the_scalar_tail()
    {
        var acc = Enumerable.Range(0, 13).Select(i => (float)(Half)(i * 0.37f)).ToArray();
        var v = Enumerable.Range(0, 13).Select(i => 1.1f * i - 3).ToArray();
        var expected = acc.Select((a, i) => (float)(Half)MathF.FusedMultiplyAdd(v[i], 0.731f, a)).ToArray();
        HalfPrecision.MultiplyAdd(acc, v, 0.731f);
        Assert.Equal(expected, acc);
        expected = acc.Select(a => (float)(Half)(a * 0.0123f)).ToArray();
        HalfPrecision.Scale(acc, 0.0123f);
        Assert.Equal(expected, acc);
        var source = Enumerable.Range(0, 13).Select(i => 1.2345f * i - 5).ToArray();
        var copy = new float[13];
        HalfPrecision.Round(source, copy);
        Assert.Equal(source.Select(x => (float)(Half)x), copy);
    }
}
