using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace Switchboard.Configuration;

/// <summary>
/// Layers the configuration sources PRODUCT.md lists, later overriding earlier: defaults,
/// <c>~/.openai/config</c>, the config file, <c>.env</c>, the environment, command-line flags.
/// </summary>
public static class ConfigurationSources
{
    public const string Section = "Switchboard";
    private static readonly string[] DefaultConfigFiles = ["switchboard.json", "switchboard.yaml", "switchboard.yml"];
    private static readonly string[] OpenAiVariables = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID"];

    public static IConfigurationRoot Build(ConfigurationInputs inputs)
    {
        var builder = new ConfigurationBuilder();
        if (inputs.HomeDirectory is { } home)
            builder.AddInMemoryCollection(ReadOpenAiConfig(Path.Combine(home, ".openai", "config")));
        builder.AddInMemoryCollection(ReadConfigFile(inputs));
        builder.AddInMemoryCollection(ReadDotEnv(inputs));
        builder.AddInMemoryCollection(MapEnvironment(inputs.Environment));
        builder.AddInMemoryCollection(inputs.Overrides);
        return builder.Build();
    }

    /// <summary>The classic OpenAI CLI file: an INI with <c>[default]</c> and <c>api_key = …</c>.</summary>
    internal static Dictionary<string, string?> ReadOpenAiConfig(string path)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (!File.Exists(path)) return values;
        var section = "";
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            if (line[0] == '[' && line[^1] == ']') { section = line[1..^1].Trim(); continue; }
            if (!section.Equals("default", StringComparison.OrdinalIgnoreCase)) continue;
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) continue;
            var key = line[..eq].Trim().ToUpperInvariant();
            var value = Unquote(line[(eq + 1)..].Trim());
            var mapped = key switch
            {
                "API_KEY" => "OPENAI_API_KEY",
                "BASE_URL" or "API_BASE" => "OPENAI_BASE_URL",
                "ORGANIZATION" or "ORG_ID" => "OPENAI_ORG_ID",
                _ => null,
            };
            if (mapped is not null) values[mapped] = value;
        }
        return values;
    }

    private static Dictionary<string, string?> ReadConfigFile(ConfigurationInputs inputs)
    {
        var path = inputs.ConfigFile is { } explicitPath
            ? Path.GetFullPath(explicitPath, inputs.WorkingDirectory)
            : DefaultConfigFiles
                .Select(name => Path.Combine(inputs.WorkingDirectory, name))
                .FirstOrDefault(File.Exists);
        if (path is null) return [];
        if (!File.Exists(path)) throw new ConfigurationException($"Config file '{path}' does not exist (given with --config).");
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var text = File.ReadAllText(path);
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                using var document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
                FlattenJson(document.RootElement, Section, values);
            }
            catch (JsonException e)
            {
                throw new ConfigurationException($"Config file '{path}' is not valid JSON: {e.Message}");
            }
        }
        else
        {
            try
            {
                var stream = new YamlStream();
                stream.Load(new StringReader(text));
                if (stream.Documents.Count > 0) FlattenYaml(stream.Documents[0].RootNode, Section, values);
            }
            catch (YamlDotNet.Core.YamlException e)
            {
                throw new ConfigurationException($"Config file '{path}' is not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}");
            }
        }
        return values;
    }

    private static void FlattenJson(JsonElement element, string prefix, Dictionary<string, string?> into)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                    FlattenJson(property.Value, $"{prefix}:{property.Name}", into);
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray())
                    FlattenJson(item, $"{prefix}:{i++}", into);
                break;
            case JsonValueKind.Null:
                into[prefix] = null;
                break;
            case JsonValueKind.String:
                into[prefix] = element.GetString();
                break;
            default:
                into[prefix] = element.GetRawText();
                break;
        }
    }

    private static void FlattenYaml(YamlNode node, string prefix, Dictionary<string, string?> into)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (key, value) in mapping.Children)
                    FlattenYaml(value, $"{prefix}:{((YamlScalarNode)key).Value}", into);
                break;
            case YamlSequenceNode sequence:
                for (var i = 0; i < sequence.Children.Count; i++)
                    FlattenYaml(sequence.Children[i], $"{prefix}:{i}", into);
                break;
            case YamlScalarNode scalar:
                into[prefix] = scalar.Value;
                break;
        }
    }

    private static Dictionary<string, string?> ReadDotEnv(ConfigurationInputs inputs)
    {
        var path = inputs.EnvFile is { } explicitPath
            ? Path.GetFullPath(explicitPath, inputs.WorkingDirectory)
            : Path.Combine(inputs.WorkingDirectory, ".env");
        if (!File.Exists(path))
        {
            if (inputs.EnvFile is not null) throw new ConfigurationException($".env file '{path}' does not exist (given with --env-file).");
            return [];
        }
        var variables = new Dictionary<string, string?>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            if (line.StartsWith("export ", StringComparison.Ordinal)) line = line[7..].TrimStart();
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new ConfigurationException($".env file '{path}' line {lineNumber}: expected KEY=VALUE.");
            variables[line[..eq].Trim()] = Unquote(line[(eq + 1)..].Trim());
        }
        return MapEnvironment(variables);
    }

    /// <summary>Plain variables deployments set, and the setting each stands for.</summary>
    private static readonly Dictionary<string, string> PlainVariables = new(StringComparer.Ordinal)
    {
        ["SWITCHBOARD_MASTER_KEY"] = "MasterKey",
        ["SWITCHBOARD_DATABASE"] = "Database",
    };

    /// <summary>
    /// Keeps the OpenAI variables as they are, maps <c>SWITCHBOARD__A__B</c> to <c>Switchboard:A:B</c> and the plain
    /// <c>SWITCHBOARD_MASTER_KEY</c> / <c>SWITCHBOARD_DATABASE</c> to their settings (the double-underscore form wins); ignores the rest.
    /// </summary>
    private static Dictionary<string, string?> MapEnvironment(IReadOnlyDictionary<string, string?> variables)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in variables)
        {
            if (OpenAiVariables.Contains(key, StringComparer.Ordinal))
            {
                if (!string.IsNullOrEmpty(value)) values[key] = value;
            }
            else if (key.StartsWith("SWITCHBOARD__", StringComparison.OrdinalIgnoreCase))
            {
                values[Section + ":" + key["SWITCHBOARD__".Length..].Replace("__", ":", StringComparison.Ordinal)] = value;
            }
        }
        foreach (var (variable, setting) in PlainVariables)
        {
            if (variables.TryGetValue(variable, out var value) && !string.IsNullOrEmpty(value)) values.TryAdd(Section + ":" + setting, value);
        }
        return values;
    }

    private static string Unquote(string value) =>
        value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0] ? value[1..^1] : value;
}
