using Switchboard.Configuration;
using Switchboard.Hosting;

namespace Switchboard.Cli;

/// <summary>The <c>switchboard</c> command line. Exit codes: 0 ok, 1 runtime failure, 2 bad usage or configuration.</summary>
public static class CommandLine
{
    private const string Usage = """
        Usage: switchboard <command> [options]

        Commands:
          serve     Run the gateway (OpenAI-compatible API under /v1).

        serve options:
          --urls URLS        Where to listen (default http://127.0.0.1:8080; ';'-separated).
          --data DIR         Where to write the database and logs (default ./data).
          --config FILE      Config file (default switchboard.json|yaml|yml in the working directory).
          --env-file FILE    .env file (default .env in the working directory).

        Configuration, later overriding earlier: defaults, ~/.openai/config, config file, .env,
        environment (OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID, SWITCHBOARD__...), flags.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] is "--version")
        {
            Console.WriteLine(typeof(CommandLine).Assembly.GetName().Version);
            return 0;
        }
        if (args[0] != "serve")
            return Fail($"unknown command '{args[0]}'. Run 'switchboard --help' for the list.");

        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        string? configFile = null, envFile = null;
        for (var i = 1; i < args.Length; i++)
        {
            var (name, value) = SplitFlag(args, ref i);
            if (value is null && name is "--urls" or "--data" or "--config" or "--env-file")
                return Fail($"{name} needs a value.");
            switch (name)
            {
                case "--urls": overrides[$"{ConfigurationSources.Section}:Urls"] = value; break;
                case "--data": overrides[$"{ConfigurationSources.Section}:DataDirectory"] = value; break;
                case "--config": configFile = value; break;
                case "--env-file": envFile = value; break;
                default: return Fail($"unknown option '{name}' for serve. Run 'switchboard --help'.");
            }
        }

        WebApplication app;
        try
        {
            app = GatewayApp.Build(ConfigurationInputs.FromProcess(configFile, envFile, overrides));
        }
        catch (ConfigurationException e)
        {
            return Fail($"invalid configuration: {e.Message}");
        }
        try
        {
            await app.RunAsync();
            return 0;
        }
        catch (IOException e)
        {
            await Console.Error.WriteLineAsync($"switchboard: could not start: {e.Message}");
            return 1;
        }
    }

    private static (string Name, string? Value) SplitFlag(string[] args, ref int i)
    {
        var arg = args[i];
        var eq = arg.IndexOf('=', StringComparison.Ordinal);
        if (eq > 0) return (arg[..eq], arg[(eq + 1)..]);
        return i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? (arg, args[++i]) : (arg, null);
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"switchboard: {message}");
        return 2;
    }
}
