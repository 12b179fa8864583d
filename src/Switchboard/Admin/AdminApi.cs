using Switchboard.Authentication;
using Switchboard.Errors;
using Switchboard.Keys;
using Switchboard.Storage;

namespace Switchboard.Admin;

/// <summary>
/// OpenAI's Administration API under <c>/v1/organization</c>, same paths, parameters and shapes: projects, their
/// service accounts and API keys, and admin API keys. Secrets are returned once, at creation; only their hashes are
/// stored. Every key change reloads this instance's key cache at once (other instances follow within
/// <c>Keys:RefreshInterval</c>).
/// </summary>
internal static class AdminApi
{
    /// <summary>The project that exists from the first start, so a first key has somewhere to live.</summary>
    public const string DefaultProjectId = "proj_default";

    public static IEndpointRouteBuilder MapAdminApi(this IEndpointRouteBuilder app)
    {
        var organization = app.MapGroup("/v1/organization").WithMetadata(new AdminEndpointAttribute()).WithTags("Administration");
        var projects = organization.MapGroup("/projects");
        projects.MapGet("", ListProjects);
        projects.MapPost("", CreateProject);
        projects.MapGet("/{projectId}", RetrieveProject);
        projects.MapPost("/{projectId}", ModifyProject);
        projects.MapPost("/{projectId}/archive", ArchiveProject);
        projects.MapGet("/{projectId}/service_accounts", ListServiceAccounts);
        projects.MapPost("/{projectId}/service_accounts", CreateServiceAccount);
        projects.MapGet("/{projectId}/service_accounts/{accountId}", RetrieveServiceAccount);
        projects.MapDelete("/{projectId}/service_accounts/{accountId}", DeleteServiceAccount);
        projects.MapPost("/{projectId}/service_accounts/{accountId}/api_keys", CreateServiceAccountKey);
        projects.MapGet("/{projectId}/api_keys", ListProjectKeys);
        projects.MapGet("/{projectId}/api_keys/{keyId}", RetrieveProjectKey);
        projects.MapPost("/{projectId}/api_keys/{keyId}", ModifyProjectKey).WithTags("Switchboard extensions");
        projects.MapDelete("/{projectId}/api_keys/{keyId}", DeleteProjectKey);
        projects.MapLimitsApi();
        organization.MapGet("/admin_api_keys", ListAdminKeys);
        organization.MapPost("/admin_api_keys", CreateAdminKey);
        organization.MapGet("/admin_api_keys/{keyId}", RetrieveAdminKey);
        organization.MapDelete("/admin_api_keys/{keyId}", DeleteAdminKey);
        organization.MapUsageApi();
        organization.MapPricesApi();
        return app;
    }

    private static long Now(TimeProvider time) => time.GetUtcNow().ToUnixTimeSeconds();

    private static ErrorResult NoProject(string id) => new(GatewayErrors.NotFound("project", id, "project_id"));

    // ---- projects ----

    private static async Task<IResult> ListProjects(HttpRequest request, Store store)
    {
        var (limit, after, error) = AdminRequests.Page(request);
        if (error is not null) return new ErrorResult(error);
        var includeArchived = request.Query["include_archived"].ToString() is "true" or "1";
        var rows = await store.ListProjectsAsync(after, limit + 1, includeArchived);
        return AdminJson.Ok(AdminRequests.List(rows, limit, ProjectObject.From, p => p.Id));
    }

    private static async Task<IResult> CreateProject(HttpContext context, Store store, TimeProvider time)
    {
        var (body, error) = await AdminRequests.ReadObjectAsync(context);
        var (name, nameError) = error is null ? AdminRequests.String(body, "name", required: true) : (null, error);
        if (nameError is not null) return new ErrorResult(nameError);
        var (external, externalError) = AdminRequests.String(body, "external_key_id", required: false);
        if (externalError is not null) return new ErrorResult(externalError);
        var project = new ProjectRow { Id = ApiKeySecrets.NewId("proj_"), Name = name!, CreatedAt = Now(time), ExternalKeyId = external };
        await store.InsertProjectAsync(project);
        return AdminJson.Ok(ProjectObject.From(project));
    }

    private static async Task<IResult> RetrieveProject(string projectId, Store store) =>
        await store.GetProjectAsync(projectId) is { } project ? AdminJson.Ok(ProjectObject.From(project)) : NoProject(projectId);

