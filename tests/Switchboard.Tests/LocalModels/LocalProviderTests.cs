using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;
using Switchboard.Configuration;
using Switchboard.Providers;
using Switchboard.Inference.Tests;
using Switchboard.Tests.Fixtures;

namespace Switchboard.Tests.LocalModels;

/// <summary>The built-in provider: <c>local/stories260K</c> from the shared models, through a real gateway, with the official SDK.</summary>
public sealed class LocalProviderTests
{
    private static Task<GatewayHost> StartAsync(params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?> { ["Switchboard:Local:ModelsDirectory"] = TestModels.Directory };
        foreach (var (key, value) in more) settings[key] = value;
        return GatewayHost.StartAsync(settings);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(GatewayHost gateway, string path, string json)
    {
        using var response = await gateway.Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [ModelFact]
    public async Task Local_models_are_listed_as_local_NAME_and_a_missing_one_is_not_found()
    {
        await using var gateway = await StartAsync();
        var models = JsonDocument.Parse(await gateway.Http.GetStringAsync("/v1/models")).RootElement.GetProperty("data").EnumerateArray().ToList();
        var stories = Assert.Single(models, m => m.GetProperty("id").GetString() == "local/stories260K");
        Assert.Equal("local", stories.GetProperty("owned_by").GetString());

        var (status, body) = await PostAsync(gateway, "/v1/chat/completions", """{"model":"local/no-such-model","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("model_not_found", body.GetProperty("error").GetProperty("code").GetString());
    }

    [ModelFact]
    public async Task Greedy_completions_reproduce_llama_cpps_text_and_count_tokens_exactly()
    {
        await using var gateway = await StartAsync();
        var reference = TestModels.Reference("stories260K-greedy.json")[0];
        var outputTokens = reference.GetProperty("output_tokens").GetArrayLength();
        var request = JsonSerializer.Serialize(new { model = "local/stories260K", prompt = reference.GetProperty("prompt").GetString(), max_tokens = outputTokens, temperature = 0 });

        var (status, body) = await PostAsync(gateway, "/v1/completions", request);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("text_completion", body.GetProperty("object").GetString());
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(reference.GetProperty("output_text").GetString(), choice.GetProperty("text").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        var usage = body.GetProperty("usage");
        Assert.Equal(reference.GetProperty("prompt_tokens").GetArrayLength(), usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(outputTokens, usage.GetProperty("completion_tokens").GetInt32());
    }

    [ModelFact]
    public async Task The_official_sdk_gets_the_same_text_streamed_as_whole_with_exact_usage()
    {
        await using var gateway = await StartAsync();
        var chat = gateway.Sdk().GetChatClient("local/stories260K");
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 };
        List<ChatMessage> messages = [new SystemChatMessage("You tell stories."), new UserChatMessage("Once upon a time")];

        ChatCompletion whole = await chat.CompleteChatAsync(messages, options);
        var streamed = new StringBuilder();
        ChatTokenUsage? streamedUsage = null;
        ChatFinishReason? streamedFinish = null;
        await foreach (var update in chat.CompleteChatStreamingAsync(messages, options))
        {
            foreach (var part in update.ContentUpdate) streamed.Append(part.Text);
            streamedUsage ??= update.Usage;
            streamedFinish ??= update.FinishReason;
        }

        Assert.False(string.IsNullOrEmpty(whole.Content[0].Text));
        Assert.Equal(whole.Content[0].Text, streamed.ToString());
        Assert.Equal(ChatFinishReason.Length, whole.FinishReason);
        Assert.Equal(ChatFinishReason.Length, streamedFinish);
        Assert.Equal(24, whole.Usage.OutputTokenCount);
        Assert.NotNull(streamedUsage);
        Assert.Equal(whole.Usage.InputTokenCount, streamedUsage.InputTokenCount);
        Assert.Equal(24, streamedUsage.OutputTokenCount);
    }

    [ModelFact]
    public async Task A_stop_string_ends_the_answer_before_it_and_the_same_seed_gives_the_same_answer()
    {
        await using var gateway = await StartAsync();
        const string Prompt = """{"model":"local/stories260K","prompt":"Once upon a time","max_tokens":40,"temperature":0}""";
        var full = (await PostAsync(gateway, "/v1/completions", Prompt)).Body.GetProperty("choices")[0].GetProperty("text").GetString()!;
        var stop = full.Substring(10, 4);

        var (_, stopped) = await PostAsync(gateway, "/v1/completions", Prompt.Replace("\"temperature\":0", $"\"temperature\":0,\"stop\":[{JsonSerializer.Serialize(stop)}]", StringComparison.Ordinal));
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], stopped.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal("stop", stopped.GetProperty("choices")[0].GetProperty("finish_reason").GetString());

        const string Sampled = """{"model":"local/stories260K","prompt":"Once upon a time","max_tokens":30,"temperature":1.2,"seed":7}""";
        var first = (await PostAsync(gateway, "/v1/completions", Sampled)).Body.GetProperty("choices")[0].GetProperty("text").GetString();
        var second = (await PostAsync(gateway, "/v1/completions", Sampled)).Body.GetProperty("choices")[0].GetProperty("text").GetString();
        Assert.Equal(first, second);
    }

    [ModelFact]
    public async Task What_a_local_model_cannot_honour_is_refused_naming_the_field()
    {
        await using var gateway = await StartAsync();
        foreach (var (body, param, code) in new[]
        {
            ("""{"model":"local/stories260K","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}]}""", "tools", "unsupported_parameter"),
            ("""{"model":"local/stories260K","messages":[{"role":"user","content":"hi"}],"n":9}""", "n", "invalid_value"),
            ("""{"model":"local/stories260K","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"http://x/y.png"}}]}]}""", "messages[0].content[0]", "unsupported_parameter"),
            ("""{"model":"local/stories260K","messages":[{"role":"user","content":"hi"}],"max_tokens":4000}""", "messages", "context_length_exceeded"),
            ("""{"model":"local/stories260K","messages":[{"role":"user","content":"hi"}],"temperature":3}""", "temperature", "invalid_value"),
            ("""{"model":"local/stories260K","input":"hi","dimensions":7}""", "dimensions", "invalid_value"),
            ("""{"model":"local/stories260K","messages":[{"role":"user","content":"hi"}],"max_tokens":2147483647}""", "messages", "context_length_exceeded"),
            ("""{"model":"local/stories260K","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":null,"max_tokens":0}""", "max_tokens", "invalid_value"),
        })
        {
            var path = body.Contains("\"input\"", StringComparison.Ordinal) ? "/v1/embeddings" : "/v1/chat/completions";
            var (status, error) = await PostAsync(gateway, path, body);
            Assert.True(status == HttpStatusCode.BadRequest, $"{body}: {status}");
            OpenAiErrors.AssertShape(error.GetRawText());
            Assert.Equal(param, error.GetProperty("error").GetProperty("param").GetString());
            Assert.Equal(code, error.GetProperty("error").GetProperty("code").GetString());
        }
        var (_, tooLong) = await PostAsync(gateway, "/v1/chat/completions", """{"model":"local/stories260K","messages":[{"role":"user","content":"hi"}],"max_tokens":4000}""");
        Assert.Contains("maximum context length is 2048 tokens", tooLong.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [ModelFact]
    public async Task A_model_that_cannot_load_is_a_provider_failure_and_the_next_provider_answers()
    {
        var models = Directory.CreateTempSubdirectory("switchboard-broken-").FullName;
        await File.WriteAllTextAsync(Path.Combine(models, "broken.gguf"), "not a model");
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("fallback-answer", x => x.Json(200, OpenAiShapes.Completion("from the upstream")));
        var settings = upstream.GatewaySettings(
            ("Local:ModelsDirectory", models),
            ("Models:assistant:Providers:0", "local:broken"),
            ("Models:assistant:Providers:1", "up:fallback-answer"));
        await using var gateway = await GatewayHost.StartAsync(settings);

        var answer = await gateway.Sdk().GetChatClient("assistant").CompleteChatAsync([new UserChatMessage("hi")]);
        Assert.Equal("from the upstream", answer.Value.Content[0].Text);

        var error = await Assert.ThrowsAsync<ClientResultException>(() => gateway.Sdk().GetChatClient("local/broken").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(502, error.Status);
        Assert.Contains("local_model_unavailable", error.Message, StringComparison.Ordinal);
        Directory.Delete(models, recursive: true);
    }

    [Fact]
    public async Task Beyond_the_running_and_waiting_sequences_a_request_is_turned_away_and_a_cancelled_wait_frees_its_place()
    {
        using var local = new LocalProvider(new LocalOptions { ModelsDirectory = Path.GetTempPath(), MaxConcurrentSequences = 1, MaxQueuedRequests = 1, MaxModelBytes = 1L << 30 }, TimeProvider.System);
        Assert.True(await local.TryEnterAsync(CancellationToken.None));
        using var cancel = new CancellationTokenSource();
        var waiting = local.TryEnterAsync(cancel.Token);
        Assert.False(waiting.IsCompleted);
        Assert.False(await local.TryEnterAsync(CancellationToken.None));    // one running, one waiting: full

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        var next = local.TryEnterAsync(CancellationToken.None);              // the cancelled wait's place is free again
        Assert.False(next.IsCompleted);
        local.Leave();
        Assert.True(await next);
    }

    [Fact]
    public async Task The_first_run_says_how_to_get_answers_and_a_broken_model_file_is_named_not_fatal()
    {
        var models = Directory.CreateTempSubdirectory("switchboard-first-run-").FullName;
        string empty, withBroken;
        await using (var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["Switchboard:Local:ModelsDirectory"] = models, ["Switchboard:Logging:File:Enabled"] = "true" }))
            empty = gateway.DataDirectory;
        await File.WriteAllTextAsync(Path.Combine(models, "broken.gguf"), "not a model");
        await using (var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["Switchboard:Local:ModelsDirectory"] = models, ["Switchboard:Logging:File:Enabled"] = "true" }))
        {
            using var health = await gateway.Http.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            withBroken = gateway.DataDirectory;
        }

        var first = GatewayHost.ReadLogs(empty);
        // The log file keeps each line's template and values apart.
        Assert.Contains("OPENAI_API_KEY", first, StringComparison.Ordinal);
        Assert.Contains("switchboard models pull qwen2.5-0.5b-instruct", first, StringComparison.Ordinal);
        var second = GatewayHost.ReadLogs(withBroken);
        Assert.DoesNotContain("\"event\":4002", second, StringComparison.Ordinal);
        var line = Assert.Single(second.Split('\n'), l => l.Contains("\"event\":4001", StringComparison.Ordinal));
        Assert.Contains("\"Model\":\"local/broken\"", line, StringComparison.Ordinal);
        Assert.Contains("too short for a GGUF header", line, StringComparison.Ordinal);
        Directory.Delete(models, recursive: true);
    }

