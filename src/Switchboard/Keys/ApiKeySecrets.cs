using System.Security.Cryptography;
using System.Text;

namespace Switchboard.Keys;

/// <summary>
/// Secrets and identifiers. A secret is 256 bits from the system's CSPRNG behind a prefix that says what it is
/// (<c>sk-sb-</c> project keys, <c>sk-sb-admin-</c> admin keys); it is shown once and only its SHA-256 is kept.
/// </summary>
internal static class ApiKeySecrets
{
    public const string ProjectPrefix = "sk-sb-";
    public const string AdminPrefix = "sk-sb-admin-";

    // Longer than any secret we issue (prefix + 43), short enough that hashing what a client sends costs nothing.
    public const int MaxSecretBytes = 256;

    public static string NewSecret(bool admin) =>
        (admin ? AdminPrefix : ProjectPrefix) + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The lower-case hex SHA-256 of a secret's UTF-8: what is stored and what lookups compare.</summary>
    public static string Hash(ReadOnlySpan<char> secret)
    {
        Span<byte> utf8 = stackalloc byte[MaxSecretBytes * 3];
        var length = Encoding.UTF8.GetBytes(secret[..Math.Min(secret.Length, MaxSecretBytes)], utf8);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(utf8[..length], digest);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>OpenAI's <c>redacted_value</c>: the prefix and the last four characters.</summary>
    public static string Redact(string secret)
    {
        var prefix = secret.StartsWith(AdminPrefix, StringComparison.Ordinal) ? AdminPrefix : ProjectPrefix;
        return $"{prefix}…{secret[^4..]}";
    }

    /// <summary>
    /// An object id in OpenAI's style (<c>proj_</c>, <c>svc_acct_</c>, <c>key_</c> …): the creation time in milliseconds,
    /// then 48 random bits, so ids sort in creation order (lists page by them) within one second too.
    /// </summary>
    public static string NewId(string prefix)
    {
        Span<byte> id = stackalloc byte[12];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(id, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 16);
        RandomNumberGenerator.Fill(id[6..]);
        return prefix + Convert.ToHexStringLower(id);
    }
}
