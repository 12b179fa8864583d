namespace Switchboard.Inference.Sampling;

/// <summary>One step of a sampler chain. Stages before <see cref="Candidates.Softmax"/> see logits.</summary>
public interface ISamplerStage
{
    void Apply(Candidates candidates, IReadOnlyList<int> history);
}
