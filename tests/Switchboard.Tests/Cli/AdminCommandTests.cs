using System.Net;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Cli;

/// <summary><c>projects</c>, <c>keys</c>, <c>usage</c> and <c>credit</c> against a real gateway with a master key.</summary>
public sealed class AdminCommandTests
{
    private const string Master = "sk-master-for-tests";

    [Fact]
    public async Task Keys_are_created_once_shown_listed_redacted_revoked_and_their_spend_read_back()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("metered", x => x.Json(200, Completion("hi", prompt: 10, completion: 90)));
        var settings = upstream.GatewaySettings(("MasterKey", Master), ("Prices:metered:Input", "100"), ("Prices:metered:Output", "100"));
        var first = await GatewayHost.StartAsync(settings);
        var cli = CliRun.Against(first);
        cli.Environment["SWITCHBOARD_MASTER_KEY"] = Master;

        int exit;
        string output, error, project, keyId, secret;
        await using (first)
        {
            (exit, output, error) = await cli.RunAsync("projects", "create", "Team A");
            Assert.Equal(0, exit);
            project = output.Split(' ')[2];
            (exit, output, error) = await cli.RunAsync("keys", "create", "--project", project, "--name", "ci-bot");
            Assert.Equal(0, exit);
            var lines = output.ReplaceLineEndings("\n").Split('\n');
            keyId = lines[0].Split(' ')[2];
            secret = lines[1];
            Assert.StartsWith("sk-", secret, StringComparison.Ordinal);
            Assert.Contains("will not be shown again", error, StringComparison.Ordinal);

            cli.Environment["OPENAI_API_KEY"] = secret;
            Assert.Equal(0, (await cli.RunAsync("api", "chat.completions.create", "-m", "metered", "-g", "user", "hi")).Exit);

            cli.Environment["NO_COLOR"] = "1";
            (exit, output, _) = await cli.RunAsync("keys", "list", "--project", project);
            Assert.Equal(0, exit);
            Assert.Contains(keyId, output, StringComparison.Ordinal);
            Assert.Contains("ci-bot", output, StringComparison.Ordinal);
            Assert.Contains(secret[^4..], output, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
            }
        // The ledger is written in batches: a gateway started on the same data after the first stopped reads every row.
        settings["Switchboard:DataDirectory"] = first.DataDirectory;
        await using var gateway = await GatewayHost.StartAsync(settings, workDirectory: first.WorkDirectory);
        cli.Point(gateway);

        (exit, output, _) = await cli.RunAsync("usage", "--by", "model", "--since", "2d");
        Assert.Equal(0, exit);
        Assert.Contains("metered", output, StringComparison.Ordinal);
        Assert.Contains("Total: $0.010000", output, StringComparison.Ordinal);

        (exit, output, _) = await cli.RunAsync("keys", "revoke", keyId);
        Assert.Equal((0, $"Revoked {keyId} ({project}).\n"), (exit, output.ReplaceLineEndings("\n")));
        Assert.Equal(1, (await cli.RunAsync("api", "chat.completions.create", "-m", "metered", "-g", "user", "hi")).Exit);

        // OPENAI_BASE_URL is the gateway's upstream in a gateway's own directory: the master key never goes there.
        cli.Environment["OPENAI_BASE_URL"] = upstream.BaseUrl + "/v1";
        cli.Environment.Remove("SWITCHBOARD_URL");
        await cli.RunAsync("projects", "list");
        Assert.DoesNotContain(upstream.Requests, r => r.Authorization.Contains(Master, StringComparison.Ordinal));
        cli.Point(gateway);

        // A project key is not an admin key: a clear refusal, exit 1.
        cli.Environment["SWITCHBOARD_MASTER_KEY"] = secret;
        (exit, _, error) = await cli.RunAsync("projects", "list");
        Assert.Equal(1, exit);
        Assert.Contains("SWITCHBOARD_MASTER_KEY", error, StringComparison.Ordinal);
        Assert.Equal(2, (await cli.RunAsync("usage", "--since", "tomorrow")).Exit);
    }

    [Fact]
    public async Task Credit_shows_a_projects_grants_and_balance()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(("MasterKey", Master)));
        var (project, secret, _) = await Admin.AdminApiTests.ProjectWithKeyAsync(gateway);
        var (status, _) = await Admin.AdminApiTests.SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{project}/credit_grants", Master,
            new { amount = 5m, effective_at = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60 });
        Assert.Equal(HttpStatusCode.OK, status);
        var cli = CliRun.Against(gateway);
        cli.Environment["OPENAI_API_KEY"] = secret;
        cli.Environment["NO_COLOR"] = "1";

        var (exit, output, _) = await cli.RunAsync("credit");
        Assert.Equal(0, exit);
        Assert.Contains("available", output, StringComparison.Ordinal);
        Assert.Contains("Balance: $5.00 of $5.00 granted.", output, StringComparison.Ordinal);
    }
}