    private static async Task<IResult> ModifyProject(string projectId, HttpContext context, Store store)
    {
        var (body, error) = await AdminRequests.ReadObjectAsync(context);
        var (name, nameError) = error is null ? AdminRequests.String(body, "name", required: true) : (null, error);
        if (nameError is not null) return new ErrorResult(nameError);
        if (await store.GetProjectAsync(projectId) is not { } project) return NoProject(projectId);
        if (project.ArchivedAt is not null) return new ErrorResult(GatewayErrors.InvalidValue("project_id", "an archived project cannot be modified."));
        return AdminJson.Ok(ProjectObject.From((await store.RenameProjectAsync(projectId, name!))!));
    }

    private static async Task<IResult> ArchiveProject(string projectId, Store store, StoreSync keys, TimeProvider time)
    {
        if (projectId == DefaultProjectId) return new ErrorResult(GatewayErrors.InvalidValue("project_id", "the default project cannot be archived."));
        if (await store.ArchiveProjectAsync(projectId, Now(time)) is not { } project) return NoProject(projectId);
        await keys.ReloadAsync();
        return AdminJson.Ok(ProjectObject.From(project));
    }

    // ---- service accounts ----

    private static async Task<IResult> ListServiceAccounts(string projectId, HttpRequest request, Store store)
    {
        var (limit, after, error) = AdminRequests.Page(request);
        if (error is not null) return new ErrorResult(error);
        if (await store.GetProjectAsync(projectId) is null) return NoProject(projectId);
        var rows = await store.ListServiceAccountsAsync(projectId, after, limit + 1);
        return AdminJson.Ok(AdminRequests.List(rows, limit, ServiceAccountObject.From, a => a.Id));
    }

    private static async Task<IResult> CreateServiceAccount(string projectId, HttpContext context, Store store, StoreSync keys, TimeProvider time)
    {
        var (body, error) = await AdminRequests.ReadObjectAsync(context);
        var (name, nameError) = error is null ? AdminRequests.String(body, "name", required: true) : (null, error);
        if (nameError is not null) return new ErrorResult(nameError);
        var accountOnly = body.TryGetProperty("create_service_account_only", out var flag) && flag.ValueKind == System.Text.Json.JsonValueKind.True;
        var (extensions, extensionError) = KeyExtensions(body, Now(time));
        if (extensionError is not null) return new ErrorResult(extensionError);
        if (await store.GetProjectAsync(projectId) is not { } project) return NoProject(projectId);
        if (project.ArchivedAt is not null) return new ErrorResult(GatewayErrors.InvalidValue("project_id", "an archived project cannot have new service accounts."));
        var now = Now(time);
        var account = new ServiceAccountRow { Id = ApiKeySecrets.NewId("svc_acct_"), ProjectId = projectId, Name = name!, Role = accountOnly ? "none" : "member", CreatedAt = now };
        var (key, secret) = accountOnly ? (null, null) : NewProjectKey(projectId, account.Id, "Secret Key", now, extensions);
        await store.InsertServiceAccountAsync(account, key);
        if (key is not null) await keys.ReloadAsync();
        return AdminJson.Ok(new ServiceAccountCreated(account.Id, account.Name, account.Role, now,
            key is null ? null : new ServiceAccountKeyObject(secret!, key.Name, now, key.Id)));
    }

    private static async Task<IResult> RetrieveServiceAccount(string projectId, string accountId, Store store) =>
        await store.GetServiceAccountAsync(projectId, accountId) is { } account
            ? AdminJson.Ok(ServiceAccountObject.From(account))
            : new ErrorResult(GatewayErrors.NotFound("service account", accountId, "service_account_id"));

    private static async Task<IResult> DeleteServiceAccount(string projectId, string accountId, Store store, StoreSync keys, TimeProvider time)
    {
        if (!await store.DeleteServiceAccountAsync(projectId, accountId, Now(time)))
            return new ErrorResult(GatewayErrors.NotFound("service account", accountId, "service_account_id"));
        await keys.ReloadAsync();
        return AdminJson.Ok(new DeletedObject(accountId, "organization.project.service_account.deleted"));
    }

    private static async Task<IResult> CreateServiceAccountKey(string projectId, string accountId, HttpContext context, Store store, StoreSync keys, TimeProvider time)
    {
        var (body, error) = await AdminRequests.ReadObjectAsync(context);
        var (name, nameError) = error is null ? AdminRequests.String(body, "name", required: false) : (null, error);
        if (nameError is not null) return new ErrorResult(nameError);
        var now = Now(time);
        var (extensions, extensionError) = KeyExtensions(body, now);
        if (extensionError is not null) return new ErrorResult(extensionError);
        if (await store.GetServiceAccountAsync(projectId, accountId) is null)
            return new ErrorResult(GatewayErrors.NotFound("service account", accountId, "service_account_id"));
        var (key, secret) = NewProjectKey(projectId, accountId, name ?? "Secret Key", now, extensions);
        await store.InsertKeyAsync(key);
        await keys.ReloadAsync();
        return AdminJson.Ok(new ServiceAccountKeyObject(secret, key.Name, now, key.Id));
    }

