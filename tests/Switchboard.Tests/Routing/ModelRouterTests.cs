using Switchboard.Configuration;
using Switchboard.Routing;

namespace Switchboard.Tests.Routing;

public sealed class ModelRouterTests
{
    [Theory]
    [InlineData("gpt-4o", "gpt-4o", int.MaxValue)]
    [InlineData("gpt-*", "gpt-4o", 4)]
    [InlineData("*", "anything", 0)]
    [InlineData("gpt-*", "claude", -1)]
    public void Match_scores_prefer_exact_then_longer_prefixes(string pattern, string model, int score)
    {
        var provider = new ProviderOptions
        {
            Name = "p",
            Kind = ProviderKind.OpenAiCompatible,
            BaseUrl = new Uri("http://127.0.0.1:1/v1"),
            Models = [pattern],
            Timeouts = new TimeoutOptions(),
            Retry = new RetryOptions(),
            CircuitBreaker = new CircuitBreakerOptions(),
        };
        Assert.Equal(score, ModelRouter.MatchScore(provider, model));
    }
}
