using System.CommandLine;
using Switchboard.Configuration;

namespace Switchboard.Cli.Client;

/// <summary>
/// <c>--base-url</c>, <c>--api-key</c>, <c>--org</c> and <c>--admin-key</c> on a command and its subcommands, read like
/// the SDKs read them and from the gateway's own sources in the gateway's order (one implementation for both):
/// <c>~/.openai/config</c>, the config file, <c>.env</c>, the environment (<c>OPENAI_BASE_URL</c>,
/// <c>OPENAI_API_KEY</c>, <c>OPENAI_ORG_ID</c>, <c>SWITCHBOARD_MASTER_KEY</c>), then these flags. Admin commands take
/// their base URL from <c>--base-url</c> or <c>SWITCHBOARD_URL</c> only.
/// </summary>
internal sealed class ConnectionOptions
{
    private readonly Option<string> _baseUrl = new("--base-url")
    {
        Description = $"The API's base URL (default $OPENAI_BASE_URL, else {Connection.DefaultBaseUrl}).", Recursive = true,
    };
    private readonly Option<string> _apiKey = new("--api-key")
    {
        Description = "The API key (default $OPENAI_API_KEY, also read from .env and ~/.openai/config).", Recursive = true,
    };
    private readonly Option<string> _organization = new("--org") { Description = "The organization id to send (default $OPENAI_ORG_ID).", Recursive = true };
    private readonly Option<string> _adminKey = new("--admin-key")
    {
        Description = "The master or an admin key (default $SWITCHBOARD_MASTER_KEY). Sent only to --base-url or $SWITCHBOARD_URL, else to http://127.0.0.1:8080/v1.", Recursive = true,
    };

    private bool _admin;

    /// <summary>Adds the flags; <paramref name="admin"/> also takes <c>--admin-key</c> and changes where the base URL comes from (see <see cref="Resolve"/>).</summary>
    public void AddTo(Command command, bool admin = false)
    {
        _admin = admin;
        command.Add(_baseUrl);
        command.Add(_apiKey);
        command.Add(_organization);
        if (admin) command.Add(_adminKey);
    }

    /// <summary>The connection the flags and sources give, or the problem with them (a usage error).</summary>
    public (Connection? Connection, string? Problem) Resolve(ParseResult parsed, CliContext context)
    {
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (parsed.GetValue(_baseUrl) is { } baseUrl) overrides["OPENAI_BASE_URL"] = baseUrl;
        if (parsed.GetValue(_apiKey) is { } apiKey) overrides["OPENAI_API_KEY"] = apiKey;
        if (parsed.GetValue(_organization) is { } organization) overrides["OPENAI_ORG_ID"] = organization;
        if (parsed.GetValue(_adminKey) is { } adminKey) overrides[$"{ConfigurationSources.Section}:MasterKey"] = adminKey;
        IConfigurationRoot settings;
        try
        {
            settings = ConfigurationSources.Build(new ConfigurationInputs
            {
                WorkingDirectory = context.WorkingDirectory,
                HomeDirectory = context.HomeDirectory,
                Environment = context.Environment,
                Overrides = overrides,
            });
        }
        catch (ConfigurationException e)
        {
            return (null, e.Message);
        }
        // The gateway reads OPENAI_BASE_URL as its upstream's address, so in a gateway's own directory it may name a
        // third party: the master or an admin key goes only where --base-url or SWITCHBOARD_URL says, else to loopback.
        var url = _admin
            ? parsed.GetValue(_baseUrl) ?? (context.Environment.TryGetValue("SWITCHBOARD_URL", out var gateway) && !string.IsNullOrWhiteSpace(gateway) ? gateway : Connection.DefaultBaseUrl)
            : settings["OPENAI_BASE_URL"] ?? Connection.DefaultBaseUrl;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return (null, $"'{url}' is not an http(s) URL (from --base-url, {(_admin ? "SWITCHBOARD_URL" : "OPENAI_BASE_URL")}).");
        return (new Connection(uri, Blank(settings["OPENAI_API_KEY"]), Blank(settings["OPENAI_ORG_ID"]),
            Blank(settings[$"{ConfigurationSources.Section}:MasterKey"])), null);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