    private static (ApiKeyRow Key, string Secret) NewProjectKey(string projectId, string accountId, string name, long now,
        (long? ExpiresAt, string? AllowedModels, string? Limits) extensions)
    {
        var secret = ApiKeySecrets.NewSecret(admin: false);
        return (new ApiKeyRow
        {
            Id = ApiKeySecrets.NewId("key_"), Kind = ApiKeyRow.ProjectKind, ProjectId = projectId, ServiceAccountId = accountId, Name = name,
            SecretHash = ApiKeySecrets.Hash(secret), RedactedValue = ApiKeySecrets.Redact(secret), CreatedAt = now,
            ExpiresAt = extensions.ExpiresAt, AllowedModels = extensions.AllowedModels, Limits = extensions.Limits,
        }, secret);
    }

    /// <summary>
    /// Our extensions on a new project key: <c>expires_in_seconds</c> (up to ten years), <c>allowed_models</c> (the
    /// model names it may call; absent for any) and <c>limits</c> (<see cref="KeyLimits"/>).
    /// </summary>
    private static ((long? ExpiresAt, string? AllowedModels, string? Limits) Extensions, OpenAiError? Error) KeyExtensions(System.Text.Json.JsonElement body, long now)
    {
        long? expiresAt = null;
        if (body.TryGetProperty("expires_in_seconds", out var expires) && expires.ValueKind != System.Text.Json.JsonValueKind.Null)
        {
            if (!expires.TryGetInt64(out var seconds) || seconds is < 1 or > 315_360_000)
                return (default, GatewayErrors.InvalidValue("expires_in_seconds", "it must be a whole number of seconds from 1 to 315360000 (ten years)."));
            expiresAt = now + seconds;
        }
        string? allowed = null;
        if (body.TryGetProperty("allowed_models", out var models) && models.ValueKind != System.Text.Json.JsonValueKind.Null)
        {
            if (models.ValueKind != System.Text.Json.JsonValueKind.Array || models.GetArrayLength() is 0 or > 1000
                || models.EnumerateArray().Any(m => m.ValueKind != System.Text.Json.JsonValueKind.String || m.GetString()!.Length is 0 or > 256))
                return (default, GatewayErrors.InvalidValue("allowed_models", "it must be a list of 1 to 1000 model names."));
            allowed = System.Text.Json.JsonSerializer.Serialize(models.EnumerateArray().Select(m => m.GetString()!).Distinct().ToArray());
        }
        string? limits = null;
        if (body.TryGetProperty("limits", out var given))
        {
            (limits, var limitsError) = KeyLimitsRequest.Read(given);
            if (limitsError is not null) return (default, limitsError);
        }
        return ((expiresAt, allowed, limits), null);
    }

    // ---- project API keys ----

    private static async Task<IResult> ListProjectKeys(string projectId, HttpRequest request, Store store)
    {
        var (limit, after, error) = AdminRequests.Page(request);
        if (error is not null) return new ErrorResult(error);
        if (await store.GetProjectAsync(projectId) is null) return NoProject(projectId);
        var rows = await store.ListKeysAsync(ApiKeyRow.ProjectKind, projectId, after, limit + 1);
        var accounts = (await store.ListServiceAccountsAsync(projectId, null, 10_000)).ToDictionary(a => a.Id);
        return AdminJson.Ok(AdminRequests.List(rows, limit, k => ProjectKeyObject.From(k, k.ServiceAccountId is { } a ? accounts.GetValueOrDefault(a) : null), k => k.Id));
    }

    private static async Task<IResult> RetrieveProjectKey(string projectId, string keyId, Store store)
    {
        if (await store.GetKeyAsync(ApiKeyRow.ProjectKind, projectId, keyId) is not { } key)
            return new ErrorResult(GatewayErrors.NotFound("API key", keyId, "api_key_id"));
        var account = key.ServiceAccountId is { } id ? await store.GetServiceAccountAsync(projectId, id) : null;
        return AdminJson.Ok(ProjectKeyObject.From(key, account));
    }

