namespace Switchboard.Inference.Tests.Quantization;

/// <summary>
/// Tests that turn <c>QuantizedDot.AllowSimd</c> off, or compare paths bit for bit, run alone: the switch is
/// process-wide, and flipping it under another test would change which kernels that test measures.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SimdSwitch
{
    public const string Name = "SIMD switch";
}
