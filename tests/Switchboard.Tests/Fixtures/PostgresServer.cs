using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Switchboard.Tests.Fixtures;

/// <summary>
/// A real PostgreSQL server for the tests: a private cluster in a temporary directory (initdb, then pg_ctl on a free
/// loopback port, trust authentication, no fsync), started once per test run and stopped when the run ends. Each
/// test gets a database of its own. Needs Debian's <c>postgresql</c> package (<c>.ci/run</c> installs it); run as
/// root, the server runs as the <c>postgres</c> user, since PostgreSQL refuses to run as root.
/// </summary>
public sealed class PostgresServer
{
    private static readonly Lazy<Task<PostgresServer>> Shared = new(StartAsync);
    private static int _databases;

    private PostgresServer(int port) => Port = port;

    public int Port { get; }

    /// <summary>The directory of the newest installed PostgreSQL's programs, or null when none is installed.</summary>
    public static string? BinDirectory { get; } = Directory.Exists("/usr/lib/postgresql")
        ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
            .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault()
        : null;

    public static string SkipReason => "skipped: PostgreSQL is not installed (apt-get install postgresql; .ci/run does)";

    /// <summary>A connection string to a new, empty database on the shared server.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var server = await Shared.Value;
        var name = $"switchboard_test_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}";
        await using (var connection = new NpgsqlConnection(server.ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        return server.ConnectionString(name);
    }

    private string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=20";

    private static async Task<PostgresServer> StartAsync()
    {
        var bin = BinDirectory ?? throw new InvalidOperationException(SkipReason);
        var root = Directory.CreateTempSubdirectory("switchboard-pg-").FullName;
        var data = Path.Combine(root, "data");
        var asRoot = Environment.UserName == "root";
        if (asRoot) await RunAsync("chown", $"postgres {root}");
        await RunAsync(Path.Combine(bin, "initdb"), $"-D {data} -A trust -U postgres --no-sync -E UTF8", asRoot);
        var port = FreePort();
        await RunAsync(Path.Combine(bin, "pg_ctl"),
            $"-D {data} -l {Path.Combine(root, "log")} -w -t 60 -o \"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" start", asRoot);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                RunAsync(Path.Combine(bin, "pg_ctl"), $"-D {data} -m immediate stop", asRoot).Wait(TimeSpan.FromSeconds(10));
                Directory.Delete(root, recursive: true);
            }
            catch (Exception)
            {
                // The run is over either way; a leftover directory in /tmp is all it costs.
            }
        };
        return new PostgresServer(port);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string program, string arguments, bool asPostgres = false)
    {
        var start = asPostgres
            ? new ProcessStartInfo("runuser", $"-u postgres -- {program} {arguments}")
            : new ProcessStartInfo(program, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = "/tmp";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(program)} failed ({process.ExitCode}): {await error}{await output}");
    }
}

/// <summary>
/// The <c>"postgres"</c> row of a theory over both stores (beside <c>[InlineData("sqlite")]</c>); reported as
/// skipped, saying why, where PostgreSQL is not installed, so the suite still runs with only the .NET SDK.
/// </summary>
public sealed class PostgresDataAttribute : Xunit.Sdk.DataAttribute
{
    private readonly object[] _more;

    /// <summary>The store's kind, then <paramref name="more"/> arguments.</summary>
    public PostgresDataAttribute(params object[] more)
    {
        _more = more;
        if (PostgresServer.BinDirectory is null) Skip = PostgresServer.SkipReason;
    }

    public override IEnumerable<object[]> GetData(System.Reflection.MethodInfo testMethod) => [["postgres", .. _more]];
}

/// <summary>A fact that needs PostgreSQL; reported as skipped, saying why, where it is not installed.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (PostgresServer.BinDirectory is null) Skip = PostgresServer.SkipReason;
    }
}
