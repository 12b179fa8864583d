namespace Switchboard.Inference.Sampling;

/// <summary>
/// OpenAI-style sampling settings. Temperature 0 means greedy. Penalties look back over
/// <see cref="PenaltyWindow"/> tokens; <see cref="LogitBias"/> adds to raw logits before anything else.
/// </summary>
public sealed record SamplingOptions
{
    public float Temperature { get; init; } = 1f;
    public float TopP { get; init; } = 1f;
    public int TopK { get; init; }
    public float MinP { get; init; }
    public float RepetitionPenalty { get; init; } = 1f;
    public float FrequencyPenalty { get; init; }
    public float PresencePenalty { get; init; }
    public int PenaltyWindow { get; init; } = 64;
    public IReadOnlyDictionary<int, float> LogitBias { get; init; } = new Dictionary<int, float>();
    public ulong? Seed { get; init; }

    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };
}
