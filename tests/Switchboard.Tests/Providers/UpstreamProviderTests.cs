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
    [InlineData("../../admin?x=1#y")]
    [InlineData("a%2F..%2Fb")]
    [InlineData("deploy ment")]
    [InlineData("名前")]
    public void A_model_name_that_is_not_a_deployment_name_is_not_addressed(string model)
    {
        using var azure = Azure();
        Assert.Null(azure.CreateRequest(HttpMethod.Post, "chat/completions", model, null));
    }

    [Fact]
    public void A_deployment_name_becomes_one_path_segment_with_the_api_version()
    {
        using var azure = Azure();
        using var request = azure.CreateRequest(HttpMethod.Post, "chat/completions", "gpt-4o_prod.2", null)!;
        Assert.Equal("res.openai.azure.com", request.RequestUri!.Host);
        Assert.Equal("/openai/deployments/gpt-4o_prod.2/chat/completions", request.RequestUri.AbsolutePath);
        Assert.Equal("?api-version=2024-10-21", request.RequestUri.Query);
        Assert.Equal("k", request.Headers.GetValues("api-key").Single());
    }

    [Fact]
    public void Azure_lists_models_under_openai_models_with_its_key()
    {
        using var azure = Azure();
        using var request = azure.CreateListModelsRequest();
        Assert.Equal("https://res.openai.azure.com/openai/models?api-version=2024-10-21", request.RequestUri!.AbsoluteUri);
        Assert.Equal("k", request.Headers.GetValues("api-key").Single());
    }
}
