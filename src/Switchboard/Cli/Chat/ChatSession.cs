using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OpenAI.Chat;

namespace Switchboard.Cli.Chat;

/// <summary>
/// One conversation: the model, the system message, the turns so far and the tokens they used. Each turn is streamed
/// to the output as it is generated and kept in the history for the next.
/// </summary>
internal sealed class ChatSession(Client.Connection connection, ChatClientFactory clients, string model, string? system, ChatCompletionOptions options, AnswerWriter output)
{
    public Client.Connection Connection { get; } = connection;

    private readonly List<(string Role, string Content)> _turns = [];

    // A saved conversation is read by people too: Chinese stays Chinese, not \u escapes.
    private static readonly JsonSerializerOptions SavedJson = new() { WriteIndented = true, Encoder = global::System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public string Model { get; set; } = model;
    public string? System { get; set; } = system;
    public long InputTokens { get; private set; }
    public long OutputTokens { get; private set; }
    public int Requests { get; private set; }

    /// <summary>Sends <paramref name="text"/> with the history and streams the answer; a cancelled answer keeps what came.</summary>
    public async Task AskAsync(string text, CancellationToken cancellationToken)
    {
        var messages = new List<ChatMessage>(_turns.Count + 2);
        if (System is { Length: > 0 } instructions) messages.Add(new SystemChatMessage(instructions));
        foreach (var (role, content) in _turns) messages.Add(role == "user" ? new UserChatMessage(content) : new AssistantChatMessage(content));
        messages.Add(new UserChatMessage(text));
        _turns.Add(("user", text));
        var answer = new StringBuilder();
        Requests++;
        try
        {
            await foreach (var update in clients(Model).CompleteChatStreamingAsync(messages, options, cancellationToken))
            {
                foreach (var part in update.ContentUpdate)
                {
                    answer.Append(part.Text);
                    output.Write(part.Text);
                }
                if (update.Usage is { } usage)
                {
                    InputTokens += usage.InputTokenCount;
                    OutputTokens += usage.OutputTokenCount;
                }
            }
        }
        finally
        {
            output.Finish();
            // Even a stopped answer is part of the conversation: the next question may refer to it.
            if (answer.Length > 0) _turns.Add(("assistant", answer.ToString()));
            else _turns.RemoveAt(_turns.Count - 1);
        }
    }

    public void Reset() => _turns.Clear();

    /// <summary>The conversation as OpenAI's messages (system first), for <c>/save</c>.</summary>
    public string ToJson()
    {
        var messages = new JsonArray();
        if (System is { Length: > 0 } instructions) messages.Add(new JsonObject { ["role"] = "system", ["content"] = instructions });
        foreach (var (role, content) in _turns) messages.Add(new JsonObject { ["role"] = role, ["content"] = content });
        return new JsonObject { ["model"] = Model, ["messages"] = messages }.ToJsonString(SavedJson);
    }

    /// <summary>Replaces the conversation with one saved by <see cref="ToJson"/> (or any list of string messages); null if it cannot be read.</summary>
    public string? Load(string json)
    {
        try
        {
            var root = JsonNode.Parse(json);
            var messages = (root is JsonArray list ? list : root?["messages"] as JsonArray) ?? throw new JsonException("no messages");
            var turns = new List<(string, string)>();
            string? system = null;
            foreach (var message in messages)
            {
                var role = message?["role"]?.GetValue<string>();
                var content = message?["content"]?.GetValue<string>();
                if (content is null || role is not ("system" or "developer" or "user" or "assistant")) return "each message needs a role (system, user, assistant) and text content";
                if (role is "system" or "developer") system = content;
                else turns.Add((role, content));
            }
            _turns.Clear();
            _turns.AddRange(turns);
            System = system ?? System;
            if (root?["model"]?.GetValue<string>() is { Length: > 0 } saved) Model = saved;
            return null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return $"not a saved conversation: {e.Message}";
        }
    }

    public int Turns => _turns.Count;
}

/// <summary>The SDK's chat client for a model.</summary>
internal delegate ChatClient ChatClientFactory(string model);
