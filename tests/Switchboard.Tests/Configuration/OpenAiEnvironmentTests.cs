using OpenAI.Chat;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Configuration;

public sealed class OpenAiEnvironmentTests
{
    [Fact]
    public async Task Only_OPENAI_API_KEY_and_base_url_make_openai_models_routable_with_no_file()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("gpt-4o-mini", x => x.Json(200, Completion("zero config")));
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>(), new Dictionary<string, string?>
        {
            ["OPENAI_API_KEY"] = "sk-from-env",
            ["OPENAI_BASE_URL"] = upstream.BaseUrl + "/v1",
            ["OPENAI_ORG_ID"] = "org-123",
        });

        var result = await gateway.Sdk().GetChatClient("gpt-4o-mini").CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal("zero config", result.Value.Content[0].Text);
        var call = upstream.CallsFor("gpt-4o-mini").Single();
        Assert.Equal("Bearer sk-from-env", call.Headers.Authorization.ToString());
        Assert.Equal("org-123", call.Headers["OpenAI-Organization"].ToString());
    }
}
