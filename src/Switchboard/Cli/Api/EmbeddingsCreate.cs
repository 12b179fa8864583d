using System.CommandLine;
using System.Globalization;

namespace Switchboard.Cli.Api;

/// <summary><c>api embeddings.create -m MODEL -i INPUT…</c>.</summary>
internal static class EmbeddingsCreate
{
    public static Command Create(ApiCommandShared shared)
    {
        var model = new Option<string>("--model", "-m") { Description = "The embedding model.", Required = true };
        var input = new Option<string[]>("--input", "-i") { Description = "Text to embed (repeatable, or several after one -i).", Required = true, AllowMultipleArgumentsPerToken = true };
        var command = new Command("embeddings.create", "Create embeddings.") { model, input };
        command.WithExamples("""
            Examples:
              switchboard api embeddings.create -m text-embedding-3-small -i "first text" "second text"
            """);
        command.SetAction((parsed, cancellationToken) => shared.RunAsync(parsed, async (connection, json) =>
        {
            var result = await connection.Client().GetEmbeddingClient(parsed.GetRequiredValue(model))
                .GenerateEmbeddingsAsync(parsed.GetRequiredValue(input), cancellationToken: cancellationToken);
            if (json)
            {
                await shared.Context.Output.WriteLineAsync(result.GetRawResponse().Content.ToString());
                return 0;
            }
            foreach (var embedding in result.Value)
            {
                var vector = embedding.ToFloats().Span;
                var head = string.Join(", ", vector[..Math.Min(4, vector.Length)].ToArray().Select(v => v.ToString("0.####", CultureInfo.InvariantCulture)));
                await shared.Context.Output.WriteLineAsync($"{embedding.Index}: {vector.Length} dimensions [{head}{(vector.Length > 4 ? ", …" : "")}]");
            }
            return 0;
        }));
        return command;
    }
}
