using System.CommandLine;
using Switchboard.Configuration;
using Switchboard.Hosting;

namespace Switchboard.Cli;

/// <summary><c>switchboard serve</c>: runs the gateway.</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls") { Description = "Where to listen (default http://127.0.0.1:8080; ';'-separated)." };
        var data = new Option<string>("--data") { Description = "Where to write the database and logs (default ./data)." };
        var config = new Option<string>("--config") { Description = "Config file (default switchboard.json|yaml|yml in the working directory)." };
        var envFile = new Option<string>("--env-file") { Description = ".env file (default .env in the working directory)." };
        var databaseOption = new Option<string>("--database") { Description = "PostgreSQL connection string for projects, keys and the ledger, shared by several gateways (default $SWITCHBOARD_DATABASE, else SQLite under --data)." };
        var modelsDir = new Option<string>("--models-dir") { Description = "Local models directory: each NAME.gguf is served as local/NAME (default $SWITCHBOARD_MODELS_DIR, else ./models)." };
        var command = new Command("serve", "Run the gateway (OpenAI-compatible API under /v1).") { urls, data, config, envFile, modelsDir, databaseOption };
        command.WithExamples("""
            Configuration, later overriding earlier: defaults, ~/.openai/config, config file, .env,
            environment (OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID, SWITCHBOARD__...), flags.

            Examples:
              switchboard serve
              SWITCHBOARD_MASTER_KEY=sk-... switchboard serve --urls http://0.0.0.0:8080 --database "Host=db;Username=sb;Database=sb"
            """);
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            if (parsed.GetValue(urls) is { } listen) overrides[$"{ConfigurationSources.Section}:Urls"] = listen;
            if (parsed.GetValue(data) is { } directory) overrides[$"{ConfigurationSources.Section}:DataDirectory"] = directory;
            if (parsed.GetValue(databaseOption) is { } database) overrides[$"{ConfigurationSources.Section}:Database"] = database;
            if (parsed.GetValue(modelsDir) is { } models) overrides[$"{ConfigurationSources.Section}:Local:ModelsDirectory"] = models;
            var error = parsed.InvocationConfiguration.Error;
            WebApplication app;
            try
            {
                app = GatewayApp.Build(ConfigurationInputs.FromProcess(parsed.GetValue(config), parsed.GetValue(envFile), overrides));
            }
            catch (ConfigurationException e)
            {
                return CommandLine.Fail(error, $"invalid configuration: {e.Message}");
            }
            try
            {
                await app.RunAsync();
                return 0;
            }
            catch (IOException e)
            {
                await error.WriteLineAsync($"switchboard: could not start: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
