using System.Diagnostics;
using System.Net;
using System.Text;
using Switchboard.Storage;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Ledger;

/// <summary>
/// The ledger's promise, tested on a real <c>switchboard serve</c> killed with SIGKILL under load: a response that
/// completed more than <c>Ledger:FlushInterval</c> plus one second before the kill has its row afterwards.
/// </summary>
public sealed class CrashSafetyTests
{
    private static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Promise = FlushInterval + TimeSpan.FromSeconds(1);

    [Theory]
    [InlineData("sqlite")]
    [PostgresData]
    public async Task No_response_completed_before_the_promise_is_missing_after_a_kill(string kind)
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("gpt-4o-mini", x => x.Json(200, Completion("hi", prompt: 12, completion: 3)));
        var data = Directory.CreateTempSubdirectory("switchboard-crash-").FullName;
        var database = kind == "postgres" ? await PostgresServer.CreateDatabaseAsync() : null;
        var settings = new Dictionary<string, string>
        {
            ["Providers:up:BaseUrl"] = upstream.BaseUrl + "/v1",
            ["Providers:up:Models:0"] = "*",
            ["Ledger:FlushInterval"] = "200ms",
        };
        if (database is not null) settings["Database"] = database;
        var completed = new List<(string Id, long At)>();
        long killedAt;
        await using (var gateway = await GatewayProcess.StartAsync(settings, dataDirectory: data))
        {
            using var http = new HttpClient { BaseAddress = new Uri(gateway.BaseUrl) };
            var load = Stopwatch.StartNew();
            // Four clients for three seconds: enough that many responses are well past the promise when the kill comes.
            await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
            {
                while (load.Elapsed < TimeSpan.FromSeconds(3))
                {
                    using var response = await http.PostAsync("/v1/chat/completions",
                        new StringContent("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"));
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    var at = Stopwatch.GetTimestamp();
                    lock (completed) completed.Add((response.Headers.GetValues("x-request-id").Single(), at));
                }
            }));
            await gateway.KillAsync();
            killedAt = Stopwatch.GetTimestamp();
        }

        await using var store = await Store.OpenAsync(new StorageOptions { PostgresConnectionString = database, SqlitePath = Path.Combine(data, "switchboard.db") });
        var stored = (await store.LedgerAsync(0, long.MaxValue, null)).Select(r => r.RequestId).ToHashSet();
        var promised = completed.Where(c => Stopwatch.GetElapsedTime(c.At, killedAt) > Promise).ToList();
        Assert.True(promised.Count > 10, $"only {promised.Count} responses completed before the promise");
        var missing = promised.Where(c => !stored.Contains(c.Id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} of {promised.Count} responses completed more than {Promise.TotalSeconds} s before the kill have no ledger row");
        Directory.Delete(data, recursive: true);
    }
}
