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
        foreach (var path in new[] { "/v1/organization/projects", "/v1/organization/admin_api_keys", "/v1/organization/usage/{kind}", "/v1/organization/costs", "/v1/dashboard/billing/credit_grants" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is not described");
        var grants = paths.GetProperty("/v1/organization/projects/{projectId}/credit_grants").GetProperty("post");
        Assert.Contains(grants.GetProperty("tags").EnumerateArray(), t => t.GetString() == "Switchboard extensions");
        var projects = paths.GetProperty("/v1/organization/projects").GetProperty("get");
        Assert.DoesNotContain(projects.GetProperty("tags").EnumerateArray(), t => t.GetString() == "Switchboard extensions");
    }
}
