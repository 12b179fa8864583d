using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Tests.Fixtures;

namespace Switchboard.Tests.Admin;

/// <summary>OpenAI's Administration API on the gateway's own store (SQLite and PostgreSQL), and the keys it issues at work on /v1.</summary>
public sealed class AdminApiTests
{
    private const string Master = "sk-master-for-tests";
    private static readonly string[] OnlyMini = ["gpt-4o-mini"];

    internal static async Task<GatewayHost> StartAsync(string kind, string? database = null, params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["Switchboard:MasterKey"] = Master, ["Switchboard:Keys:RefreshInterval"] = "100ms" };
        if (kind == "postgres") settings["Switchboard:Database"] = database ?? await PostgresServer.CreateDatabaseAsync();
        foreach (var (key, value) in more) settings[key] = value;
        return await GatewayHost.StartAsync(settings);
    }

    internal static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(GatewayHost gateway, HttpMethod method, string path, string? key, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (body is not null) request.Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        using var response = await gateway.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private static void AssertShape(string component, JsonElement body)
    {
        if (OpenAiSchema.Validate(component, body) is { } problem) Assert.Fail($"{component}: {problem}\n{body}");
    }

    /// <summary>A project with a service account; returns the project id and the account's secret.</summary>
    internal static async Task<(string Project, string Secret, string KeyId)> ProjectWithKeyAsync(GatewayHost gateway, string name = "Team A", string? admin = Master)
    {
        var (status, project) = await SendAsync(gateway, HttpMethod.Post, "/v1/organization/projects", admin, new { name });
        Assert.Equal(HttpStatusCode.OK, status);
        var id = project.GetProperty("id").GetString()!;
        var (created, account) = await SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{id}/service_accounts", admin, new { name = "bot" });
        Assert.Equal(HttpStatusCode.OK, created);
        var key = account.GetProperty("api_key");
        return (id, key.GetProperty("value").GetString()!, key.GetProperty("id").GetString()!);
    }

    [Theory]
    [InlineData("sqlite")]
    [PostgresData]
    public async Task A_service_accounts_key_is_shown_once_works_on_v1_and_stops_working_when_deleted(string kind)
    {
        await using var gateway = await StartAsync(kind, null, ("Switchboard:Logging:File:Enabled", "true"));
        var (status, project) = await SendAsync(gateway, HttpMethod.Post, "/v1/organization/projects", Master, new { name = "Team A" });
        Assert.Equal(HttpStatusCode.OK, status);
        AssertShape("Project", project);
        var projectId = project.GetProperty("id").GetString()!;
        Assert.StartsWith("proj_", projectId, StringComparison.Ordinal);

        var (_, account) = await SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{projectId}/service_accounts", Master, new { name = "bot" });
        AssertShape("ProjectServiceAccountCreateResponse", account);
        var secret = account.GetProperty("api_key").GetProperty("value").GetString()!;
        var keyId = account.GetProperty("api_key").GetProperty("id").GetString()!;
        Assert.Matches("^sk-sb-[A-Za-z0-9_-]{43}$", secret);   // 256 bits

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(gateway, HttpMethod.Get, "/v1/models", secret)).Status);
        var (wrong, error) = await SendAsync(gateway, HttpMethod.Get, "/v1/models", secret[..^1] + (secret[^1] == 'a' ? 'b' : 'a'));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        Assert.Equal("invalid_api_key", error.GetProperty("error").GetProperty("code").GetString());

        var (_, keys) = await SendAsync(gateway, HttpMethod.Get, $"/v1/organization/projects/{projectId}/api_keys", Master);
        AssertShape("ProjectApiKeyListResponse", keys);
        var listed = Assert.Single(keys.GetProperty("data").EnumerateArray());
        Assert.Equal($"sk-sb-…{secret[^4..]}", listed.GetProperty("redacted_value").GetString());
        Assert.Equal("bot", listed.GetProperty("owner").GetProperty("service_account").GetProperty("name").GetString());
        Assert.DoesNotContain(secret, keys.ToString(), StringComparison.Ordinal);
        var (_, one) = await SendAsync(gateway, HttpMethod.Get, $"/v1/organization/projects/{projectId}/api_keys/{keyId}", Master);
        AssertShape("ProjectApiKey", one);

        var (deleted, deletion) = await SendAsync(gateway, HttpMethod.Delete, $"/v1/organization/projects/{projectId}/api_keys/{keyId}", Master);
        Assert.Equal(HttpStatusCode.OK, deleted);
        AssertShape("ProjectApiKeyDeleteResponse", deletion);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(gateway, HttpMethod.Get, "/v1/models", secret)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(gateway, HttpMethod.Get, $"/v1/organization/projects/{projectId}/api_keys/{keyId}", Master)).Status);

        if (kind == "sqlite")
        {
            await gateway.DisposeAsync();
            // Only the hash is stored: the secret is nowhere in the database files, nor in the logs.
            foreach (var file in Directory.GetFiles(gateway.DataDirectory, "switchboard.db*"))
                Assert.DoesNotContain(secret, Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file)), StringComparison.Ordinal);
            Assert.DoesNotContain(secret, GatewayHost.ReadLogs(gateway.DataDirectory), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("sqlite")]
    [PostgresData]
    public async Task Only_the_master_key_and_admin_keys_manage_the_organization(string kind)
    {
        await using var gateway = await StartAsync(kind);
        var (_, projectSecret, _) = await ProjectWithKeyAsync(gateway);

        var (forbidden, refusal) = await SendAsync(gateway, HttpMethod.Get, "/v1/organization/projects", projectSecret);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden);
        AssertShape("ErrorResponse", refusal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(gateway, HttpMethod.Get, "/v1/organization/projects", null)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(gateway, HttpMethod.Get, "/V1/Organization/Projects", "sk-sb-admin-guess")).Status);

        var (created, adminKey) = await SendAsync(gateway, HttpMethod.Post, "/v1/organization/admin_api_keys", Master, new { name = "ops", expires_in_seconds = 3600 });
        Assert.Equal(HttpStatusCode.OK, created);
        AssertShape("AdminApiKey", adminKey);
        var adminSecret = adminKey.GetProperty("value").GetString()!;
        Assert.StartsWith("sk-sb-admin-", adminSecret, StringComparison.Ordinal);
        Assert.Equal(adminKey.GetProperty("created_at").GetInt64() + 3600, adminKey.GetProperty("expires_at").GetInt64());

        var (listed, projects) = await SendAsync(gateway, HttpMethod.Get, "/v1/organization/projects", adminSecret);
        Assert.Equal(HttpStatusCode.OK, listed);
        AssertShape("ProjectListResponse", projects);
        Assert.Contains(projects.GetProperty("data").EnumerateArray(), p => p.GetProperty("id").GetString() == "proj_default");
        // An admin key manages; it does not call models.
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(gateway, HttpMethod.Get, "/v1/models", adminSecret)).Status);

        var (_, adminKeys) = await SendAsync(gateway, HttpMethod.Get, "/v1/organization/admin_api_keys", adminSecret);
        AssertShape("ApiKeyList", adminKeys);
        Assert.DoesNotContain(adminSecret, adminKeys.ToString(), StringComparison.Ordinal);
        var adminKeyId = adminKey.GetProperty("id").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(gateway, HttpMethod.Delete, $"/v1/organization/admin_api_keys/{adminKeyId}", Master)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(gateway, HttpMethod.Get, "/v1/organization/projects", adminSecret)).Status);
    }

    [Theory]
    [InlineData("sqlite")]
    [PostgresData]
    public async Task Projects_page_archive_and_refuse_bad_input_in_openais_shape(string kind)
    {
        await using var gateway = await StartAsync(kind);
        var ids = new List<string>();
        for (var i = 0; i < 3; i++) ids.Add((await ProjectWithKeyAsync(gateway, $"P{i}")).Project);

        var (_, first) = await SendAsync(gateway, HttpMethod.Get, "/v1/organization/projects?limit=2", Master);
        Assert.True(first.GetProperty("has_more").GetBoolean());
        var last = first.GetProperty("last_id").GetString();
        var (_, rest) = await SendAsync(gateway, HttpMethod.Get, $"/v1/organization/projects?limit=2&after={last}", Master);
        var all = first.GetProperty("data").EnumerateArray().Concat(rest.GetProperty("data").EnumerateArray()).Select(p => p.GetProperty("id").GetString()).ToList();
        // Creation order (the default project, made at startup, may share its second with the first of these).
        Assert.Equal(ids, all.Where(id => id != "proj_default"));
        Assert.Contains("proj_default", all);
        Assert.Equal(4, all.Count);
        Assert.False(rest.GetProperty("has_more").GetBoolean());

        var (renamed, project) = await SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{ids[0]}", Master, new { name = "Renamed" });
        Assert.Equal(HttpStatusCode.OK, renamed);
        Assert.Equal("Renamed", project.GetProperty("name").GetString());

        var (doomed, secret, _) = await ProjectWithKeyAsync(gateway, "Doomed");
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(gateway, HttpMethod.Post, "/v1/organization/projects/proj_default/archive", Master)).Status);
        var (archivedStatus, archived) = await SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{doomed}/archive", Master);
        Assert.Equal(HttpStatusCode.OK, archivedStatus);
        Assert.Equal("archived", archived.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(gateway, HttpMethod.Get, "/v1/models", secret)).Status);

        foreach (var (method, path, body, status, param) in new (HttpMethod, string, object?, HttpStatusCode, string?)[]
        {
            (HttpMethod.Post, "/v1/organization/projects", new { }, HttpStatusCode.BadRequest, "name"),
            (HttpMethod.Post, "/v1/organization/projects", new { name = 5 }, HttpStatusCode.BadRequest, "name"),
            (HttpMethod.Get, "/v1/organization/projects?limit=0", null, HttpStatusCode.BadRequest, "limit"),
            (HttpMethod.Get, "/v1/organization/projects/proj_nope", null, HttpStatusCode.NotFound, "project_id"),
            (HttpMethod.Post, "/v1/organization/projects/proj_nope/service_accounts", new { name = "x" }, HttpStatusCode.NotFound, "project_id"),
            (HttpMethod.Delete, $"/v1/organization/projects/{ids[1]}/api_keys/key_nope", null, HttpStatusCode.NotFound, "api_key_id"),
            (HttpMethod.Post, "/v1/organization/admin_api_keys", new { name = "x", expires_in_seconds = 0 }, HttpStatusCode.BadRequest, "expires_in_seconds"),
        })
        {
            var (got, error) = await SendAsync(gateway, method, path, Master, body);
            Assert.Equal(status, got);
            AssertShape("ErrorResponse", error);
            Assert.Equal(param, error.GetProperty("error").GetProperty("param").GetString());
        }
    }

    [Fact]
    public async Task Without_a_master_key_the_gateway_is_open_until_the_first_project_key_and_the_admin_api_answers_loopback()
    {
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>());
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(gateway, HttpMethod.Get, "/v1/models", "sk-anything")).Status);

        var (_, secret, _) = await ProjectWithKeyAsync(gateway, admin: null);

        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(gateway, HttpMethod.Get, "/v1/models", "sk-anything")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(gateway, HttpMethod.Get, "/v1/models", null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(gateway, HttpMethod.Get, "/v1/models", secret)).Status);
    }

    [Fact]
    public async Task A_project_key_can_be_limited_to_some_models_and_expire()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("gpt-4o-mini", x => x.Json(200, OpenAiShapes.Completion("hi")));
        var time = new ManualTime();
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(("MasterKey", Master)),
            configureServices: services => services.AddSingleton<TimeProvider>(time));
        var (_, account) = await SendAsync(gateway, HttpMethod.Post, "/v1/organization/projects/proj_default/service_accounts", Master,
            new { name = "narrow", allowed_models = OnlyMini, expires_in_seconds = 3600 });
        var secret = account.GetProperty("api_key").GetProperty("value").GetString()!;
        var keyId = account.GetProperty("api_key").GetProperty("id").GetString()!;
        var (_, key) = await SendAsync(gateway, HttpMethod.Get, $"/v1/organization/projects/proj_default/api_keys/{keyId}", Master);
        Assert.Equal(["gpt-4o-mini"], key.GetProperty("allowed_models").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(key.GetProperty("created_at").GetInt64() + 3600, key.GetProperty("expires_at").GetInt64());

        var chat = new { messages = new[] { new { role = "user", content = "hi" } } };
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(gateway, HttpMethod.Post, "/v1/chat/completions", secret, new { model = "gpt-4o-mini", chat.messages })).Status);
        var (refused, error) = await SendAsync(gateway, HttpMethod.Post, "/v1/chat/completions", secret, new { model = "gpt-4o", chat.messages });
        Assert.Equal(HttpStatusCode.Forbidden, refused);
        Assert.Equal("model_not_allowed", error.GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(upstream.CallsFor("gpt-4o"));

        time.Advance(TimeSpan.FromSeconds(3599));
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(gateway, HttpMethod.Get, "/v1/models", secret)).Status);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(gateway, HttpMethod.Get, "/v1/models", secret)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(gateway, HttpMethod.Post, "/v1/organization/projects/proj_default/service_accounts", Master,
            new { name = "bad", allowed_models = "gpt-4o" })).Status);
    }

    [PostgresFact]
    public async Task A_key_revoked_on_one_instance_stops_working_on_another_within_the_refresh_interval()
    {
        var database = await PostgresServer.CreateDatabaseAsync();
        await using var first = await StartAsync("postgres", database);
        await using var second = await StartAsync("postgres", database);
        var (project, secret, keyId) = await ProjectWithKeyAsync(first);

        // The second instance learns of the new key from the store's key version, polled every 100 ms here.
        await WaitForAsync(second, secret, HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(first, HttpMethod.Delete, $"/v1/organization/projects/{project}/api_keys/{keyId}", Master)).Status);
        var elapsed = await WaitForAsync(second, secret, HttpStatusCode.Unauthorized);
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"took {elapsed}");
    }

    /// <summary>Calls until the answer has the status, at most 10 s; how long it took.</summary>
    private static async Task<TimeSpan> WaitForAsync(GatewayHost gateway, string key, HttpStatusCode status)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        while ((await SendAsync(gateway, HttpMethod.Get, "/v1/models", key)).Status != status)
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"still not {status} after 10 s");
        return started.Elapsed;
    }
}
