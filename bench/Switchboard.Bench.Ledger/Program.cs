// Ledger throughput: ROWS rows handed to the LedgerWriter as fast as one producer can, then the writer disposed
// (which stores everything queued); rows/s is rows over the whole time, and the stored count must equal ROWS.
// Usage: Switchboard.Bench.Ledger [rows=200000] [postgres-connection-string]
//   without a connection string: SQLite in a temporary directory.
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.Configuration;
using Switchboard.Ledger;
using Switchboard.Storage;

var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
var postgres = args.Length > 1 ? args[1] : null;
var directory = Directory.CreateTempSubdirectory("switchboard-bench-ledger-").FullName;
var storage = new StorageOptions { PostgresConnectionString = postgres, SqlitePath = Path.Combine(directory, "switchboard.db") };
var options = new GatewayOptions
{
    Urls = [], DataDirectory = directory, Storage = storage, Providers = [], Models = [],
    Limits = new LimitOptions { MaxBufferedBytes = 1 << 20, MaxConnections = 1 }, CrossSite = new CrossSiteOptions(), Logging = new LogOptions(),
    Local = new LocalOptions { ModelsDirectory = directory, MaxModelBytes = 1 },
};
await using var store = await Store.OpenAsync(storage);
var startAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
var writer = new LedgerWriter(store, options, NullLogger<LedgerWriter>.Instance);
var started = Stopwatch.GetTimestamp();
for (var i = 0; i < rows; i++)
{
    await writer.AppendAsync(new LedgerRow
    {
        RequestId = $"req_{i}", At = startAt, ProjectId = "proj_default", ApiKeyId = "key_bench", Endpoint = "chat/completions",
        Model = i % 2 == 0 ? "gpt-4o-mini" : "gpt-4o", Provider = "openai", Status = 200, Stream = i % 3 == 0 ? 1 : 0,
        InputTokens = 100 + i % 50, OutputTokens = 20, CostMicros = 27, LatencyMs = 300,
    });
}
await writer.DisposeAsync();
var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
var stored = (await store.LedgerAsync(startAt, startAt + 1, null)).Count;
Console.WriteLine(FormattableString.Invariant(
    $"store={(postgres is null ? "sqlite" : "postgres")} rows={rows} stored={stored} seconds={seconds:F2} rows_per_s={rows / seconds:F0} lost={rows - stored}"));
Directory.Delete(directory, recursive: true);
return stored == rows ? 0 : 1;
