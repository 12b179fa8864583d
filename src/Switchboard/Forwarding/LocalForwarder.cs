using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Switchboard.Buffers;
using Switchboard.Errors;
using Switchboard.Inference.Constraints;
using Switchboard.Inference.Embeddings;
using Switchboard.Inference.Generation;
using Switchboard.Inference.Templates;
using Switchboard.Inference.Tokenizers;
using Switchboard.LocalModels;
using Switchboard.Metering;
using Switchboard.Providers;
using Switchboard.Requests;

namespace Switchboard.Forwarding;

/// <summary>
/// The local provider's side of forwarding: reads what the request asks, loads the model (a model that cannot load
/// is a provider failure, so the next provider in the model's list is tried), builds the prompt with the model's own
/// chat template, checks it fits the context, waits for a sequence slot (429 beyond the queue), and starts the
/// generation — answered whole, or streamed by <see cref="Streaming.StreamRelay"/>.
/// </summary>
internal sealed class LocalForwarder(BufferBudget budget, TimeProvider time)
{
    // A chat request without max_tokens may generate up to this many tokens (or what the context leaves).
    private const int DefaultChatTokens = 4096;
    private const int DefaultCompletionTokens = 16;    // OpenAI's default for /v1/completions
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public async Task<(ForwardOutcome Outcome, bool TryNext)> ForwardAsync(LocalProvider local, string name, ProxyRequest request, CancellationToken clientAborted)
    {
        var breaker = local.BreakerFor(name);
        if (request.Endpoint == Api.ApiEndpoint.Embeddings) return await EmbedAsync(local, name, request, clientAborted);
        var (asked, error) = LocalRequest.Read(request.Body.Written, request.Endpoint);
        if (asked is null)
        {
            // Not the provider's failure; recorded so that a half-open circuit's probe is not left hanging.
            breaker.RecordSuccess();
            return (new FailedResponse(local, error!), false);
        }

        var (loaded, unavailable) = await LoadAsync(local, name, request);
        if (loaded is null) return (unavailable!, true);
        LocalGeneration generation;
        try
        {
            var (started, refusal) = await StartAsync(local, loaded, asked, request, clientAborted);
            if (started is null) return (refusal!, false);
            generation = started;
        }
        catch
        {
            loaded.Release();
            throw;
        }
        if (request.Stream) return (new LocalStreamResponse(local, generation), false);

        using (generation)
        {
            var texts = Enumerable.Range(0, asked.Choices).Select(_ => new StringBuilder()).ToArray();
            var finishes = new FinishReason?[asked.Choices];
            var logprobs = Enumerable.Range(0, asked.Choices).Select(_ => asked.TopLogprobs is null ? null : new List<(int, TokenLogprobs)>()).ToArray();
            var readers = Enumerable.Range(0, asked.Choices).Select(_ => generation.NewToolCallReader()).ToArray();
            var produced = 0;
            await foreach (var (choice, token) in generation.ReadAllAsync(clientAborted))
            {
                texts[choice].Append(readers[choice] is { } reader ? reader.Push(token.Text) : token.Text);
                produced++;
                finishes[choice] = token.Finish;
                if (token.Logprobs is { } tokenLogprobs) logprobs[choice]?.Add((token.Id, tokenLogprobs));
            }
            // As OpenAI counts n choices: the prompt once, every choice's tokens.
            var usage = new Usage(generation.PromptTokens, produced, generation.PromptTokens + produced, 0);
            var choices = Enumerable.Range(0, asked.Choices).Select(i =>
            {
                if (readers[i] is not { } reader) return new LocalChoice(texts[i].ToString(), LocalResponses.FinishReason(finishes[i]), logprobs[i]);
                var (rest, calls) = reader.Finish();
                var finish = LocalResponses.FinishReason(finishes[i], calls.Count > 0, generation.Tools!.Named);
                return new LocalChoice(texts[i].Append(rest).ToString(), finish, logprobs[i]) { ToolCalls = calls };
            }).ToList();
            var json = new ArrayBufferWriter<byte>(512 + choices.Sum(c => c.Text.Length) * 2);
            using (var writer = new Utf8JsonWriter(json, WriterOptions))
            {
                LocalResponses.WriteCompletion(writer, generation, choices, usage);
            }
            var body = new ByteBuffer(budget, Math.Max(json.WrittenCount, 1));
            if (body.TryWrite(json.WrittenSpan) != GrowResult.Ok)
            {
                body.Dispose();
                return (new FailedResponse(local, GatewayErrors.Overloaded()), false);
            }
            return (new BufferedResponse(local, 200, body, usage, []), false);
        }
    }

