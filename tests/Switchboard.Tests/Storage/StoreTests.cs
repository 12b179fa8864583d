using Switchboard.Storage;
using Switchboard.Tests.Fixtures;

namespace Switchboard.Tests.Storage;

/// <summary>The same behaviour from both stores: a SQLite file and a real PostgreSQL server.</summary>
public sealed class StoreTests
{
    internal static async Task<Store> OpenAsync(string kind) => await Store.OpenAsync(kind == "postgres"
        ? new StorageOptions { PostgresConnectionString = await PostgresServer.CreateDatabaseAsync(), SqlitePath = "" }
        : new StorageOptions { SqlitePath = Path.Combine(Directory.CreateTempSubdirectory("switchboard-store-").FullName, "switchboard.db") });

    private static ApiKeyRow Key(string id, string project, long created, string? account = null) => new()
    {
        Id = id, Kind = ApiKeyRow.ProjectKind, ProjectId = project, ServiceAccountId = account, Name = id,
        SecretHash = "hash-" + id, RedactedValue = "sk-sb-…" + id, CreatedAt = created,
    };

    [Theory]
    [InlineData("sqlite")]
    [PostgresData]
    public async Task Projects_page_in_creation_order_and_archiving_revokes_their_keys(string kind)
    {
        await using var store = await OpenAsync(kind);
        for (var i = 0; i < 5; i++) await store.InsertProjectAsync(new ProjectRow { Id = $"proj_{i}", Name = $"P{i}", CreatedAt = 100 + i });
        await store.EnsureProjectAsync(new ProjectRow { Id = "proj_0", Name = "not this", CreatedAt = 1 });

        var first = await store.ListProjectsAsync(null, 2, includeArchived: false);
        var second = await store.ListProjectsAsync(first[^1].Id, 2, includeArchived: false);
        Assert.Equal(["proj_0", "proj_1"], first.Select(p => p.Id));
        Assert.Equal(["proj_2", "proj_3"], second.Select(p => p.Id));
        Assert.Equal("P0", (await store.GetProjectAsync("proj_0"))!.Name);

        await store.InsertKeyAsync(Key("key_a", "proj_1", 10));
        var before = await store.KeyVersionAsync();
        var archived = await store.ArchiveProjectAsync("proj_1", 500);
        Assert.Equal(500, archived!.ArchivedAt);
        Assert.True(await store.KeyVersionAsync() > before);
        Assert.DoesNotContain((await store.LiveKeysAsync()).Keys, k => k.Id == "key_a");
        Assert.DoesNotContain(await store.ListProjectsAsync(null, 10, includeArchived: false), p => p.Id == "proj_1");
        Assert.Contains(await store.ListProjectsAsync(null, 10, includeArchived: true), p => p.Id == "proj_1");
        Assert.Equal("Renamed", (await store.RenameProjectAsync("proj_2", "Renamed"))!.Name);
    }

    [Theory]
    [InlineData("sqlite")]
    [PostgresData]
    public async Task Keys_are_listed_revoked_and_touched_and_a_service_accounts_deletion_revokes_its_keys(string kind)
    {
        await using var store = await OpenAsync(kind);
        await store.InsertProjectAsync(new ProjectRow { Id = "proj_x", Name = "X", CreatedAt = 1 });
        await store.InsertServiceAccountAsync(new ServiceAccountRow { Id = "svc_1", ProjectId = "proj_x", Name = "bot", Role = "member", CreatedAt = 5 }, Key("key_1", "proj_x", 5, "svc_1"));
        await store.InsertKeyAsync(Key("key_2", "proj_x", 6));
        await store.InsertKeyAsync(new ApiKeyRow { Id = "key_admin", Kind = ApiKeyRow.AdminKind, Name = "ops", SecretHash = "h-admin", RedactedValue = "r", CreatedAt = 7 });

        Assert.Equal(["key_1", "key_2"], (await store.ListKeysAsync(ApiKeyRow.ProjectKind, "proj_x", null, 10)).Select(k => k.Id));
        Assert.Equal(["key_admin"], (await store.ListKeysAsync(ApiKeyRow.AdminKind, null, null, 10)).Select(k => k.Id));
        Assert.Null(await store.GetKeyAsync(ApiKeyRow.AdminKind, null, "key_1"));

        await store.TouchKeysAsync([("key_2", 50)]);
        await store.TouchKeysAsync([("key_2", 40)]);    // an older use never moves it back
        Assert.Equal(50, (await store.GetKeyAsync(ApiKeyRow.ProjectKind, "proj_x", "key_2"))!.LastUsedAt);

        Assert.True(await store.RevokeKeyAsync(ApiKeyRow.ProjectKind, "proj_x", "key_2", 60));
        Assert.False(await store.RevokeKeyAsync(ApiKeyRow.ProjectKind, "proj_x", "key_2", 61));
        Assert.True(await store.DeleteServiceAccountAsync("proj_x", "svc_1", 70));
        Assert.Null(await store.GetServiceAccountAsync("proj_x", "svc_1"));
        var (_, live) = await store.LiveKeysAsync();
        Assert.Equal(["key_admin"], live.Select(k => k.Id));
    }

    [Theory]
    [InlineData("sqlite")]
    [PostgresData]
    public async Task Ledger_rows_come_back_by_time_and_project(string kind)
    {
        await using var store = await OpenAsync(kind);
        var rows = Enumerable.Range(0, 10).Select(i => new LedgerRow
        {
            RequestId = $"req_{i}", At = 1000 + i, ProjectId = i % 2 == 0 ? "proj_a" : "proj_b", Endpoint = "/chat/completions", Model = "m",
            Status = 200, InputTokens = i, OutputTokens = 2 * i, CostMicros = 7 * i, LatencyMs = 3,
        }).ToList();
        await store.AppendLedgerAsync(rows);

        Assert.Equal(10, (await store.LedgerAsync(0, 2000, null)).Count);
        var a = await store.LedgerAsync(1002, 1008, ["proj_a"]);
        Assert.Equal(["req_2", "req_4", "req_6"], a.Select(r => r.RequestId));
        Assert.Equal(7 * (2 + 4 + 6), a.Sum(r => r.CostMicros));
    }

    [Theory]
    [InlineData("sqlite")]
    [PostgresData]
    public async Task Opening_a_store_twice_applies_the_schema_once(string kind)
    {
        var options = kind == "postgres"
            ? new StorageOptions { PostgresConnectionString = await PostgresServer.CreateDatabaseAsync(), SqlitePath = "" }
            : new StorageOptions { SqlitePath = Path.Combine(Directory.CreateTempSubdirectory("switchboard-store-").FullName, "switchboard.db") };
        var opened = await Task.WhenAll(Store.OpenAsync(options), Store.OpenAsync(options));
        await opened[0].InsertProjectAsync(new ProjectRow { Id = "proj_1", Name = "one", CreatedAt = 1 });
        Assert.NotNull(await opened[1].GetProjectAsync("proj_1"));
        foreach (var store in opened) await store.DisposeAsync();
    }
}
