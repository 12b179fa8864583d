using System.Runtime.InteropServices;
using Switchboard.Inference.Gguf;
using Switchboard.Inference.Quantization;
using Switchboard.Inference.Tensors;

namespace Switchboard.Inference.Tests.Tensors;

public sealed class WeightMatrixTests
{
    // 768 columns hold whole blocks of every format (32 and 256); 40 rows span several 8-row tiles and a partial one.
    private const int Columns = 768, Rows = 40;

    private static byte[] RandomBlocks(Random random, int blockBytes, int blockElements, params int[] halfOffsets)
    {
        var bytes = new byte[Columns * Rows / blockElements * blockBytes];
        random.NextBytes(bytes);
        for (var b = 0; b < bytes.Length; b += blockBytes)
        {
            foreach (var offset in halfOffsets) MemoryMarshal.Write(bytes.AsSpan(b + offset), (Half)(0.001 + random.NextDouble() * 0.05));
        }
        return bytes;
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q4_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q6_K)]
    public void A_batch_of_seven_equals_seven_single_products_bit_for_bit(GgmlType type)
    {
        var random = new Random((int)type);
        var blocks = type switch
        {
            GgmlType.Q8_0 => RandomBlocks(random, BlockLayouts.Q8_0Bytes, 32, 0),
            GgmlType.Q4_0 => RandomBlocks(random, BlockLayouts.Q4_0Bytes, 32, 0),
            GgmlType.Q4_K => RandomBlocks(random, BlockLayouts.Q4_KBytes, 256, 0, 2),
            _ => RandomBlocks(random, BlockLayouts.Q6_KBytes, 256, 208),
        };
        var path = Path.Combine(Directory.CreateTempSubdirectory("switchboard-matrix-").FullName, "m.gguf");
        new GgufWriter().Add("general.architecture", "llama").AddTensor("m", type, [Columns, Rows], blocks).Write(path);
        try
        {
            using var file = GgufFile.Open(path);
            var matrix = new WeightMatrix(file, file.FindTensor("m")!);
            const int count = 7;    // one group of four and a remainder of three
            var x = Enumerable.Range(0, count * Columns).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var batched = new float[count * Rows];
            matrix.MultiplyMatrix(x, batched, count);
            var single = new float[Rows];
            for (var t = 0; t < count; t++)
            {
                matrix.MultiplyVector(x.AsSpan(t * Columns, Columns), single);
                Assert.Equal(single, batched.AsSpan(t * Rows, Rows).ToArray());
            }
            Assert.Contains(batched, v => v != 0);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }
}
