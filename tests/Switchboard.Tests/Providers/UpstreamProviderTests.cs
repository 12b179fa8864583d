using Switchboard.Configuration;
using Switchboard.Providers;

namespace Switchboard.Tests.Providers;

public sealed class UpstreamProviderTests
{
    private static UpstreamProvider Azure() => new(new ProviderOptions
    {
        Name = "az",
        Kind = ProviderKind.Azure,
        BaseUrl = new Uri("https://res.openai.azure.com"),
        ApiKey = "k",
        ApiVersion = "2024-10-21",
        Models = ["*"],
        Timeouts = new TimeoutOptions(),
        Retry = new RetryOptions(),
        CircuitBreaker = new CircuitBreakerOptions(),
    }, TimeProvider.System);

    [Theory]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("bad\nname")]
    public void A_model_name_cannot_climb_out_of_the_deployment_path(string model)
    {
        using var azure = Azure();
        Assert.Null(azure.CreateRequest(HttpMethod.Post, "chat/completions", model, null));
    }

    [Fact]
    public void Slashes_and_queries_in_a_model_name_stay_inside_one_escaped_segment()
    {
        using var azure = Azure();
        using var request = azure.CreateRequest(HttpMethod.Post, "chat/completions", "../../admin?x=1#y", null)!;
        Assert.Equal("res.openai.azure.com", request.RequestUri!.Host);
        Assert.Equal("/openai/deployments/..%2F..%2Fadmin%3Fx%3D1%23y/chat/completions", request.RequestUri.AbsolutePath);
        Assert.Equal("?api-version=2024-10-21", request.RequestUri.Query);
    }

    [Theory]
    [InlineData("gpt-4o", "gpt-4o", int.MaxValue)]
    [InlineData("gpt-*", "gpt-4o", 4)]
    [InlineData("*", "anything", 0)]
    [InlineData("gpt-*", "claude", -1)]
    public void Match_scores_prefer_exact_then_longer_prefixes(string pattern, string model, int score)
    {
        using var provider = new UpstreamProvider(new ProviderOptions
        {
            Name = "p",
            Kind = ProviderKind.OpenAiCompatible,
            BaseUrl = new Uri("http://127.0.0.1:1/v1"),
            Models = [pattern],
            Timeouts = new TimeoutOptions(),
            Retry = new RetryOptions(),
            CircuitBreaker = new CircuitBreakerOptions(),
        }, TimeProvider.System);
        Assert.Equal(score, provider.MatchScore(model));
    }
}
