using System.ClientModel.Primitives;
using System.CommandLine;
using OpenAI.Chat;

namespace Switchboard.Cli.Api;

/// <summary><c>api chat.completions.create -m MODEL -g ROLE CONTENT [-g …]</c>, streamed with <c>--stream</c>.</summary>
internal static class ChatCompletionsCreate
{
    public static Command Create(ApiCommandShared shared)
    {
        var model = new Option<string>("--model", "-m") { Description = "The model.", Required = true };
        var messages = new Option<string[]>("--message", "-g")
        {
            Description = "A message: its role (system, developer, user or assistant) and its content. Repeat for several.",
            Required = true, AllowMultipleArgumentsPerToken = true, Arity = ArgumentArity.OneOrMore,
        };
        var stream = new Option<bool>("--stream") { Description = "Print the answer as it is generated." };
        var temperature = new Option<float?>("--temperature", "-t") { Description = "Sampling temperature, 0 to 2." };
        var topP = new Option<float?>("--top_p", "-P", "--top-p") { Description = "Nucleus sampling: the probability mass to sample from." };
        var maxTokens = new Option<int?>("--max-tokens", "-M") { Description = "The most tokens to generate." };
        var stop = new Option<string[]>("--stop") { Description = "A sequence where generation stops (repeatable)." };
        var choices = new Option<int?>("-n", "--n") { Description = "How many answers to generate." };
        var command = new Command("chat.completions.create", "Create a chat completion.") { model, messages, stream, temperature, topP, maxTokens, stop, choices };
        command.WithExamples("""
            Examples:
              switchboard api chat.completions.create -m gpt-4o-mini -g system "Be brief." -g user "What is 2+2?" --stream
            """);
        command.SetAction((parsed, cancellationToken) => shared.RunAsync(parsed, async (connection, json) =>
        {
            var given = parsed.GetRequiredValue(messages);
            if (ChatMessages.FromPairs(given) is not { } conversation)
                return CommandLine.Fail(shared.Context.Error, "-g takes a role (system, developer, user or assistant) and the content, for example: -g user \"Hello\".");
            var options = new ChatCompletionOptions
            {
                Temperature = parsed.GetValue(temperature),
                TopP = parsed.GetValue(topP),
                MaxOutputTokenCount = parsed.GetValue(maxTokens),
            };
            foreach (var sequence in parsed.GetValue(stop) ?? []) options.StopSequences.Add(sequence);
            // The SDK keeps n internal (its typed result shows one choice); the request carries it through the
            // options' JSON patch, and the answer is read from the raw response below.
#pragma warning disable SCME0001
            if (parsed.GetValue(choices) is { } n) options.Patch.Set("$.n"u8, n);
#pragma warning restore SCME0001
            var chat = connection.Client().GetChatClient(parsed.GetRequiredValue(model));
            var output = shared.Context.Output;
            if (parsed.GetValue(stream) && parsed.GetValue(choices) is > 1)
                return await StreamChoicesAsync(shared, connection, parsed.GetRequiredValue(model), given, options, parsed.GetValue(choices)!.Value, json, cancellationToken);
            if (parsed.GetValue(stream))
            {
                await foreach (var update in chat.CompleteChatStreamingAsync(conversation, options, cancellationToken))
                {
                    if (json)
                    {
                        await output.WriteLineAsync(ModelReaderWriter.Write(update).ToString());
                        continue;
                    }
                    foreach (var part in update.ContentUpdate) await output.WriteAsync(shared.Context.Shown(part.Text));
                    await output.FlushAsync(cancellationToken);
                }
                if (!json) await output.WriteLineAsync();
                return 0;
            }
            var result = await chat.CompleteChatAsync(conversation, options, cancellationToken);
            if (json)
            {
                await output.WriteLineAsync(result.GetRawResponse().Content.ToString());
                return 0;
            }
            using var answer = System.Text.Json.JsonDocument.Parse(result.GetRawResponse().Content.ToMemory());
            var all = answer.RootElement.GetProperty("choices");
            foreach (var choice in all.EnumerateArray())
            {
                if (all.GetArrayLength() > 1) await output.WriteLineAsync($"===== choice {choice.GetProperty("index").GetInt32()} =====");
                var content = choice.GetProperty("message").TryGetProperty("content", out var text) && text.ValueKind == System.Text.Json.JsonValueKind.String ? text.GetString() : "";
                await output.WriteLineAsync(shared.Context.Shown(content ?? ""));
            }
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Several answers streamed at once: the SDK's streaming updates do not say which answer a piece belongs to, so the
    /// events are read through its pipeline and each change of answer gets the classic CLI's header.
    /// </summary>
    private static async Task<int> StreamChoicesAsync(ApiCommandShared shared, Client.Connection connection, string model, string[] pairs,
        ChatCompletionOptions options, int n, bool json, CancellationToken cancellationToken)
    {
        var messages = new System.Text.Json.Nodes.JsonArray();
        for (var i = 0; i < pairs.Length; i += 2) messages.Add(new System.Text.Json.Nodes.JsonObject { ["role"] = pairs[i], ["content"] = pairs[i + 1] });
        var body = new System.Text.Json.Nodes.JsonObject { ["model"] = model, ["messages"] = messages, ["n"] = n, ["stream"] = true };
        if (options.Temperature is { } temperature) body["temperature"] = temperature;
        if (options.TopP is { } topP) body["top_p"] = topP;
        if (options.MaxOutputTokenCount is { } max) body["max_completion_tokens"] = max;
        if (options.StopSequences.Count > 0) body["stop"] = new System.Text.Json.Nodes.JsonArray([.. options.StopSequences.Select(s => (System.Text.Json.Nodes.JsonNode?)s)]);
        using var message = await Client.RawRequest.SendMessageAsync(connection, admin: false, "POST", "/chat/completions", body, buffer: false, cancellationToken);
        var output = shared.Context.Output;
        var current = -1;
        await foreach (var (raw, chunk) in EventStream.ReadAsync(message, cancellationToken))
        {
            if (json)
            {
                await output.WriteLineAsync(raw);
                continue;
            }
            if (!chunk.TryGetProperty("choices", out var choices) || choices.ValueKind != System.Text.Json.JsonValueKind.Array) continue;
            foreach (var choice in choices.EnumerateArray())
            {
                if (!choice.TryGetProperty("delta", out var delta) || !delta.TryGetProperty("content", out var content) || content.ValueKind != System.Text.Json.JsonValueKind.String) continue;
                var index = choice.TryGetProperty("index", out var at) ? at.GetInt32() : 0;
                if (index != current)
                {
                    await output.WriteAsync($"{(current < 0 ? "" : "\n")}===== choice {index} =====\n");
                    current = index;
                }
                await output.WriteAsync(shared.Context.Shown(content.GetString()!));
            }
            await output.FlushAsync(cancellationToken);
        }
        if (!json) await output.WriteLineAsync();
        return 0;
    }
}

/// <summary>Messages from the classic CLI's role/content pairs.</summary>
internal static class ChatMessages
{
    /// <summary>The messages, or null when the words are not role/content pairs with known roles.</summary>
    public static List<ChatMessage>? FromPairs(IReadOnlyList<string> words)
    {
        if (words.Count == 0 || words.Count % 2 != 0) return null;
        var messages = new List<ChatMessage>(words.Count / 2);
        for (var i = 0; i < words.Count; i += 2)
        {
            ChatMessage? message = words[i] switch
            {
                "system" => new SystemChatMessage(words[i + 1]),
                // The SDK marks developer messages as evaluation-only; the role is OpenAI's for o-series models.
#pragma warning disable OPENAI001
                "developer" => new DeveloperChatMessage(words[i + 1]),
#pragma warning restore OPENAI001
                "user" => new UserChatMessage(words[i + 1]),
                "assistant" => new AssistantChatMessage(words[i + 1]),
                _ => null,
            };
            if (message is null) return null;
            messages.Add(message);
        }
        return messages;
    }
}
