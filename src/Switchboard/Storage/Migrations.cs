namespace Switchboard.Storage;

/// <summary>
/// The schema, as numbered steps applied in order at startup and recorded in <c>schema_migrations</c>. One text
/// serves SQLite and PostgreSQL: identifiers and hashes are text, times are Unix seconds, money is integer
/// micro-dollars, flags are integers.
/// </summary>
internal static class Migrations
{
    public static readonly IReadOnlyList<(int Version, string Sql)> Steps =
    [
        (1, """
            CREATE TABLE projects (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                archived_at BIGINT NULL,
                external_key_id TEXT NULL
            );
            CREATE TABLE service_accounts (
                id TEXT PRIMARY KEY,
                project_id TEXT NOT NULL REFERENCES projects (id),
                name TEXT NOT NULL,
                role TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                deleted_at BIGINT NULL
            );
            CREATE INDEX service_accounts_by_project ON service_accounts (project_id, created_at);
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL,
                project_id TEXT NULL REFERENCES projects (id),
                service_account_id TEXT NULL REFERENCES service_accounts (id),
                name TEXT NOT NULL,
                secret_hash TEXT NOT NULL UNIQUE,
                redacted_value TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NULL,
                last_used_at BIGINT NULL,
                revoked_at BIGINT NULL,
                allowed_models TEXT NULL
            );
            CREATE INDEX api_keys_by_project ON api_keys (project_id, created_at);
            CREATE TABLE key_version (id INTEGER PRIMARY KEY, version BIGINT NOT NULL);
            INSERT INTO key_version (id, version) VALUES (1, 0);
            CREATE TABLE ledger (
                request_id TEXT NOT NULL,
                at BIGINT NOT NULL,
                project_id TEXT NULL,
                api_key_id TEXT NULL,
                endpoint TEXT NOT NULL,
                model TEXT NOT NULL,
                provider TEXT NULL,
                status INTEGER NOT NULL,
                stream INTEGER NOT NULL,
                input_tokens BIGINT NOT NULL,
                output_tokens BIGINT NOT NULL,
                cached_tokens BIGINT NOT NULL,
                cost_micros BIGINT NOT NULL,
                latency_ms BIGINT NOT NULL,
                estimated INTEGER NOT NULL
            );
            CREATE INDEX ledger_by_time ON ledger (at);
            CREATE INDEX ledger_by_project ON ledger (project_id, at);
            CREATE INDEX ledger_by_key ON ledger (api_key_id, at);
            """),
        (2, """
            CREATE TABLE rate_limits (
                project_id TEXT NOT NULL REFERENCES projects (id),
                model TEXT NOT NULL,
                max_requests_per_1_minute BIGINT NULL,
                max_tokens_per_1_minute BIGINT NULL,
                max_images_per_1_minute BIGINT NULL,
                max_audio_megabytes_per_1_minute BIGINT NULL,
                max_requests_per_1_day BIGINT NULL,
                batch_1_day_max_input_tokens BIGINT NULL,
                PRIMARY KEY (project_id, model)
            );
            CREATE TABLE spend_limits (
                project_id TEXT PRIMARY KEY REFERENCES projects (id),
                threshold_cents BIGINT NOT NULL,
                currency TEXT NOT NULL,
                period TEXT NOT NULL
            );
            CREATE TABLE credit_grants (
                id TEXT PRIMARY KEY,
                project_id TEXT NOT NULL REFERENCES projects (id),
                amount_micros BIGINT NOT NULL,
                effective_at BIGINT NOT NULL,
                expires_at BIGINT NULL,
                created_at BIGINT NOT NULL
            );
            CREATE INDEX credit_grants_by_project ON credit_grants (project_id, effective_at);
            """),
        (3, """
            CREATE TABLE ledger_daily (
                day BIGINT NOT NULL,
                project_id TEXT NOT NULL,
                api_key_id TEXT NOT NULL,
                model TEXT NOT NULL,
                endpoint TEXT NOT NULL,
                requests BIGINT NOT NULL,
                input_tokens BIGINT NOT NULL,
                output_tokens BIGINT NOT NULL,
                cached_tokens BIGINT NOT NULL,
                cost_micros BIGINT NOT NULL,
                PRIMARY KEY (day, project_id, api_key_id, model, endpoint)
            );
            """),
        // Every index is written on each of a ledger's many inserts: queries by key read a time range and filter.
        (4, "DROP INDEX IF EXISTS ledger_by_key;"),
        (5, """
            CREATE TABLE ledger_hourly (
                hour BIGINT NOT NULL,
                project_id TEXT NOT NULL,
                api_key_id TEXT NOT NULL,
                model TEXT NOT NULL,
                endpoint TEXT NOT NULL,
                requests BIGINT NOT NULL,
                input_tokens BIGINT NOT NULL,
                output_tokens BIGINT NOT NULL,
                cached_tokens BIGINT NOT NULL,
                cost_micros BIGINT NOT NULL,
                PRIMARY KEY (hour, project_id, api_key_id, model, endpoint)
            );
            INSERT INTO ledger_hourly (hour, project_id, api_key_id, model, endpoint, requests, input_tokens, output_tokens, cached_tokens, cost_micros)
            SELECT at - at % 3600, COALESCE(project_id, ''), COALESCE(api_key_id, ''), model, endpoint, COUNT(*), SUM(input_tokens), SUM(output_tokens),
                SUM(cached_tokens), SUM(cost_micros)
            FROM ledger WHERE status IN (200, 499)
            GROUP BY at - at % 3600, COALESCE(project_id, ''), COALESCE(api_key_id, ''), model, endpoint;
            """),
        // The model that answered (after aliases and fallback), reasoning tokens, and time to first token of streams;
        // prices set through the admin API (cached by every instance like the keys, so a change moves key_version too).
        (6, """
            ALTER TABLE ledger ADD COLUMN served_model TEXT NULL;
            ALTER TABLE ledger ADD COLUMN reasoning_tokens BIGINT NOT NULL DEFAULT 0;
            ALTER TABLE ledger ADD COLUMN ttft_ms BIGINT NULL;
            CREATE TABLE model_prices (
                model TEXT PRIMARY KEY,
                input_micros BIGINT NOT NULL,
                cached_input_micros BIGINT NOT NULL,
                output_micros BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            );
            """),
        // What admission has handed out per limit and window (requests, tokens, micro-dollars), shared by instances.
        (7, """
            CREATE TABLE admission_counters (
                scope TEXT NOT NULL,
                window_start BIGINT NOT NULL,
                used BIGINT NOT NULL,
                PRIMARY KEY (scope, window_start)
            );
            """),
        // A project key's own limits (our extension), as JSON: requests and tokens per minute, concurrent requests.
        (8, "ALTER TABLE api_keys ADD COLUMN limits TEXT NULL;"),
    ];
}