    /// <summary>
    /// The model with a lease on it, or why it is unavailable (then the next provider is tried). A file that is not
    /// there is configuration, not a failing provider, so only a model that fails to load counts against the breaker.
    /// </summary>
    private static async Task<(LoadedModel? Loaded, FailedResponse? Unavailable)> LoadAsync(LocalProvider local, string name, ProxyRequest request)
    {
        var breaker = local.BreakerFor(name);
        var (loaded, problem, missing) = await local.LoadAsync(name);
        if (loaded is null)
        {
            if (!missing) breaker.RecordFailure("the model did not load");
            return (null, new FailedResponse(local, GatewayErrors.LocalModelUnavailable(request.Model, problem!)));
        }
        breaker.RecordSuccess();
        return (loaded, null);
    }

    /// <summary>
    /// <c>/v1/embeddings</c> on a local model: each input tokenised as llama.cpp's embedding tool does (BOS added,
    /// special tokens parsed), run through the model as one batch on a pool thread holding one of the model's sequence
    /// slots, and pooled by <see cref="Embedder"/>; <c>usage.prompt_tokens</c> counts every input's tokens.
    /// </summary>
    private async Task<(ForwardOutcome Outcome, bool TryNext)> EmbedAsync(LocalProvider local, string name, ProxyRequest request, CancellationToken clientAborted)
    {
        var breaker = local.BreakerFor(name);
        var (asked, error) = LocalEmbeddingRequest.Read(request.Body.Written);
        if (asked is null)
        {
            breaker.RecordSuccess();
            return (new FailedResponse(local, error!), false);
        }
        var (loaded, unavailable) = await LoadAsync(local, name, request);
        if (loaded is null) return (unavailable!, true);
        try
        {
            var model = loaded.Model;
            var width = model.Config.EmbeddingLength;
            if (asked.Dimensions is { } dimensions && dimensions != width)
                return (new FailedResponse(local, GatewayErrors.InvalidValue("dimensions", $"{request.Model} gives {width}-dimensional embeddings; it cannot give {dimensions}.")), false);
            var context = Math.Min(model.Config.ContextLength, local.Options.MaxContextTokens);
            var inputs = asked.TokenArrays ?? [.. asked.Texts!.Select(t => model.Tokenizer.Encode(System.Text.Encoding.UTF8.GetBytes(t), addSpecial: true, parseSpecial: true).ToArray())];
            for (var i = 0; i < inputs.Count; i++)
            {
                if (inputs[i].Length > context)
                    return (new FailedResponse(local, GatewayErrors.InvalidValue("input", $"input {i} is {inputs[i].Length} tokens, more than {request.Model}'s context of {context}.")), false);
                if (inputs[i].Any(t => t >= model.Vocabulary.Count))
                    return (new FailedResponse(local, GatewayErrors.InvalidValue("input", $"input {i} holds a token id outside {request.Model}'s vocabulary of {model.Vocabulary.Count}.")), false);
            }
            if (!await local.TryEnterAsync(clientAborted))
                return (new FailedResponse(local, GatewayErrors.LocalBusy(local.Options.MaxConcurrentSequences, local.Options.MaxQueuedRequests)), false);
            float[][] vectors;
            try
            {
                vectors = await Task.Run(() => Embedder.EmbedAll(model, inputs, clientAborted), clientAborted);
            }
            finally
            {
                local.Leave();
            }
            var promptTokens = inputs.Sum(t => t.Length);
            var usage = new Usage(promptTokens, 0, promptTokens, 0);
            var json = new ArrayBufferWriter<byte>(256 + vectors.Length * width * 12);
            using (var writer = new Utf8JsonWriter(json, WriterOptions))
            {
                writer.WriteStartObject();
                writer.WriteString("object", "list");
                writer.WriteStartArray("data");
                for (var i = 0; i < vectors.Length; i++)
                {
                    writer.WriteStartObject();
                    writer.WriteString("object", "embedding");
                    writer.WriteNumber("index", i);
                    if (asked.Base64) writer.WriteBase64String("embedding", System.Runtime.InteropServices.MemoryMarshal.AsBytes(vectors[i].AsSpan()));
                    else
                    {
                        writer.WriteStartArray("embedding");
                        foreach (var value in vectors[i]) writer.WriteNumberValue(value);
                        writer.WriteEndArray();
                    }
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
                writer.WriteString("model", request.Model);
                writer.WriteStartObject("usage");
                writer.WriteNumber("prompt_tokens", promptTokens);
                writer.WriteNumber("total_tokens", promptTokens);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            var body = new ByteBuffer(budget, Math.Max(json.WrittenCount, 1));
            if (body.TryWrite(json.WrittenSpan) != GrowResult.Ok)
            {
                body.Dispose();
                return (new FailedResponse(local, GatewayErrors.Overloaded()), false);
            }
            return (new BufferedResponse(local, 200, body, usage, []), false);
        }
        finally
        {
            loaded.Release();
        }
    }

    /// <summary>The sampler stage that keeps a JSON answer or a forced tool call valid (and of its schema), one per sequence; null for free text.</summary>
    private static Func<int, Inference.Sampling.ISamplerStage>? Constraint(LocalRequest asked, Inference.Models.LlamaModel model, int maxTokens,
        Inference.Chat.ToolCallSyntax? syntax)
    {
        var end = model.Vocabulary.EndOfGeneration;
        if (asked.Tools?.Forced is { } functions && syntax is not null)
        {
            // A forced call is written under its function's parameter schema, so its arguments always parse.
            var grammar = new ToolCallGrammar(functions, syntax.ArgumentsKey);
            return promptLength => new JsonConstraint<ToolCallState>(model.TokenTrie, new ToolCallState(grammar), end, promptLength, maxTokens, grammar.Horizon, grammar.Reach, grammar.Reach);
        }
        if (asked.Schema is { } schema)
            return promptLength => new JsonConstraint<SchemaState>(model.TokenTrie, new SchemaState(schema), end, promptLength, maxTokens, SchemaState.Horizon(schema), SchemaState.Reach(schema), SchemaState.Reach(schema));
        if (asked.JsonMode) return promptLength => new JsonConstraint<JsonState>(model.TokenTrie, default, end, promptLength, maxTokens);
        return null;
    }

    /// <summary>
    /// Builds and checks the prompt, waits for a sequence slot and starts the generation, which then owns the lease on
    /// the model; a refusal gives the lease back.
    /// </summary>
    private async Task<(LocalGeneration? Generation, FailedResponse? Refusal)> StartAsync(LocalProvider local, LoadedModel loaded, LocalRequest asked,
        ProxyRequest request, CancellationToken clientAborted)
    {
        (LocalGeneration?, FailedResponse?) Refuse(FailedResponse refusal)
        {
            loaded.Release();
            return (null, refusal);
        }

        var syntax = loaded.Model.Chat.Tools;
        if (asked.Tools is not null && syntax is null)
            return Refuse(new FailedResponse(local, new OpenAiError(400,
                $"The model '{request.Model}' cannot call tools: its chat template has no tool-call format Switchboard reads (Hermes <tool_call> blocks, as Qwen 2.5 and 3; Llama 3.1+ JSON).",
                "invalid_request_error", "tools", "unsupported_parameter") { ShouldRetry = false }));
        var forced = asked.Tools?.Forced is not null;
        var extra = asked.Tools is { } offered ? new Dictionary<string, object?> { ["tools"] = offered.Definitions } : null;
        var context = Math.Min(loaded.Model.Config.ContextLength, local.Options.MaxContextTokens);
        // A text longer than the context's worth of the vocabulary's longest token cannot fit: refused before it is tokenised.
        var textBytes = asked.IsChat ? asked.Messages.Sum(m => (long)Encoding.UTF8.GetByteCount(m.Content ?? "")) : Encoding.UTF8.GetByteCount(asked.Prompt);
        if (textBytes > (long)context * loaded.Model.Vocabulary.MaxTokenBytes)
            return Refuse(new FailedResponse(local, GatewayErrors.ContextLengthExceeded(context, (int)Math.Min(int.MaxValue, textBytes / loaded.Model.Vocabulary.MaxTokenBytes), asked.MaxTokens ?? 0, asked.IsChat)));

        List<int> prompt;
        try
        {
            // Rendering and tokenising a long prompt is CPU work: not on the request thread (Kestrel runs requests inline).
            prompt = await Task.Run(() => asked.IsChat
                ? loaded.Model.Chat.Tokens(asked.Messages, extra: extra, answerOpening: forced ? syntax!.Opening : "")
                : loaded.Model.Tokenizer.Encode(asked.Prompt, addSpecial: true), CancellationToken.None);
        }
        catch (ChatTemplateException e)
        {
            // The model's own template refuses the conversation (a system message it has no place for, roles out of order).
            return Refuse(new FailedResponse(local, GatewayErrors.InvalidValue("messages", e.Message)));
        }
        catch (UnrepresentableTextException e)
        {
            return Refuse(new FailedResponse(local, GatewayErrors.InvalidValue(asked.IsChat ? "messages" : "prompt", $"{e.Message}.")));
        }
        if (prompt.Count == 0)
            return Refuse(new FailedResponse(local, GatewayErrors.InvalidValue(asked.IsChat ? "messages" : "prompt", "the prompt is empty: there is nothing for the model to continue.")));
        var maxTokens = asked.MaxTokens ?? (asked.IsChat ? Math.Min(DefaultChatTokens, Math.Max(1, context - prompt.Count)) : DefaultCompletionTokens);
        if ((long)prompt.Count + maxTokens > context)
            return Refuse(new FailedResponse(local, GatewayErrors.ContextLengthExceeded(context, prompt.Count, maxTokens, asked.IsChat)));
        var bias = new Dictionary<int, float>();
        foreach (var (token, value) in asked.LogitBias)
        {
            if (!int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id >= loaded.Model.Vocabulary.Count)
                return Refuse(new FailedResponse(local, GatewayErrors.InvalidValue("logit_bias", $"token {token} is not in this model's vocabulary of {loaded.Model.Vocabulary.Count}.")));
            bias[id] = value;
        }

        if (!await local.TryEnterAsync(clientAborted))
            return Refuse(new FailedResponse(local, GatewayErrors.LocalBusy(local.Options.MaxConcurrentSequences, local.Options.MaxQueuedRequests)));
        var model = loaded.Model;
        var options = new GenerationOptions
        {
            MaxTokens = maxTokens, Sampling = asked.Sampling with { LogitBias = bias }, Stop = asked.Stop, TopLogprobs = asked.TopLogprobs,
            Constraint = Constraint(asked, model, maxTokens, syntax),
        };
        try
        {
            return (LocalGeneration.Start(loaded, request.Model, asked.IsChat, prompt, options, asked.Choices, time.GetUtcNow().ToUnixTimeSeconds(),
                () => { local.Leave(); loaded.Release(); }, clientAborted,
                asked.Tools is { } use ? new ToolUse(syntax!, forced, use.Named, [.. use.Functions.Select(f => f.Name)]) : null), null);
        }
        catch
        {
            local.Leave();
            throw;
        }
    }
}
