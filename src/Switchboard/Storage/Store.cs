using System.Data.Common;
using System.Text;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
using SQLitePCL;

namespace Switchboard.Storage;

/// <summary>
/// Projects, service accounts, API keys and the ledger, in SQLite (embedded, the default) or PostgreSQL (shared by
/// several gateways). One set of statements serves both: the schema (<see cref="Migrations"/>) keeps to what the two
/// agree on, so the two stores cannot drift apart in behaviour. Every change to keys bumps <c>key_version</c>, which
/// other instances poll to refresh their key caches.
/// </summary>
internal sealed class Store : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _postgres;
    private readonly string? _sqlite;

    static Store() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    private Store(NpgsqlDataSource? postgres, string? sqlite)
    {
        _postgres = postgres;
        _sqlite = sqlite;
    }

    public bool IsPostgres => _postgres is not null;

    /// <summary>Opens the store and brings its schema up to date (several instances may start at once).</summary>
    public static async Task<Store> OpenAsync(StorageOptions options, CancellationToken cancellationToken = default)
    {
        var store = options.PostgresConnectionString is { } postgres
            ? new Store(NpgsqlDataSource.Create(postgres), null)
            : new Store(null, new SqliteConnectionStringBuilder { DataSource = options.SqlitePath, Pooling = true, DefaultTimeout = 30 }.ToString());
        try
        {
            await store.MigrateAsync(cancellationToken);
            return store;
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    public async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken = default)
    {
        if (_postgres is not null) return await _postgres.OpenConnectionAsync(cancellationToken);
        var connection = new SqliteConnection(_sqlite);
        await connection.OpenAsync(cancellationToken);
        // WAL: readers never wait for the ledger's writer; NORMAL: a commit survives the process being killed (the
        // log is in the OS's hands), and only a power cut can take the last ones back.
        await connection.ExecuteAsync("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
        return connection;
    }

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        // One migrator at a time: PostgreSQL by an advisory lock, SQLite by taking the write lock up front.
        if (IsPostgres) await connection.ExecuteAsync("SELECT pg_advisory_lock(7110311)");
        try
        {
            await using var transaction = await BeginAsync(connection, cancellationToken);
            await connection.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)", transaction: transaction);
            var applied = (await connection.QueryAsync<long>("SELECT version FROM schema_migrations", transaction: transaction)).ToHashSet();
            foreach (var (version, sql) in Migrations.Steps.Where(s => !applied.Contains(s.Version)))
            {
                await connection.ExecuteAsync(sql, transaction: transaction);
                await connection.ExecuteAsync("INSERT INTO schema_migrations (version, applied_at) VALUES (@version, @now)",
                    new { version, now = DateTimeOffset.UtcNow.ToUnixTimeSeconds() }, transaction);
            }
            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            if (IsPostgres) await connection.ExecuteAsync("SELECT pg_advisory_unlock(7110311)");
        }
    }

    private async Task<DbTransaction> BeginAsync(DbConnection connection, CancellationToken cancellationToken = default)
    {
        if (IsPostgres) return await connection.BeginTransactionAsync(cancellationToken);
        // Deferred SQLite transactions that read then write can fail to upgrade their lock: take it up front.
        return ((SqliteConnection)connection).BeginTransaction(deferred: false);
    }

    // ---- projects ----

    public async Task InsertProjectAsync(ProjectRow project)
    {
        await using var connection = await OpenConnectionAsync();
        await connection.ExecuteAsync(
            "INSERT INTO projects (id, name, created_at, archived_at, external_key_id) VALUES (@Id, @Name, @CreatedAt, @ArchivedAt, @ExternalKeyId)", project);
    }

    /// <summary>Creates the project if there is none of that id (the default project at first start).</summary>
    public async Task EnsureProjectAsync(ProjectRow project)
    {
        await using var connection = await OpenConnectionAsync();
        await connection.ExecuteAsync(
            "INSERT INTO projects (id, name, created_at) VALUES (@Id, @Name, @CreatedAt) ON CONFLICT (id) DO NOTHING", project);
    }

    public async Task<ProjectRow?> GetProjectAsync(string id)
    {
        await using var connection = await OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<ProjectRow>("SELECT * FROM projects WHERE id = @id", new { id });
    }

    /// <summary>A page in creation order, starting after the row <paramref name="after"/> names (OpenAI's cursor).</summary>
    public async Task<List<ProjectRow>> ListProjectsAsync(string? after, int limit, bool includeArchived)
    {
        await using var connection = await OpenConnectionAsync();
        return [.. await connection.QueryAsync<ProjectRow>($"""
            SELECT * FROM projects
            WHERE (@includeArchived OR archived_at IS NULL) {After("projects")}
            ORDER BY created_at, id LIMIT @limit
            """, new { after, limit, includeArchived })];
    }

    public async Task<ProjectRow?> RenameProjectAsync(string id, string name)
    {
        await using var connection = await OpenConnectionAsync();
        await connection.ExecuteAsync("UPDATE projects SET name = @name WHERE id = @id", new { id, name });
        return await connection.QuerySingleOrDefaultAsync<ProjectRow>("SELECT * FROM projects WHERE id = @id", new { id });
    }

    /// <summary>Archives the project and revokes its keys: an archived project's keys stop working.</summary>
    public async Task<ProjectRow?> ArchiveProjectAsync(string id, long now)
    {
        await using var connection = await OpenConnectionAsync();
        await using var transaction = await BeginAsync(connection);
        await connection.ExecuteAsync("UPDATE projects SET archived_at = @now WHERE id = @id AND archived_at IS NULL", new { id, now }, transaction);
        await connection.ExecuteAsync("UPDATE api_keys SET revoked_at = @now WHERE project_id = @id AND revoked_at IS NULL", new { id, now }, transaction);
        await BumpKeyVersionAsync(connection, transaction);
        await transaction.CommitAsync();
        return await connection.QuerySingleOrDefaultAsync<ProjectRow>("SELECT * FROM projects WHERE id = @id", new { id });
    }

    // ---- service accounts ----

    /// <summary>Creates a service account and, unless <paramref name="key"/> is null, its first key, in one transaction.</summary>
    public async Task InsertServiceAccountAsync(ServiceAccountRow account, ApiKeyRow? key)
    {
        await using var connection = await OpenConnectionAsync();
        await using var transaction = await BeginAsync(connection);
        await connection.ExecuteAsync(
            "INSERT INTO service_accounts (id, project_id, name, role, created_at) VALUES (@Id, @ProjectId, @Name, @Role, @CreatedAt)", account, transaction);
        if (key is not null) await InsertKeyAsync(connection, transaction, key);
        await transaction.CommitAsync();
    }

    public async Task<ServiceAccountRow?> GetServiceAccountAsync(string projectId, string id)
    {
        await using var connection = await OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<ServiceAccountRow>(
            "SELECT * FROM service_accounts WHERE id = @id AND project_id = @projectId AND deleted_at IS NULL", new { id, projectId });
    }

    public async Task<List<ServiceAccountRow>> ListServiceAccountsAsync(string projectId, string? after, int limit)
    {
        await using var connection = await OpenConnectionAsync();
        return [.. await connection.QueryAsync<ServiceAccountRow>($"""
            SELECT * FROM service_accounts
            WHERE project_id = @projectId AND deleted_at IS NULL {After("service_accounts")}
            ORDER BY created_at, id LIMIT @limit
            """, new { projectId, after, limit })];
    }

    /// <summary>Deletes the service account and revokes its keys; false when there was none.</summary>
    public async Task<bool> DeleteServiceAccountAsync(string projectId, string id, long now)
    {
        await using var connection = await OpenConnectionAsync();
        await using var transaction = await BeginAsync(connection);
        var deleted = await connection.ExecuteAsync(
            "UPDATE service_accounts SET deleted_at = @now WHERE id = @id AND project_id = @projectId AND deleted_at IS NULL", new { id, projectId, now }, transaction);
        await connection.ExecuteAsync("UPDATE api_keys SET revoked_at = @now WHERE service_account_id = @id AND revoked_at IS NULL", new { id, now }, transaction);
        await BumpKeyVersionAsync(connection, transaction);
        await transaction.CommitAsync();
        return deleted > 0;
    }

    // ---- keys ----

    public async Task InsertKeyAsync(ApiKeyRow key)
    {
        await using var connection = await OpenConnectionAsync();
        await using var transaction = await BeginAsync(connection);
        await InsertKeyAsync(connection, transaction, key);
        await transaction.CommitAsync();
    }

    private static async Task InsertKeyAsync(DbConnection connection, DbTransaction transaction, ApiKeyRow key)
    {
        await connection.ExecuteAsync("""
            INSERT INTO api_keys (id, kind, project_id, service_account_id, name, secret_hash, redacted_value, created_at, expires_at, allowed_models, limits)
            VALUES (@Id, @Kind, @ProjectId, @ServiceAccountId, @Name, @SecretHash, @RedactedValue, @CreatedAt, @ExpiresAt, @AllowedModels, @Limits)
            """, key, transaction);
        await BumpKeyVersionAsync(connection, transaction);
    }

    /// <summary>A key that has not been revoked (deleted keys are gone from the API, as OpenAI's are).</summary>
    public async Task<ApiKeyRow?> GetKeyAsync(string kind, string? projectId, string id)
    {
        await using var connection = await OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<ApiKeyRow>(
            "SELECT * FROM api_keys WHERE id = @id AND kind = @kind AND (@projectId IS NULL OR project_id = @projectId) AND revoked_at IS NULL",
            new { id, kind, projectId });
    }

    public async Task<List<ApiKeyRow>> ListKeysAsync(string kind, string? projectId, string? after, int limit, bool descending = false)
    {
        await using var connection = await OpenConnectionAsync();
        var order = descending ? "DESC" : "";
        var cursor = descending
            ? "AND (@after IS NULL OR (created_at, id) < (SELECT created_at, id FROM api_keys WHERE id = @after))"
            : After("api_keys");
        return [.. await connection.QueryAsync<ApiKeyRow>($"""
            SELECT * FROM api_keys
            WHERE kind = @kind AND (@projectId IS NULL OR project_id = @projectId) AND revoked_at IS NULL {cursor}
            ORDER BY created_at {order}, id {order} LIMIT @limit
            """, new { kind, projectId, after, limit })];
    }

    /// <summary>Renames a live project key and sets its own limits (our extension); false when there is no such key.</summary>
    public async Task<bool> ModifyKeyAsync(string projectId, string id, string name, string? limits)
    {
        await using var connection = await OpenConnectionAsync();
        await using var transaction = await BeginAsync(connection);
        var changed = await connection.ExecuteAsync(
            "UPDATE api_keys SET name = @name, limits = @limits WHERE id = @id AND kind = @kind AND project_id = @projectId AND revoked_at IS NULL",
            new { id, kind = ApiKeyRow.ProjectKind, projectId, name, limits }, transaction);
        await BumpKeyVersionAsync(connection, transaction);
        await transaction.CommitAsync();
        return changed > 0;
    }

    /// <summary>Revokes a key; false when there was no such live key.</summary>
    public async Task<bool> RevokeKeyAsync(string kind, string? projectId, string id, long now)
    {
        await using var connection = await OpenConnectionAsync();
        await using var transaction = await BeginAsync(connection);
        var revoked = await connection.ExecuteAsync(
            "UPDATE api_keys SET revoked_at = @now WHERE id = @id AND kind = @kind AND (@projectId IS NULL OR project_id = @projectId) AND revoked_at IS NULL",
            new { id, kind, projectId, now }, transaction);
        await BumpKeyVersionAsync(connection, transaction);
        await transaction.CommitAsync();
        return revoked > 0;
    }

    /// <summary>Every key that can still authenticate (not revoked; expiry is checked at use), and the version they are as of.</summary>
    public async Task<(long Version, List<ApiKeyRow> Keys)> LiveKeysAsync()
    {
        await using var connection = await OpenConnectionAsync();
        await using var transaction = await BeginAsync(connection);
        var version = await connection.ExecuteScalarAsync<long>("SELECT version FROM key_version WHERE id = 1", transaction: transaction);
        var keys = (await connection.QueryAsync<ApiKeyRow>("SELECT * FROM api_keys WHERE revoked_at IS NULL", transaction: transaction)).ToList();
        await transaction.CommitAsync();
        return (version, keys);
    }

    public async Task<long> KeyVersionAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>("SELECT version FROM key_version WHERE id = 1");
    }

    /// <summary>Records when keys were last used (batched: never a write per request); a time only ever moves forward.</summary>
    public async Task TouchKeysAsync(IReadOnlyCollection<(string Id, long At)> uses)
    {
        if (uses.Count == 0) return;
        await using var connection = await OpenConnectionAsync();
        await using var transaction = await BeginAsync(connection);
        await connection.ExecuteAsync(
            "UPDATE api_keys SET last_used_at = @At WHERE id = @Id AND (last_used_at IS NULL OR last_used_at < @At)",
            uses.Select(u => new { u.Id, u.At }), transaction);
        await transaction.CommitAsync();
    }

    // ---- prices ----

    public async Task<List<ModelPriceRow>> PricesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenConnectionAsync(cancellationToken);
        return [.. await connection.QueryAsync<ModelPriceRow>("SELECT * FROM model_prices ORDER BY model")];
    }

    /// <summary>Sets a model's price; every instance's cached prices follow, as they follow key changes.</summary>
    public async Task SetPriceAsync(ModelPriceRow price)
    {
        await using var connection = await OpenConnectionAsync();
        await using var transaction = await BeginAsync(connection);
        await connection.ExecuteAsync("""
            INSERT INTO model_prices (model, input_micros, cached_input_micros, output_micros, updated_at)
            VALUES (@Model, @InputMicros, @CachedInputMicros, @OutputMicros, @UpdatedAt)
            ON CONFLICT (model) DO UPDATE SET input_micros = excluded.input_micros, cached_input_micros = excluded.cached_input_micros,
                output_micros = excluded.output_micros, updated_at = excluded.updated_at
            """, price, transaction);
        await BumpKeyVersionAsync(connection, transaction);
        await transaction.CommitAsync();
    }

    /// <summary>Removes a price set through the admin API; whether there was one.</summary>
    public async Task<bool> DeletePriceAsync(string model)
    {
        await using var connection = await OpenConnectionAsync();
        await using var transaction = await BeginAsync(connection);
        var deleted = await connection.ExecuteAsync("DELETE FROM model_prices WHERE model = @model", new { model }, transaction);
        if (deleted > 0) await BumpKeyVersionAsync(connection, transaction);
        await transaction.CommitAsync();
        return deleted > 0;
    }

    private static Task<int> BumpKeyVersionAsync(DbConnection connection, DbTransaction transaction) =>
        connection.ExecuteAsync("UPDATE key_version SET version = version + 1 WHERE id = 1", transaction: transaction);

    // Limits are cached by every instance like keys: a change moves the same version.
    private static Task<int> BumpVersionAsync(DbConnection connection) =>
        connection.ExecuteAsync("UPDATE key_version SET version = version + 1 WHERE id = 1");

    // ---- limits and credit ----

    public async Task<List<RateLimitRow>> RateLimitsAsync(string projectId)
    {
        await using var connection = await OpenConnectionAsync();
        return [.. await connection.QueryAsync<RateLimitRow>("SELECT * FROM rate_limits WHERE project_id = @projectId ORDER BY model", new { projectId })];
    }

    /// <summary>Creates or replaces a project's limits for one model.</summary>
    public async Task SetRateLimitAsync(RateLimitRow limit)
    {
        await using var connection = await OpenConnectionAsync();
        await connection.ExecuteAsync("""
            INSERT INTO rate_limits (project_id, model, max_requests_per_1_minute, max_tokens_per_1_minute, max_images_per_1_minute,
                max_audio_megabytes_per_1_minute, max_requests_per_1_day, batch_1_day_max_input_tokens)
            VALUES (@ProjectId, @Model, @MaxRequestsPer1Minute, @MaxTokensPer1Minute, @MaxImagesPer1Minute,
                @MaxAudioMegabytesPer1Minute, @MaxRequestsPer1Day, @Batch1DayMaxInputTokens)
            ON CONFLICT (project_id, model) DO UPDATE SET
                max_requests_per_1_minute = excluded.max_requests_per_1_minute, max_tokens_per_1_minute = excluded.max_tokens_per_1_minute,
                max_images_per_1_minute = excluded.max_images_per_1_minute, max_audio_megabytes_per_1_minute = excluded.max_audio_megabytes_per_1_minute,
                max_requests_per_1_day = excluded.max_requests_per_1_day, batch_1_day_max_input_tokens = excluded.batch_1_day_max_input_tokens
            """, limit);
        await BumpVersionAsync(connection);
    }

    public async Task<SpendLimitRow?> SpendLimitAsync(string projectId)
    {
        await using var connection = await OpenConnectionAsync();
        return await connection.QuerySingleOrDefaultAsync<SpendLimitRow>("SELECT * FROM spend_limits WHERE project_id = @projectId", new { projectId });
    }

    public async Task SetSpendLimitAsync(SpendLimitRow limit)
    {
        await using var connection = await OpenConnectionAsync();
        await connection.ExecuteAsync("""
            INSERT INTO spend_limits (project_id, threshold_cents, currency, period) VALUES (@ProjectId, @ThresholdCents, @Currency, @Period)
            ON CONFLICT (project_id) DO UPDATE SET threshold_cents = excluded.threshold_cents, currency = excluded.currency, period = excluded.period
            """, limit);
        await BumpVersionAsync(connection);
    }

    public async Task<bool> DeleteSpendLimitAsync(string projectId)
    {
        await using var connection = await OpenConnectionAsync();
        var deleted = await connection.ExecuteAsync("DELETE FROM spend_limits WHERE project_id = @projectId", new { projectId }) > 0;
        await BumpVersionAsync(connection);
        return deleted;
    }

    /// <summary>Every project's rate limits, spend limit and credit grants: what admission holds in memory.</summary>
    public async Task<(List<RateLimitRow> RateLimits, List<SpendLimitRow> SpendLimits, List<CreditGrantRow> Grants)> AllLimitsAsync()
    {
        await using var connection = await OpenConnectionAsync();
        var rates = (await connection.QueryAsync<RateLimitRow>("SELECT * FROM rate_limits")).ToList();
        var spend = (await connection.QueryAsync<SpendLimitRow>("SELECT * FROM spend_limits")).ToList();
        var grants = (await connection.QueryAsync<CreditGrantRow>("SELECT * FROM credit_grants")).ToList();
        return (rates, spend, grants);
    }

    // ---- admission counters ----

    /// <summary>
    /// Takes up to <paramref name="want"/> (at least <paramref name="need"/>, else nothing) from a window's shared counter without passing <paramref name="limit"/>:
    /// how much was granted, and the counter after. A counter starts at <paramref name="initial"/> (what was already
    /// spent, for money). The row is locked for the transaction, so instances taking at once never grant past the limit.
    /// </summary>
    public async Task<(long Granted, long Used)> LeaseAsync(string scope, long window, long need, long want, long limit, long initial = 0)
    {
        await using var connection = await OpenConnectionAsync();
        await using var transaction = await BeginAsync(connection);
        var key = new { scope, window, initial };
        await connection.ExecuteAsync(
            "INSERT INTO admission_counters (scope, window_start, used) VALUES (@scope, @window, @initial) ON CONFLICT (scope, window_start) DO NOTHING",
            key, transaction);
        var lockRow = connection is NpgsqlConnection ? " FOR UPDATE" : "";
        var used = await connection.ExecuteScalarAsync<long>(
            $"SELECT used FROM admission_counters WHERE scope = @scope AND window_start = @window{lockRow}", key, transaction);
        // Nothing unless at least what the request needs is left: a request that cannot fit takes nothing from the others.
        var granted = limit - used >= need ? Math.Min(limit - used, want) : 0;
        if (granted > 0)
        {
            await connection.ExecuteAsync("UPDATE admission_counters SET used = used + @granted WHERE scope = @scope AND window_start = @window",
                new { scope, window, granted }, transaction);
        }
        await transaction.CommitAsync();
        return (granted, used + granted);
    }

    /// <summary>Adds to a window's counter past its limit: usage that came out larger than was reserved.</summary>
    public async Task AddToCounterAsync(string scope, long window, long amount)
    {
        await using var connection = await OpenConnectionAsync();
        await connection.ExecuteAsync("""
            INSERT INTO admission_counters (scope, window_start, used) VALUES (@scope, @window, @amount)
            ON CONFLICT (scope, window_start) DO UPDATE SET used = admission_counters.used + excluded.used
            """, new { scope, window, amount });
    }

    /// <summary>
    /// Deletes counters of windows that started before <paramref name="before"/> — minutes, days and months; a credit
    /// period's counter and a key's total budget are kept, as they may have started long ago and still run.
    /// </summary>
    public async Task<int> DeleteCountersBeforeAsync(long before)
    {
        await using var connection = await OpenConnectionAsync();
        return await connection.ExecuteAsync(
            "DELETE FROM admission_counters WHERE window_start < @before AND scope NOT LIKE 'credit:%' AND scope NOT LIKE 'key-budget-total:%'", new { before });
    }

    public async Task InsertCreditGrantAsync(CreditGrantRow grant)
    {
        await using var connection = await OpenConnectionAsync();
        await connection.ExecuteAsync("""
            INSERT INTO credit_grants (id, project_id, amount_micros, effective_at, expires_at, created_at)
            VALUES (@Id, @ProjectId, @AmountMicros, @EffectiveAt, @ExpiresAt, @CreatedAt)
            """, grant);
        await BumpVersionAsync(connection);
    }

    /// <summary>A project's grants, or every project's when <paramref name="projectId"/> is null, in the order they are used up.</summary>
    public async Task<List<CreditGrantRow>> CreditGrantsAsync(string? projectId)
    {
        await using var connection = await OpenConnectionAsync();
        return [.. await connection.QueryAsync<CreditGrantRow>(
            "SELECT * FROM credit_grants WHERE (@projectId IS NULL OR project_id = @projectId) ORDER BY effective_at, id", new { projectId })];
    }

    /// <summary>
    /// The cost, in micro-dollars, of a project's (or all) requests — of one key's, given <paramref name="apiKeyId"/> —
    /// from <paramref name="dayStart"/> (a whole UTC day) until now: summed from the daily rollup, which keeps what the raw rows' retention deletes.
    /// </summary>
    public async Task<long> SpentMicrosAsync(string? projectId, long dayStart, string? apiKeyId = null)
    {
        await using var connection = await OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>(
            """
            SELECT COALESCE(SUM(cost_micros), 0) FROM ledger_daily
            WHERE day >= @dayStart AND (@projectId IS NULL OR project_id = @projectId) AND (@apiKeyId IS NULL OR api_key_id = @apiKeyId)
            """,
            new { projectId, dayStart, apiKeyId });
    }

    /// <summary>
    /// Spending of a project (or all) in [start, end), in micro-dollars, oldest first: per second from the raw rows
    /// from <paramref name="rawFrom"/> (a whole hour from which retention has deleted nothing), and per hour from the
    /// hourly rollup before it, dated at the hour's start.
    /// </summary>
    public async Task<List<(long At, long CostMicros)>> SpendingAsync(string? projectId, long start, long end, long rawFrom)
    {
        await using var connection = await OpenConnectionAsync();
        return [.. await connection.QueryAsync<(long, long)>("""
            SELECT hour, SUM(cost_micros) FROM ledger_hourly
            WHERE hour >= @hourStart AND hour < @rawFrom AND hour < @end AND cost_micros > 0 AND (@projectId IS NULL OR project_id = @projectId)
            GROUP BY hour
            UNION ALL
            SELECT at, SUM(cost_micros) FROM ledger
            WHERE at >= @rawStart AND at < @end AND cost_micros > 0 AND (@projectId IS NULL OR project_id = @projectId)
            GROUP BY at
            ORDER BY 1
            """, new { projectId, hourStart = start - start % 3600, rawStart = Math.Max(start, rawFrom), rawFrom, end })];
    }

    // ---- ledger ----

    /// <summary>
    /// Stores rows and adds the served ones (status 200, or 499 with what was produced) to the hourly and daily
    /// rollups, in one transaction: the rollups are what usage by hour and day reads, and they outlive the raw rows.
    /// </summary>
    public async Task AppendLedgerAsync(IReadOnlyList<LedgerRow> rows, CancellationToken cancellationToken = default)
    {
        if (rows.Count == 0) return;
        await using var connection = await OpenConnectionAsync(cancellationToken);
        await using var transaction = await BeginAsync(connection, cancellationToken);
        if (connection is NpgsqlConnection postgres) await CopyLedgerAsync(postgres, rows, cancellationToken);
        else InsertLedger((SqliteConnection)connection, rows);
        var hourly = Totals(rows.Where(r => r.Status is 200 or 499).Select(r => new RollupTotals
        {
            Start = r.At - r.At % Rollup.Hourly.Seconds, Project = r.ProjectId ?? "", Key = r.ApiKeyId ?? "", Model = r.Model, Endpoint = r.Endpoint,
            Requests = 1, Input = r.InputTokens, Output = r.OutputTokens, Cached = r.CachedTokens, Cost = r.CostMicros,
        }));
        var daily = Totals(hourly.Select(h => h with { Start = h.Start - h.Start % Rollup.Daily.Seconds }));
        foreach (var (rollup, totals) in new[] { (Rollup.Hourly, hourly), (Rollup.Daily, daily) })
        {
            var (table, column) = (rollup.Table, rollup.Column);
            await connection.ExecuteAsync($"""
                INSERT INTO {table} ({column}, project_id, api_key_id, model, endpoint, requests, input_tokens, output_tokens, cached_tokens, cost_micros)
                VALUES (@Start, @Project, @Key, @Model, @Endpoint, @Requests, @Input, @Output, @Cached, @Cost)
                ON CONFLICT ({column}, project_id, api_key_id, model, endpoint) DO UPDATE SET
                    requests = {table}.requests + excluded.requests, input_tokens = {table}.input_tokens + excluded.input_tokens,
                    output_tokens = {table}.output_tokens + excluded.output_tokens, cached_tokens = {table}.cached_tokens + excluded.cached_tokens,
                    cost_micros = {table}.cost_micros + excluded.cost_micros
                """, totals, transaction);
        }

        // Summed per period, project, key, model and endpoint in one pass.
        static List<RollupTotals> Totals(IEnumerable<RollupTotals> parts)
        {
            var sums = new Dictionary<(long, string, string, string, string), RollupTotals>();
            foreach (var p in parts)
            {
                var key = (p.Start, p.Project, p.Key, p.Model, p.Endpoint);
                sums[key] = sums.TryGetValue(key, out var sum)
                    ? sum with { Requests = sum.Requests + p.Requests, Input = sum.Input + p.Input, Output = sum.Output + p.Output, Cached = sum.Cached + p.Cached, Cost = sum.Cost + p.Cost }
                    : p;
            }
            return [.. sums.Values];
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private const string LedgerColumns =
        "request_id, at, project_id, api_key_id, endpoint, model, provider, status, stream, input_tokens, output_tokens, cached_tokens, cost_micros, latency_ms, estimated, "
        + "served_model, reasoning_tokens, ttft_ms";

    // The ledger takes a row per request, so rows are written the cheapest way each database has rather than through
    // Dapper's per-row mapping: PostgreSQL's binary COPY, and one prepared SQLite statement re-bound per row.

    private static async Task CopyLedgerAsync(NpgsqlConnection connection, IReadOnlyList<LedgerRow> rows, CancellationToken cancellationToken)
    {
        await using var copy = await connection.BeginBinaryImportAsync($"COPY ledger ({LedgerColumns}) FROM STDIN (FORMAT BINARY)", cancellationToken);
        foreach (var r in rows)
        {
            await copy.StartRowAsync(cancellationToken);
            await copy.WriteAsync(r.RequestId, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(r.At, NpgsqlTypes.NpgsqlDbType.Bigint, cancellationToken);
            await WriteTextOrNull(copy, r.ProjectId, cancellationToken);
            await WriteTextOrNull(copy, r.ApiKeyId, cancellationToken);
            await copy.WriteAsync(r.Endpoint, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
            await copy.WriteAsync(r.Model, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
            await WriteTextOrNull(copy, r.Provider, cancellationToken);
            await copy.WriteAsync((int)r.Status, NpgsqlTypes.NpgsqlDbType.Integer, cancellationToken);
            await copy.WriteAsync((int)r.Stream, NpgsqlTypes.NpgsqlDbType.Integer, cancellationToken);
            await copy.WriteAsync(r.InputTokens, NpgsqlTypes.NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(r.OutputTokens, NpgsqlTypes.NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(r.CachedTokens, NpgsqlTypes.NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(r.CostMicros, NpgsqlTypes.NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync(r.LatencyMs, NpgsqlTypes.NpgsqlDbType.Bigint, cancellationToken);
            await copy.WriteAsync((int)r.Estimated, NpgsqlTypes.NpgsqlDbType.Integer, cancellationToken);
            await WriteTextOrNull(copy, r.ServedModel, cancellationToken);
            await copy.WriteAsync(r.ReasoningTokens, NpgsqlTypes.NpgsqlDbType.Bigint, cancellationToken);
            if (r.TtftMs is { } ttft) await copy.WriteAsync(ttft, NpgsqlTypes.NpgsqlDbType.Bigint, cancellationToken);
            else await copy.WriteNullAsync(cancellationToken);
        }
        await copy.CompleteAsync(cancellationToken);

        static Task WriteTextOrNull(NpgsqlBinaryImporter copy, string? value, CancellationToken cancellationToken) =>
            value is null ? copy.WriteNullAsync(cancellationToken) : copy.WriteAsync(value, NpgsqlTypes.NpgsqlDbType.Text, cancellationToken);
    }

    private static void InsertLedger(SqliteConnection connection, IReadOnlyList<LedgerRow> rows)
    {
        // SQLite's own API under Microsoft.Data.Sqlite: one prepared statement, parameters bound by position, strings
        // encoded into one reused buffer. Through SqliteCommand every value is boxed and every parameter found by name
        // on every row, which measured over half of the writer's time (bench/ledger-throughput.sh); the statement runs
        // inside the connection's open transaction all the same.
        var db = connection.Handle!;
        var names = LedgerColumns.Split(", ");
        var sql = $"INSERT INTO ledger ({LedgerColumns}) VALUES ({string.Join(", ", names.Select((_, i) => "?" + (i + 1)))})";
        Check(db, raw.sqlite3_prepare_v2(db, sql, out var statement));
        using (statement)
        {
            var text = new byte[4 * 1024];
            foreach (var r in rows)
            {
                BindText(statement, 1, r.RequestId, ref text);
                raw.sqlite3_bind_int64(statement, 2, r.At);
                BindText(statement, 3, r.ProjectId, ref text);
                BindText(statement, 4, r.ApiKeyId, ref text);
                BindText(statement, 5, r.Endpoint, ref text);
                BindText(statement, 6, r.Model, ref text);
                BindText(statement, 7, r.Provider, ref text);
                raw.sqlite3_bind_int64(statement, 8, r.Status);
                raw.sqlite3_bind_int64(statement, 9, r.Stream);
                raw.sqlite3_bind_int64(statement, 10, r.InputTokens);
                raw.sqlite3_bind_int64(statement, 11, r.OutputTokens);
                raw.sqlite3_bind_int64(statement, 12, r.CachedTokens);
                raw.sqlite3_bind_int64(statement, 13, r.CostMicros);
                raw.sqlite3_bind_int64(statement, 14, r.LatencyMs);
                raw.sqlite3_bind_int64(statement, 15, r.Estimated);
                BindText(statement, 16, r.ServedModel, ref text);
                raw.sqlite3_bind_int64(statement, 17, r.ReasoningTokens);
                if (r.TtftMs is { } ttft) raw.sqlite3_bind_int64(statement, 18, ttft);
                else raw.sqlite3_bind_null(statement, 18);
                var done = raw.sqlite3_step(statement);
                raw.sqlite3_reset(statement);
                if (done != raw.SQLITE_DONE) Check(db, done);
            }
        }

        static void BindText(sqlite3_stmt statement, int index, string? value, ref byte[] buffer)
        {
            if (value is null)
            {
                raw.sqlite3_bind_null(statement, index);
                return;
            }
            var needed = Encoding.UTF8.GetMaxByteCount(value.Length);
            if (needed > buffer.Length) buffer = new byte[needed];
            var length = Encoding.UTF8.GetBytes(value, buffer);
            raw.sqlite3_bind_text(statement, index, buffer.AsSpan(0, length));    // SQLite copies it (SQLITE_TRANSIENT)
        }

        static void Check(sqlite3 db, int code)
        {
            if (code != raw.SQLITE_OK) throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), code);
        }
    }

    /// <summary>
    /// A rollup's periods in [start, end): each period's served totals per project, key, model and endpoint, as a
    /// ledger row (status 200, at the period's start) with the number of requests it stands for.
    /// </summary>
    public async Task<List<(LedgerRow Row, long Requests)>> RollupAsync(Rollup rollup, long start, long end, IReadOnlyList<string>? projectIds)
    {
        await using var connection = await OpenConnectionAsync();
        var filter = projectIds is { Count: > 0 } ? (IsPostgres ? "AND project_id = ANY(@projectIds)" : "AND project_id IN @projectIds") : "";
        var rows = await connection.QueryAsync<RollupRow>(
            $"SELECT {rollup.Column} AS period_start, * FROM {rollup.Table} WHERE {rollup.Column} >= @start AND {rollup.Column} < @end {filter} ORDER BY {rollup.Column}",
            new { start, end, projectIds = projectIds?.ToArray() });
        return [.. rows.Select(d => (new LedgerRow
        {
            RequestId = "", At = d.PeriodStart, ProjectId = d.ProjectId.Length == 0 ? null : d.ProjectId, ApiKeyId = d.ApiKeyId.Length == 0 ? null : d.ApiKeyId,
            Endpoint = d.Endpoint, Model = d.Model, Status = 200, InputTokens = d.InputTokens, OutputTokens = d.OutputTokens,
            CachedTokens = d.CachedTokens, CostMicros = d.CostMicros,
        }, d.Requests))];
    }

    private sealed record RollupRow
    {
        public long PeriodStart { get; init; }
        public string ProjectId { get; init; } = "";
        public string ApiKeyId { get; init; } = "";
        public string Model { get; init; } = "";
        public string Endpoint { get; init; } = "";
        public long Requests { get; init; }
        public long InputTokens { get; init; }
        public long OutputTokens { get; init; }
        public long CachedTokens { get; init; }
        public long CostMicros { get; init; }
    }

    /// <summary>Deletes up to <paramref name="batch"/> raw ledger rows older than <paramref name="before"/>; how many it deleted.</summary>
    public async Task<int> DeleteLedgerBeforeAsync(long before, int batch)
    {
        await using var connection = await OpenConnectionAsync();
        // One batch per statement keeps each transaction (and lock) short on a large ledger.
        var row = IsPostgres ? "ctid" : "rowid";
        return await connection.ExecuteAsync(
            $"DELETE FROM ledger WHERE {row} IN (SELECT {row} FROM ledger WHERE at < @before LIMIT @batch)", new { before, batch });
    }

    /// <summary>Ledger rows in [start, end), optionally for some projects only, oldest first.</summary>
    public async Task<List<LedgerRow>> LedgerAsync(long start, long end, IReadOnlyList<string>? projectIds)
    {
        await using var connection = await OpenConnectionAsync();
        // Dapper passes a list to Npgsql as one array parameter, and expands it into a list for SQLite.
        var filter = projectIds is { Count: > 0 } ? (IsPostgres ? "AND project_id = ANY(@projectIds)" : "AND project_id IN @projectIds") : "";
        return [.. await connection.QueryAsync<LedgerRow>(
            $"SELECT * FROM ledger WHERE at >= @start AND at < @end {filter} ORDER BY at", new { start, end, projectIds = projectIds?.ToArray() })];
    }

    private static string After(string table) =>
        $"AND (@after IS NULL OR (created_at, id) > (SELECT created_at, id FROM {table} WHERE id = @after))";

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null) await _postgres.DisposeAsync();
        else SqliteConnection.ClearAllPools();
    }
}

/// <summary>Served totals of one period, project, key, model and endpoint, as added to a rollup table.</summary>
internal readonly record struct RollupTotals
{
    public long Start { get; init; }
    public required string Project { get; init; }
    public required string Key { get; init; }
    public required string Model { get; init; }
    public required string Endpoint { get; init; }
    public long Requests { get; init; }
    public long Input { get; init; }
    public long Output { get; init; }
    public long Cached { get; init; }
    public long Cost { get; init; }
}

/// <summary>A table of the ledger's totals per period (hour or day, in UTC), kept beside the raw rows.</summary>
internal sealed record Rollup(string Table, string Column, long Seconds)
{
    public static readonly Rollup Hourly = new("ledger_hourly", "hour", 3_600);
    public static readonly Rollup Daily = new("ledger_daily", "day", 86_400);
}

/// <summary>Where the store lives: a PostgreSQL connection string, or else a SQLite file.</summary>
public sealed record StorageOptions
{
    public string? PostgresConnectionString { get; init; }
    public required string SqlitePath { get; init; }
}