    /// <summary>
    /// Our extension (OpenAI's keys cannot be changed): renames a project key (<c>name</c>) and replaces its own
    /// <c>limits</c> (<see cref="KeyLimits"/>; null removes them). A member left out keeps its value.
    /// </summary>
    private static async Task<IResult> ModifyProjectKey(string projectId, string keyId, HttpContext context, Store store, StoreSync keys)
    {
        var (body, error) = await AdminRequests.ReadObjectAsync(context);
        if (error is not null) return new ErrorResult(error);
        if (await store.GetKeyAsync(ApiKeyRow.ProjectKind, projectId, keyId) is not { } key)
            return new ErrorResult(GatewayErrors.NotFound("API key", keyId, "api_key_id"));
        var name = key.Name;
        if (body.TryGetProperty("name", out _))
        {
            var (given, nameError) = AdminRequests.String(body, "name", required: true);
            if (nameError is not null) return new ErrorResult(nameError);
            name = given!;
        }
        var limits = key.Limits;
        if (body.TryGetProperty("limits", out var givenLimits))
        {
            (limits, var limitsError) = KeyLimitsRequest.Read(givenLimits);
            if (limitsError is not null) return new ErrorResult(limitsError);
        }
        if (!await store.ModifyKeyAsync(projectId, keyId, name, limits))
            return new ErrorResult(GatewayErrors.NotFound("API key", keyId, "api_key_id"));
        await keys.ReloadAsync();
        var account = key.ServiceAccountId is { } id ? await store.GetServiceAccountAsync(projectId, id) : null;
        return AdminJson.Ok(ProjectKeyObject.From(key with { Name = name, Limits = limits }, account));
    }

    private static async Task<IResult> DeleteProjectKey(string projectId, string keyId, Store store, StoreSync keys, TimeProvider time)
    {
        if (!await store.RevokeKeyAsync(ApiKeyRow.ProjectKind, projectId, keyId, Now(time)))
            return new ErrorResult(GatewayErrors.NotFound("API key", keyId, "api_key_id"));
        await keys.ReloadAsync();
        return AdminJson.Ok(new DeletedObject(keyId, "organization.project.api_key.deleted"));
    }

    // ---- admin API keys ----

    private static async Task<IResult> ListAdminKeys(HttpRequest request, Store store)
    {
        var (limit, after, error) = AdminRequests.Page(request);
        if (error is not null) return new ErrorResult(error);
        var descending = request.Query["order"].ToString() == "desc";
        var rows = await store.ListKeysAsync(ApiKeyRow.AdminKind, null, after, limit + 1, descending);
        return AdminJson.Ok(AdminRequests.List(rows, limit, k => AdminKeyObject.From(k), k => k.Id));
    }

    private static async Task<IResult> CreateAdminKey(HttpContext context, Store store, StoreSync keys, TimeProvider time)
    {
        var (body, error) = await AdminRequests.ReadObjectAsync(context);
        var (name, nameError) = error is null ? AdminRequests.String(body, "name", required: true) : (null, error);
        if (nameError is not null) return new ErrorResult(nameError);
        long? expiresIn = null;
        if (body.TryGetProperty("expires_in_seconds", out var expires) && expires.ValueKind != System.Text.Json.JsonValueKind.Null)
        {
            if (!expires.TryGetInt64(out var seconds) || seconds is < 1 or > 31_536_000)
                return new ErrorResult(GatewayErrors.InvalidValue("expires_in_seconds", "it must be an integer from 1 to 31536000."));
            expiresIn = seconds;
        }
        var now = Now(time);
        var secret = ApiKeySecrets.NewSecret(admin: true);
        var key = new ApiKeyRow
        {
            Id = ApiKeySecrets.NewId("key_"), Kind = ApiKeyRow.AdminKind, Name = name!, SecretHash = ApiKeySecrets.Hash(secret),
            RedactedValue = ApiKeySecrets.Redact(secret), CreatedAt = now, ExpiresAt = now + expiresIn,
        };
        await store.InsertKeyAsync(key);
        await keys.ReloadAsync();
        return AdminJson.Ok(AdminKeyObject.From(key, secret));
    }

    private static async Task<IResult> RetrieveAdminKey(string keyId, Store store) =>
        await store.GetKeyAsync(ApiKeyRow.AdminKind, null, keyId) is { } key
            ? AdminJson.Ok(AdminKeyObject.From(key))
            : new ErrorResult(GatewayErrors.NotFound("admin API key", keyId, "key_id"));

    private static async Task<IResult> DeleteAdminKey(string keyId, Store store, StoreSync keys, TimeProvider time)
    {
        if (!await store.RevokeKeyAsync(ApiKeyRow.AdminKind, null, keyId, Now(time)))
            return new ErrorResult(GatewayErrors.NotFound("admin API key", keyId, "key_id"));
        await keys.ReloadAsync();
        return AdminJson.Ok(new DeletedObject(keyId, "organization.admin_api_key.deleted"));
    }
}
