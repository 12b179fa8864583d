using System.Net;
using System.Text.Json;
using Switchboard.Tests.Fixtures;

namespace Switchboard.Tests.Admin;

public sealed class OpenApiDocumentTests
{
    [Fact]
    public async Task The_admin_surface_is_described_at_openapi_v1_json_with_our_extensions_marked()
    {
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["Switchboard:MasterKey"] = "sk-master-for-tests" });
        using var response = await gateway.Http.GetAsync("/openapi/v1.json");   // no key needed: it holds no secrets
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/v1/organization/projects", "/v1/organization/admin_api_keys", "/v1/organization/usage/{kind}", "/v1/organization/costs", "/v1/dashboard/billing/credit_grants", "/v1/organization/prices" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is not described");
        var grants = paths.GetProperty("/v1/organization/projects/{projectId}/credit_grants").GetProperty("post");
        Assert.Contains(grants.GetProperty("tags").EnumerateArray(), t => t.GetString() == "Switchboard extensions");
        var prices = paths.GetProperty("/v1/organization/prices").GetProperty("get");
        Assert.Contains(prices.GetProperty("tags").EnumerateArray(), t => t.GetString() == "Switchboard extensions");
        var projects = paths.GetProperty("/v1/organization/projects").GetProperty("get");
        Assert.DoesNotContain(projects.GetProperty("tags").EnumerateArray(), t => t.GetString() == "Switchboard extensions");
    }

    [Fact]
    public async Task An_interactive_reference_over_the_document_is_served_without_a_cdn()
    {
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["Switchboard:MasterKey"] = "sk-master-for-tests" });
        using var page = await gateway.Http.GetAsync("/reference/v1");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("openapi/v1.json", html);
        Assert.DoesNotContain("https://", html);   // everything it loads comes from the gateway itself
        using var script = await gateway.Http.GetAsync("/reference/scalar.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.True((await script.Content.ReadAsByteArrayAsync()).Length > 100_000);
    }
}