    [ModelFact]
    public async Task A_bpe_model_with_its_own_chat_template_answers_through_the_gateway()
    {
        var models = Directory.CreateTempSubdirectory("switchboard-bpe-").FullName;
        var template = await File.ReadAllTextAsync(Path.Combine(TestModels.Directory!, "templates", "Qwen-Qwen2.5-7B-Instruct.jinja"));
        var file = Switchboard.Inference.Tests.Models.TinyBpeModel.Write(Path.Combine(TestModels.Directory!, "vocab", "ggml-vocab-qwen2.gguf"), template, models);
        // Qwen2.5's documented format for this conversation, written out by hand.
        const string Expected = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n<|im_start|>assistant\n";
        int expectedPromptTokens;
        using (var model = Switchboard.Inference.Models.LlamaModel.Load(file))
            expectedPromptTokens = Switchboard.Inference.Tokenizers.Tokenizer.Encode(model.Tokenizer, Expected, addSpecial: true, parseSpecial: true).Count;
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["Switchboard:Local:ModelsDirectory"] = models });
        var chat = gateway.Sdk().GetChatClient("local/" + Path.GetFileNameWithoutExtension(file));
        List<ChatMessage> messages = [new SystemChatMessage("Be brief."), new UserChatMessage("Hello!")];
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 6 };

        ChatCompletion whole = await chat.CompleteChatAsync(messages, options);
        var streamed = new StringBuilder();
        await foreach (var update in chat.CompleteChatStreamingAsync(messages, options))
            foreach (var part in update.ContentUpdate) streamed.Append(part.Text);

        Assert.Equal(expectedPromptTokens, whole.Usage.InputTokenCount);
        Assert.InRange(whole.Usage.OutputTokenCount, 1, 6);
        Assert.Equal(whole.Content.Count == 0 ? "" : whole.Content[0].Text, streamed.ToString());
        Directory.Delete(models, recursive: true);
    }

    [Fact]
    public async Task Text_a_models_vocabulary_cannot_represent_is_a_400_not_a_500()
    {
        var models = Directory.CreateTempSubdirectory("switchboard-spm-").FullName;
        // No byte tokens and no space marker: "€" and the prefixed space have no token at all.
        Switchboard.Inference.Tests.Models.TinyBpeModel.WriteSentencePiece(["<unk>", "<s>", "</s>", "a", "b"], models);
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["Switchboard:Local:ModelsDirectory"] = models });

        var (status, error) = await PostAsync(gateway, "/v1/completions", """{"model":"local/tiny-spm","prompt":"ab €","max_tokens":2}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        OpenAiErrors.AssertShape(error.GetRawText());
        Assert.Equal("prompt", error.GetProperty("error").GetProperty("param").GetString());
        Assert.Contains("vocabulary", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Directory.Delete(models, recursive: true);
    }

    [ModelFact]
    public async Task An_empty_prompt_for_a_model_without_bos_is_a_400_not_a_500()
    {
        var models = Directory.CreateTempSubdirectory("switchboard-empty-").FullName;
        var file = Switchboard.Inference.Tests.Models.TinyBpeModel.Write(Path.Combine(TestModels.Directory!, "vocab", "ggml-vocab-qwen2.gguf"), null, models);
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["Switchboard:Local:ModelsDirectory"] = models });

        foreach (var stream in new[] { false, true })
        {
            var (status, error) = await PostAsync(gateway, "/v1/completions",
                $$"""{"model":"local/{{Path.GetFileNameWithoutExtension(file)}}","prompt":"","max_tokens":2,"stream":{{(stream ? "true" : "false")}}}""");
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal("prompt", error.GetProperty("error").GetProperty("param").GetString());
        }
        Directory.Delete(models, recursive: true);
    }

    [ModelFact]
    public async Task Log_probabilities_come_in_openai_shape_streamed_and_whole()
    {
        await using var gateway = await StartAsync();
        var chat = gateway.Sdk().GetChatClient("local/stories260K");
        var options = new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 12, IncludeLogProbabilities = true, TopLogProbabilityCount = 2 };
        List<ChatMessage> messages = [new UserChatMessage("Once upon a time")];

        ChatCompletion whole = await chat.CompleteChatAsync(messages, options);
        var tokens = whole.ContentTokenLogProbabilities;
        Assert.Equal(whole.Usage.OutputTokenCount, tokens.Count);
        Assert.Equal(whole.Content[0].Text, string.Concat(tokens.Select(t => t.Token)));
        foreach (var token in tokens)
        {
            Assert.InRange(token.LogProbability, float.NegativeInfinity, 0f);
            Assert.Equal(2, token.TopLogProbabilities.Count);
            // Greedy: the token chosen is the most likely one.
            Assert.Equal(token.TopLogProbabilities[0].Token, token.Token);
            Assert.Equal(token.TopLogProbabilities[0].LogProbability, token.LogProbability, 5);
            Assert.True(token.TopLogProbabilities[0].LogProbability >= token.TopLogProbabilities[1].LogProbability);
            Assert.Equal(token.Token, Encoding.UTF8.GetString(token.Utf8Bytes!.Value.Span));
        }
        var streamed = new List<ChatTokenLogProbabilityDetails>();
        await foreach (var update in chat.CompleteChatStreamingAsync(messages, options)) streamed.AddRange(update.ContentTokenLogProbabilities);
        Assert.Equal(tokens.Select(t => (t.Token, t.LogProbability)), streamed.Select(t => (t.Token, t.LogProbability)));

        var (status, body) = await PostAsync(gateway, "/v1/completions", """{"model":"local/stories260K","prompt":"Once upon a time","max_tokens":6,"temperature":0,"logprobs":3}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var logprobs = body.GetProperty("choices")[0].GetProperty("logprobs");
        Assert.Equal(6, logprobs.GetProperty("tokens").GetArrayLength());
        Assert.Equal(body.GetProperty("choices")[0].GetProperty("text").GetString(), string.Concat(logprobs.GetProperty("tokens").EnumerateArray().Select(t => t.GetString())));
        Assert.All(logprobs.GetProperty("top_logprobs").EnumerateArray(), top => Assert.Equal(3, top.EnumerateObject().Count()));
        var offsets = logprobs.GetProperty("text_offset").EnumerateArray().Select(o => o.GetInt32()).ToList();
        Assert.Equal(0, offsets[0]);
        Assert.True(offsets.Zip(offsets.Skip(1)).All(p => p.First < p.Second));

        (status, _) = await PostAsync(gateway, "/v1/chat/completions", """{"model":"local/stories260K","messages":[{"role":"user","content":"hi"}],"top_logprobs":2}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [ModelFact]
    public async Task Several_choices_come_each_with_its_index_whole_and_streamed()
    {
        await using var gateway = await StartAsync();
        var (status, body) = await PostAsync(gateway, "/v1/completions", """{"model":"local/stories260K","prompt":"Once upon a time","max_tokens":8,"temperature":0,"n":3}""");
        Assert.Equal(HttpStatusCode.OK, status);
        var choices = body.GetProperty("choices").EnumerateArray().ToList();
        Assert.Equal([0, 1, 2], choices.Select(c => c.GetProperty("index").GetInt32()));
        Assert.Single(choices.Select(c => c.GetProperty("text").GetString()).Distinct());    // greedy: the same answer three times
        Assert.Equal(3 * 8, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        const string Sampled = """{"model":"local/stories260K","prompt":"Once upon a time","max_tokens":12,"temperature":1.5,"seed":3,"n":2}""";
        var first = (await PostAsync(gateway, "/v1/completions", Sampled)).Body.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("text").GetString()).ToList();
        var again = (await PostAsync(gateway, "/v1/completions", Sampled)).Body.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("text").GetString()).ToList();
        Assert.NotEqual(first[0], first[1]);
        Assert.Equal(first, again);

        using var response = await gateway.Http.PostAsync("/v1/chat/completions", new StringContent(
            """{"model":"local/stories260K","messages":[{"role":"user","content":"hi"}],"max_tokens":5,"temperature":0,"n":2,"stream":true}""", Encoding.UTF8, "application/json"));
        var events = Sse.Events(await response.Content.ReadAsStringAsync()).Where(e => e != "[DONE]").Select(e => JsonDocument.Parse(e).RootElement).ToList();
        var byIndex = events.SelectMany(e => e.GetProperty("choices").EnumerateArray()).GroupBy(c => c.GetProperty("index").GetInt32()).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal([0, 1], byIndex.Keys.Order());
        foreach (var (_, chunks) in byIndex)
        {
            Assert.Equal("assistant", chunks[0].GetProperty("delta").GetProperty("role").GetString());
            Assert.Equal("length", chunks[^1].GetProperty("finish_reason").GetString());
        }
    }

    [ModelFact]
    public async Task A_broken_model_opens_its_own_circuit_and_the_other_local_models_keep_answering()
    {
        var models = Directory.CreateTempSubdirectory("switchboard-breakers-").FullName;
        await File.WriteAllTextAsync(Path.Combine(models, "broken.gguf"), "not a model");
        File.CreateSymbolicLink(Path.Combine(models, "stories260K.gguf"), Path.Combine(TestModels.Directory!, "stories260K.gguf"));
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("fallback-answer", x => x.Json(200, OpenAiShapes.Completion("from the upstream")));
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(
            ("Local:ModelsDirectory", models),
            ("Models:assistant:Providers:0", "local:broken"),
            ("Models:assistant:Providers:1", "up:fallback-answer")));

        // Five failures within the window open the broken model's circuit (the default threshold); every answer still comes from the fallback.
        for (var i = 0; i < 6; i++)
        {
            var answer = await gateway.Sdk().GetChatClient("assistant").CompleteChatAsync([new UserChatMessage("hi")]);
            Assert.Equal("from the upstream", answer.Value.Content[0].Text);
        }
        var (status, body) = await PostAsync(gateway, "/v1/completions", """{"model":"local/stories260K","prompt":"Once upon a time","max_tokens":4}""");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(4, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        var (brokenStatus, broken) = await PostAsync(gateway, "/v1/completions", """{"model":"local/broken","prompt":"x","max_tokens":4}""");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, brokenStatus);
        Assert.NotNull(broken.GetProperty("error").GetProperty("message").GetString());
        Directory.Delete(models, recursive: true);
    }

    [ModelFact]
    public async Task A_model_past_the_memory_limit_is_refused_saying_what_it_needs()
    {
        await using var gateway = await StartAsync(("Switchboard:Local:MaxModelBytes", "1000000"));

        var (status, error) = await PostAsync(gateway, "/v1/completions", """{"model":"local/stories260K","prompt":"Once","max_tokens":2}""");

        Assert.Equal(HttpStatusCode.BadGateway, status);
        Assert.Equal("local_model_unavailable", error.GetProperty("error").GetProperty("code").GetString());
        var message = error.GetProperty("error").GetProperty("message").GetString();
        Assert.Contains("needs 1.2 MB", message, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Local:MaxModelBytes (1.0 MB)", message, StringComparison.Ordinal);
    }
}
