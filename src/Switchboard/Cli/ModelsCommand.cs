using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Switchboard.LocalModels;

namespace Switchboard.Cli;

/// <summary><c>switchboard models pull|list|rm</c>: the local models directory.</summary>
internal static class ModelsCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var directory = new Option<string>("--models-dir") { Description = $"The models directory (default: ${ModelsDirectory.EnvironmentVariable}, else ./models).", Recursive = true };
        var command = new Command("models", "Download, list and remove local models (GGUF files).") { directory };
        command.Add(Pull(directory, output, error));
        command.Add(List(directory, output));
        command.Add(Remove(directory, output, error));
        return command;
    }

    private static Command Pull(Option<string> directory, TextWriter output, TextWriter error)
    {
        var source = new Argument<string>("model") { Description = $"A short name ({string.Join(", ", KnownModels.All.Select(m => m.Name))}) or an http(s) URL of a .gguf file." };
        var sha256 = new Option<string>("--sha256") { Description = "The file's SHA-256, to verify against (else the server's, when it says)." };
        var name = new Option<string>("--name") { Description = "The name to save a URL's file under (default: the file's name)." };
        var command = new Command("pull", "Download a model into the models directory (resumes an interrupted download; HF_ENDPOINT selects a Hugging Face mirror).") { source, sha256, name };
        command.WithExamples("""
            Examples:
              switchboard models pull qwen2.5-0.5b-instruct
              HF_ENDPOINT=https://hf-mirror.com switchboard models pull smollm2-135m-instruct
              switchboard models pull https://example.com/model.Q4_K_M.gguf --name my-model --sha256 <64 hex digits>
            """);
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var models = ModelsDirectory.Resolve(parsed.GetValue(directory));
            var requested = parsed.GetRequiredValue(source);
            Uri url;
            string modelName;
            var expected = parsed.GetValue(sha256);
            if (Uri.TryCreate(requested, UriKind.Absolute, out var given) && (given.Scheme == Uri.UriSchemeHttps || given.Scheme == Uri.UriSchemeHttp))
            {
                var file = Path.GetFileName(given.AbsolutePath);
                if (!file.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
                    return CommandLine.Fail(error, $"'{file}' is not a .gguf file; local models are GGUF files.");
                url = given;
                modelName = parsed.GetValue(name) ?? file[..^".gguf".Length];
            }
            else if (KnownModels.Find(requested) is { } known)
            {
                var endpoint = Environment.GetEnvironmentVariable("HF_ENDPOINT");
                if (!string.IsNullOrWhiteSpace(endpoint) && !Uri.TryCreate(endpoint, UriKind.Absolute, out _))
                    return CommandLine.Fail(error, $"HF_ENDPOINT '{endpoint}' is not an absolute URL such as https://hf-mirror.com.");
                url = known.Url(endpoint);
                modelName = parsed.GetValue(name) ?? known.Name;
                expected ??= known.Sha256;
            }
            else
            {
                return CommandLine.Fail(error, $"no model is called '{requested}'. Known names: {string.Join(", ", KnownModels.All.Select(m => m.Name))}; or give an https URL of a .gguf file.");
            }
            if (models.FileFor(modelName) is not { } destination)
                return CommandLine.Fail(error, $"'{modelName}' cannot be a model name: use letters, digits, '.', '_' and '-' (--name sets it).");
            if (expected is not null && (expected.Length != 64 || !expected.All(char.IsAsciiHexDigit)))
                return CommandLine.Fail(error, "--sha256 needs 64 hexadecimal digits.");
            if (File.Exists(destination))
            {
                await output.WriteLineAsync($"local/{modelName} is already in {models.Path}.");
                return 0;
            }
            Directory.CreateDirectory(models.Path);

            using var http = ModelDownloader.CreateClient();
            var downloader = new ModelDownloader(http);
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
            DownloadResult result = null!;
            await console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask($"local/{modelName}", maxValue: double.MaxValue);
                    result = await downloader.DownloadAsync(url, destination, expected, new ProgressTaskReporter(task), cancellationToken);
                    task.StopTask();
                });
            switch (result)
            {
                case Downloaded done:
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"Saved local/{modelName} ({done.Bytes / 1e6:0.0} MB) to {done.File}; SHA-256 {done.Sha256} {(done.Verified ? "verified" : "(no checksum known to verify against)")}."));
                    return 0;
                case DownloadFailed failed:
                    await error.WriteLineAsync($"switchboard: could not pull {modelName}: {failed.Message}");
                    return 1;
                default:
                    throw new InvalidOperationException("unreachable");
            }
        });
        return command;
    }

    private static Command List(Option<string> directory, TextWriter output)
    {
        var command = new Command("list", "List the local models: name, size, architecture, quantisation, context length.");
        command.WithExamples("""
            Examples:
              switchboard models list
              switchboard models list --models-dir /srv/models
            """);
        command.SetAction(parsed =>
        {
            var models = ModelsDirectory.Resolve(parsed.GetValue(directory));
            var files = models.List();
            if (files.Count == 0)
            {
                output.WriteLine($"No models in {models.Path}. Get one with: switchboard models pull {KnownModels.All[2].Name}");
                return 0;
            }
            var table = new Table().AddColumns("model", "size", "architecture", "quantisation", "context");
            foreach (var (name, file) in files)
            {
                var info = ModelFileInfo.Read(name, file);
                table.AddRow(Markup.Escape($"local/{info.Name}"), string.Create(CultureInfo.InvariantCulture, $"{info.Bytes / 1e6:0.0} MB"),
                    Markup.Escape(info.Problem is null ? info.Architecture ?? "?" : $"unreadable: {info.Problem}"),
                    info.Quantization ?? "", info.ContextLength?.ToString(CultureInfo.InvariantCulture) ?? "");
            }
            AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) }).Write(table);
            return 0;
        });
        return command;
    }

    private static Command Remove(Option<string> directory, TextWriter output, TextWriter error)
    {
        var name = new Argument<string>("model") { Description = "The model's name (with or without local/)." };
        var command = new Command("rm", "Remove a local model (and any partial download of it).") { name };
        command.WithExamples("""
            Examples:
              switchboard models rm qwen2.5-0.5b-instruct
            """);
        command.SetAction(parsed =>
        {
            var models = ModelsDirectory.Resolve(parsed.GetValue(directory));
            var requested = parsed.GetRequiredValue(name);
            var modelName = requested.StartsWith("local/", StringComparison.Ordinal) ? requested["local/".Length..] : requested;
            if (models.FileFor(modelName) is not { } file) return CommandLine.Fail(error, $"'{requested}' is not a model name.");
            var found = File.Exists(file);
            File.Delete(file);
            File.Delete(file + ".part");
            if (!found)
            {
                error.WriteLine($"switchboard: there is no model '{modelName}' in {models.Path}.");
                return 1;
            }
            output.WriteLine($"Removed local/{modelName}.");
            return 0;
        });
        return command;
    }

    /// <summary>Progress straight onto the task (Spectre's tasks are thread-safe; <c>Progress&lt;T&gt;</c> would post reports out of order).</summary>
    private sealed class ProgressTaskReporter(ProgressTask task) : IProgress<DownloadProgress>
    {
        public void Report(DownloadProgress value)
        {
            if (value.Total is { } total) task.MaxValue = total;
            task.Value = value.Received;
        }
    }
}
