using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Switchboard.Cli.Client;

namespace Switchboard.Cli.Api;

/// <summary>
/// <c>api completions.create -m MODEL -p PROMPT</c>. The SDK has no typed client for this legacy endpoint, so the
/// request goes through the SDK's own pipeline (its key, retries and errors) with the body written here.
/// </summary>
internal static class CompletionsCreate
{
    public static Command Create(ApiCommandShared shared)
    {
        var model = new Option<string>("--model", "-m") { Description = "The model.", Required = true };
        var prompt = new Option<string>("--prompt", "-p") { Description = "The prompt to complete.", Required = true };
        var stream = new Option<bool>("--stream") { Description = "Print the completion as it is generated." };
        var temperature = new Option<float?>("--temperature", "-t") { Description = "Sampling temperature, 0 to 2." };
        var topP = new Option<float?>("--top_p", "-P", "--top-p") { Description = "Nucleus sampling: the probability mass to sample from." };
        var maxTokens = new Option<int?>("--max-tokens", "-M") { Description = "The most tokens to generate." };
        var command = new Command("completions.create", "Create a (legacy) completion.") { model, prompt, stream, temperature, topP, maxTokens };
        command.WithExamples("""
            Examples:
              switchboard api completions.create -m gpt-3.5-turbo-instruct -p "Once upon a time" -M 32
            """);
        command.SetAction((parsed, cancellationToken) => shared.RunAsync(parsed, async (connection, json) =>
        {
            var streaming = parsed.GetValue(stream);
            var body = new JsonObject { ["model"] = parsed.GetRequiredValue(model), ["prompt"] = parsed.GetRequiredValue(prompt) };
            if (parsed.GetValue(temperature) is { } t) body["temperature"] = t;
            if (parsed.GetValue(topP) is { } p) body["top_p"] = p;
            if (parsed.GetValue(maxTokens) is { } m) body["max_tokens"] = m;
            if (streaming) body["stream"] = true;

            using var message = await RawRequest.SendMessageAsync(connection, admin: false, "POST", "/completions", body, buffer: !streaming, cancellationToken);
            var response = message.Response!;
            var output = shared.Context.Output;
            if (!streaming)
            {
                using var answer = JsonDocument.Parse(response.Content.ToMemory());
                await output.WriteLineAsync(json ? response.Content.ToString() : shared.Context.Shown(Text(answer.RootElement)));
                return 0;
            }
            await foreach (var (raw, chunk) in EventStream.ReadAsync(message, cancellationToken))
            {
                if (json) await output.WriteLineAsync(raw);
                else await output.WriteAsync(shared.Context.Shown(Text(chunk)));
                await output.FlushAsync(cancellationToken);
            }
            if (!json) await output.WriteLineAsync();
            return 0;
        }));
        return command;
    }

    // The first choice's text; a chunk or answer without one contributes nothing.
    private static string Text(JsonElement answer) =>
        answer.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0
            && choices[0].TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString()! : "";
}
