using System.Text.Json;
using Switchboard.Storage;

namespace Switchboard.Admin;

/// <summary>The objects of OpenAI's Administration API, as its schema spells them (snake_case, nulls written out).</summary>
internal static class AdminJson
{
    public static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static IResult Ok<T>(T value) => Results.Json(value, Options);
}

internal sealed record ProjectObject(string Id, string Name, long CreatedAt, long? ArchivedAt, string Status, string? ExternalKeyId, string Object = "organization.project")
{
    public static ProjectObject From(ProjectRow p) => new(p.Id, p.Name, p.CreatedAt, p.ArchivedAt, p.ArchivedAt is null ? "active" : "archived", p.ExternalKeyId);
}

internal sealed record ServiceAccountObject(string Id, string Name, string Role, long CreatedAt, string Object = "organization.project.service_account")
{
    public static ServiceAccountObject From(ServiceAccountRow a) => new(a.Id, a.Name, a.Role, a.CreatedAt);
}

/// <summary>A new secret, in the one response that ever carries it.</summary>
internal sealed record ServiceAccountKeyObject(string Value, string Name, long CreatedAt, string Id, string Object = "organization.project.service_account.api_key");

internal sealed record ServiceAccountCreated(string Id, string Name, string Role, long CreatedAt, ServiceAccountKeyObject? ApiKey, string Object = "organization.project.service_account");

internal sealed record KeyOwnerAccount(string Id, string Name, long CreatedAt, string Role, string Object = "organization.project.service_account");

internal sealed record KeyOwner(string Type, KeyOwnerAccount? ServiceAccount);

internal sealed record ProjectKeyObject(string RedactedValue, string Name, long CreatedAt, long? LastUsedAt, string Id, string OwnerProjectAccess, KeyOwner Owner,
    long? ExpiresAt, IReadOnlyList<string>? AllowedModels, Keys.KeyLimits? Limits, string Object = "organization.project.api_key")
{
    public static ProjectKeyObject From(ApiKeyRow k, ServiceAccountRow? account) => new(k.RedactedValue, k.Name, k.CreatedAt, k.LastUsedAt, k.Id, "active",
        new KeyOwner("service_account", account is null ? null : new KeyOwnerAccount(account.Id, account.Name, account.CreatedAt, account.Role)),
        k.ExpiresAt, k.AllowedModels is null ? null : JsonSerializer.Deserialize<string[]>(k.AllowedModels),
        k.Limits is null ? null : JsonSerializer.Deserialize<Keys.KeyLimits>(k.Limits));
}

internal sealed record AdminKeyOwner(string Type, string Id, string Name, long CreatedAt, string Role, string Object = "organization.user");

internal sealed record AdminKeyObject(string Id, string? Name, string RedactedValue, long CreatedAt, long? ExpiresAt, long? LastUsedAt, AdminKeyOwner Owner,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Value = null,
    string Object = "organization.admin_api_key")
{
    public static AdminKeyObject From(ApiKeyRow k, string? value = null) =>
        new(k.Id, k.Name, k.RedactedValue, k.CreatedAt, k.ExpiresAt, k.LastUsedAt, new AdminKeyOwner("service_account", "master", "Switchboard master key", 0, "owner"), value);
}

internal sealed record DeletedObject(string Id, string Object, bool Deleted = true);

/// <summary>OpenAI's list envelope with its cursor fields.</summary>
internal sealed record ListObject<T>(IReadOnlyList<T> Data, string? FirstId, string? LastId, bool HasMore, string Object = "list");
