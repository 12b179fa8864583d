using Switchboard.Configuration;

namespace Switchboard.Tests.Configuration;

public sealed class ConfigurationTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("switchboard-config-");

    public void Dispose() => _dir.Delete(recursive: true);

    private GatewayOptions Read(Dictionary<string, string?>? environment = null, Dictionary<string, string?>? flags = null, string? configFile = null)
    {
        var inputs = new ConfigurationInputs
        {
            WorkingDirectory = _dir.FullName,
            HomeDirectory = _dir.FullName,
            ConfigFile = configFile,
            Environment = environment ?? [],
            Overrides = flags ?? [],
        };
        return GatewayOptionsReader.Read(ConfigurationSources.Build(inputs), _dir.FullName);
    }

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_dir.FullName, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private static string OpenAiKey(GatewayOptions options) => options.Providers.Single(p => p.Name == "openai").ApiKey!;

    [Fact]
    public void Defaults_listen_on_loopback_8080_with_data_in_the_working_directory()
    {
        var options = Read();
        Assert.Equal(["http://127.0.0.1:8080"], options.Urls);
        Assert.Equal(Path.Combine(_dir.FullName, "data"), options.DataDirectory);
        Assert.Empty(options.Providers);
    }

    [Fact]
    public void Sources_override_in_order_openai_config_file_dotenv_environment_flags()
    {
        Write(".openai/config", "[default]\napi_key = sk-openai-config\n");
        Assert.Equal("sk-openai-config", OpenAiKey(Read()));

        Write("switchboard.json", """{ "Providers": { "openai": { "ApiKey": "sk-config-file" } } }""");
        Assert.Equal("sk-config-file", OpenAiKey(Read()));

        Write(".env", "# comment\nSWITCHBOARD__PROVIDERS__OPENAI__APIKEY=\"sk-dotenv\"\n");
        Assert.Equal("sk-dotenv", OpenAiKey(Read()));

        var environment = new Dictionary<string, string?> { ["SWITCHBOARD__PROVIDERS__OPENAI__APIKEY"] = "sk-environment" };
        Assert.Equal("sk-environment", OpenAiKey(Read(environment)));

        var flags = new Dictionary<string, string?> { ["Switchboard:Providers:openai:ApiKey"] = "sk-flag" };
        Assert.Equal("sk-flag", OpenAiKey(Read(environment, flags)));
    }

    [Fact]
    public void OPENAI_API_KEY_in_dotenv_configures_openai()
    {
        Write(".env", "export OPENAI_API_KEY=sk-dotenv-plain\n");
        var openai = Read().Providers.Single();
        Assert.Equal("sk-dotenv-plain", openai.ApiKey);
        Assert.Equal(new Uri("https://api.openai.com/v1"), openai.BaseUrl);
        Assert.Equal(["*"], openai.Models);
    }

    [Fact]
    public void Yaml_config_is_read_with_providers_models_and_durations()
    {
        Write("switchboard.yaml", """
            Providers:
              deepseek:
                BaseUrl: https://api.deepseek.com/v1
                ApiKey: sk-ds
                Timeouts:
                  FirstByte: 45s
                  Idle: 1500ms
            Models:
              chat:
                Providers: [ "deepseek:deepseek-chat" ]
                Aliases: [ cheap ]
                InputPricePerMillion: 0.27
            """);
        var options = Read();
        var deepseek = options.Providers.Single();
        Assert.Equal(TimeSpan.FromSeconds(45), deepseek.Timeouts.FirstByte);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), deepseek.Timeouts.Idle);
        var model = options.Models.Single();
        Assert.Equal(new ModelTarget("deepseek", "deepseek-chat"), model.Targets.Single());
        Assert.Equal(["cheap"], model.Aliases);
        Assert.Equal(270_000, model.InputMicrosPerMillion);
    }

    [Theory]
    [InlineData("Switchboard:Providers:bad:BaseUrl", "ftp://x", "Switchboard:Providers:bad:BaseUrl")]
    [InlineData("Switchboard:Providers:bad:Type", "bedrock", "Switchboard:Providers:bad:Type")]
    [InlineData("Switchboard:Providers:bad:Timeouts:Idle", "soon", "Switchboard:Providers:bad:Timeouts:Idle")]
    [InlineData("Switchboard:Providers:bad:CircuitBreaker:FailureThreshold", "1", "Switchboard:Providers:bad:CircuitBreaker:FailureThreshold")]
    [InlineData("Switchboard:Urls", "localhost:80", "Switchboard:Urls")]
    public void Invalid_values_fail_at_startup_naming_the_key(string key, string value, string named)
    {
        var flags = new Dictionary<string, string?> { ["Switchboard:Providers:bad:BaseUrl"] = "http://127.0.0.1:1/v1", [key] = value };
        var error = Assert.Throws<ConfigurationException>(() => Read(flags: flags));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://0.0.0.0:8080")]
    [InlineData("http://*:8080")]
    [InlineData("http://192.168.1.5:8080")]
    public void Listening_beyond_loopback_needs_a_master_key(string url)
    {
        var error = Assert.Throws<ConfigurationException>(() => Read(flags: new() { ["Switchboard:Urls"] = url }));
        Assert.Contains("Switchboard:Urls", error.Message, StringComparison.Ordinal);
        Assert.Contains("master key", error.Message, StringComparison.Ordinal);
        Assert.Equal("sk-from-env-123", Read(new() { ["SWITCHBOARD_MASTER_KEY"] = "sk-from-env-123" }, new() { ["Switchboard:Urls"] = url }).MasterKey);
        Assert.Equal(["http://localhost:9000"], Read(flags: new() { ["Switchboard:Urls"] = "http://localhost:9000" }).Urls);
    }

    [Fact]
    public void The_store_is_sqlite_under_the_data_directory_unless_a_postgres_connection_string_is_given()
    {
        var options = Read();
        Assert.Null(options.Storage.PostgresConnectionString);
        Assert.Equal(Path.Combine(_dir.FullName, "data", "switchboard.db"), options.Storage.SqlitePath);
        Assert.Equal("Host=db;Database=sb", Read(new() { ["SWITCHBOARD_DATABASE"] = "Host=db;Database=sb" }).Storage.PostgresConnectionString);
        Assert.Equal("Host=flag", Read(new() { ["SWITCHBOARD_DATABASE"] = "Host=env" }, new() { ["Switchboard:Database"] = "Host=flag" }).Storage.PostgresConnectionString);
        var error = Assert.Throws<ConfigurationException>(() => Read(flags: new() { ["Switchboard:Database"] = "postgres" }));
        Assert.Contains("Switchboard:Database", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Prices_come_from_the_built_in_table_the_prices_section_and_configured_models()
    {
        var options = Read(flags: new()
        {
            ["Switchboard:Prices:my-model:Input"] = "1.5",
            ["Switchboard:Prices:my-model:Output"] = "3",
            ["Switchboard:Providers:up:BaseUrl"] = "http://127.0.0.1:1/v1",
            ["Switchboard:Models:house:Providers:0"] = "up:real-model",
            ["Switchboard:Models:house:Aliases:0"] = "house-alias",
            ["Switchboard:Models:house:InputPricePerMillion"] = "2",
            ["Switchboard:Models:house:OutputPricePerMillion"] = "4",
        });
        var prices = new Switchboard.Ledger.Prices(options.Prices, options.Models);
        Assert.Equal(new Switchboard.Ledger.Price(1_500_000, 1_500_000, 3_000_000), prices.For("my-model"));
        Assert.Equal(new Switchboard.Ledger.Price(2_000_000, 2_000_000, 4_000_000), prices.For("house-alias"));
        Assert.Equal(150_000, prices.For("gpt-4o-mini")!.Value.Input);
        Assert.Throws<ConfigurationException>(() => Read(flags: new() { ["Switchboard:Prices:x:Input"] = "cheap" }));
    }

    [Fact]
    public void Azure_without_api_version_and_models_naming_unknown_providers_are_rejected()
    {
        var azure = Assert.Throws<ConfigurationException>(() => Read(flags: new()
        {
            ["Switchboard:Providers:az:Type"] = "azure",
            ["Switchboard:Providers:az:BaseUrl"] = "https://x.openai.azure.com",
        }));
        Assert.Contains("ApiVersion", azure.Message, StringComparison.Ordinal);

        var unknown = Assert.Throws<ConfigurationException>(() => Read(flags: new() { ["Switchboard:Models:m:Providers:0"] = "nobody" }));
        Assert.Contains("'nobody' is not a configured provider", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Broken_config_files_are_reported_with_their_path()
    {
        Write("switchboard.json", "{ \"Providers\": ");
        var error = Assert.Throws<ConfigurationException>(() => Read());
        Assert.Contains("switchboard.json", error.Message, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_with_its_key()
    {
        var error = Assert.Throws<ConfigurationException>(() => Read(flags: new()
        {
            ["Switchboard:Providers:a:BaseUrl"] = "ftp://x",
            ["Switchboard:Providers:a:Timeouts:Idle"] = "soon",
            ["Switchboard:Providers:b:Type"] = "bedrock",
            ["Switchboard:Providers:b:BaseUrl"] = "http://127.0.0.1:1",
            ["Switchboard:Limits:MaxRequestBodyBytes"] = "-5",
            ["Switchboard:Models:m:Providers:0"] = "nobody",
            ["Switchboard:MasterKey"] = "short",
        }));
        Assert.Equal(6, error.Problems.Count);
        foreach (var key in new[] { "Providers:a:BaseUrl", "Providers:a:Timeouts:Idle", "Providers:b:Type", "Limits:MaxRequestBodyBytes", "Models:m:Providers", "MasterKey" })
            Assert.Contains(error.Problems, p => p.StartsWith("Switchboard:" + key + ":", StringComparison.Ordinal));
        Assert.Contains("6 problems", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Switchboard:Providers:p:Timeout:Idle")]
    [InlineData("Switchboard:Providers:p:Apikey:Value")]
    [InlineData("Switchboard:MaxRequestBodyBytes")]
    [InlineData("Switchboard:Limit:MaxConnections")]
    [InlineData("Switchboard:Logging:Levle")]
    public void Keys_nothing_reads_are_reported_rather_than_ignored(string typo)
    {
        var error = Assert.Throws<ConfigurationException>(() => Read(flags: new()
        {
            ["Switchboard:Providers:p:BaseUrl"] = "http://127.0.0.1:1/v1",
            [typo] = "1",
        }));
        Assert.Equal($"{typo}: not a setting Switchboard knows (check its spelling and nesting).", Assert.Single(error.Problems));
    }

    [Fact]
    public void Limits_and_cross_site_settings_are_read_and_checked()
    {
        var options = Read(flags: new()
        {
            ["Switchboard:Limits:MaxRequestBodyBytes"] = "2048",
            ["Switchboard:Limits:MaxBufferedBytes"] = "1048576",
            ["Switchboard:Limits:MaxEventBytes"] = "4096",
            ["Switchboard:Limits:MaxConnections"] = "77",
            ["Switchboard:Cors:AllowedOrigins:0"] = "https://console.example.com",
            ["Switchboard:AllowedHosts"] = "gw.internal, gw2.internal",
        });
        Assert.Equal(2048, options.Limits.MaxRequestBodyBytes);
        Assert.Equal(77, options.Limits.MaxConnections);
        Assert.Equal(["https://console.example.com"], options.CrossSite.AllowedOrigins);
        Assert.Equal(["gw.internal", "gw2.internal"], options.CrossSite.AllowedHosts);

        var error = Assert.Throws<ConfigurationException>(() => Read(flags: new()
        {
            ["Switchboard:Limits:MaxBufferedBytes"] = "1048576",
            ["Switchboard:Cors:AllowedOrigins:0"] = "https://console.example.com/path",
            ["Switchboard:Providers:az:Type"] = "azure",
            ["Switchboard:Providers:az:BaseUrl"] = "https://x.openai.azure.com",
            ["Switchboard:Providers:az:ApiVersion"] = "2024-10-21",
            ["Switchboard:Providers:az:Deployments:gpt-4o"] = "../admin",
        }));
        Assert.Contains(error.Problems, p => p.StartsWith("Switchboard:Limits:MaxBufferedBytes:", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Switchboard:Cors:AllowedOrigins:", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Switchboard:Providers:az:Deployments:gpt-4o:", StringComparison.Ordinal));
    }
}
