using Switchboard.Inference.Sampling;

namespace Switchboard.Inference.Tests.Constraints;

/// <summary>What a constraint stage leaves of a vocabulary after a history: the tokens still allowed, in order.</summary>
internal static class MaskProbe
{
    public static int[] Allowed(ISamplerStage constraint, int vocabulary, List<int> history)
    {
        var candidates = new Candidates();
        candidates.Reset(new float[vocabulary]);
        constraint.Apply(candidates, history);
        return [.. candidates.Items.ToArray().Select(c => c.Token).Order()];
    }
}
