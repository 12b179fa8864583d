using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Cli;

/// <summary><c>switchboard api …</c> against a real gateway on loopback, through the official SDK, with the scripted upstream behind it.</summary>
public sealed class ApiCommandTests
{
    private static bool Streams(ScriptedUpstream upstream, string model) =>
        upstream.CallsFor(model)[^1].Json.TryGetProperty("stream", out var stream) && stream.GetBoolean();

    [Fact]
    public async Task Chat_completions_create_sends_every_message_and_prints_the_answer_plain_streamed_or_as_json()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("gpt-4o-mini", x => Streams(upstream, "gpt-4o-mini") ? StreamAnswer(x, "Four", ", of course", ".") : x.Json(200, Completion("Four.")));
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings());
        var cli = CliRun.Against(gateway);

        var (exit, output, error) = await cli.RunAsync("api", "chat.completions.create", "-m", "gpt-4o-mini", "-g", "system", "Be brief.", "-g", "user", "What is 2+2?",
            "-t", "0.5", "-M", "20", "--stop", "END");
        Assert.Equal((0, "Four.\n", ""), (exit, output.ReplaceLineEndings("\n"), error));
        var sent = upstream.CallsFor("gpt-4o-mini")[0].Json;
        Assert.Equal(["system:Be brief.", "user:What is 2+2?"], sent.GetProperty("messages").EnumerateArray().Select(m => $"{m.GetProperty("role")}:{m.GetProperty("content")}"));
        Assert.Equal((0.5, "END"), (sent.GetProperty("temperature").GetDouble(), sent.GetProperty("stop")[0].GetString()));
        Assert.Equal(20, (sent.TryGetProperty("max_completion_tokens", out var max) ? max : sent.GetProperty("max_tokens")).GetInt32());

        (exit, output, _) = await cli.RunAsync("api", "chat.completions.create", "-m", "gpt-4o-mini", "-g", "user", "2+2?", "--stream");
        Assert.Equal((0, "Four, of course.\n"), (exit, output.ReplaceLineEndings("\n")));

        upstream.On("two", x => x.Json(200, """
            {"id":"c","object":"chat.completion","created":1,"model":"two","choices":[
            {"index":0,"message":{"role":"assistant","content":"Four."},"finish_reason":"stop"},
            {"index":1,"message":{"role":"assistant","content":"4"},"finish_reason":"stop"}],
            "usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}
            """));
        (exit, output, _) = await cli.RunAsync("api", "chat.completions.create", "-m", "two", "-g", "user", "2+2?", "-n", "2");
        Assert.Equal((0, "===== choice 0 =====\nFour.\n===== choice 1 =====\n4\n"), (exit, output.ReplaceLineEndings("\n")));
        Assert.Equal(2, upstream.CallsFor("two")[0].Json.GetProperty("n").GetInt32());

        // Several answers streamed at once: each gets its header when its pieces start arriving.
        upstream.On("two-stream", async x =>
        {
            await x.StartSse();
            foreach (var (index, text) in new[] { (0, "Fo"), (0, "ur."), (1, "4") })
                await x.Event($$"""{"id":"c","object":"chat.completion.chunk","created":1,"model":"two-stream","choices":[{"index":{{index}},"delta":{"content":"{{text}}"},"finish_reason":null}]}""");
            await x.Done();
        });
        (exit, output, _) = await cli.RunAsync("api", "chat.completions.create", "-m", "two-stream", "-g", "user", "2+2?", "--n", "2", "--stream");
        Assert.Equal((0, "===== choice 0 =====\nFour.\n===== choice 1 =====\n4\n"), (exit, output.ReplaceLineEndings("\n")));

        // On a terminal, the model's escape sequences are removed (here: one that would write the clipboard).
        upstream.On("sly", x => x.Json(200, Completion("ok\\u001b]52;c;aGk=\\u0007 done")));
        cli.OutputIsTerminal = true;
        (exit, output, _) = await cli.RunAsync("api", "chat.completions.create", "-m", "sly", "-g", "user", "hi");
        Assert.Equal((0, "ok done\n"), (exit, output.ReplaceLineEndings("\n")));
        cli.OutputIsTerminal = false;
        (_, output, _) = await cli.RunAsync("api", "chat.completions.create", "-m", "sly", "-g", "user", "hi");
        Assert.Contains("\u001b]52", output, StringComparison.Ordinal);   // into a pipe or a file, the answer is exact

        (exit, output, _) = await cli.RunAsync("api", "chat.completions.create", "-m", "gpt-4o-mini", "-g", "user", "2+2?", "--json");
        Assert.Equal(0, exit);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(("chat.completion", "Four."), (json.RootElement.GetProperty("object").GetString(),
            json.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()));
    }

    [Fact]
    public async Task Completions_embeddings_moderations_and_models_print_readably_and_as_json()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("legacy", x => Streams(upstream, "legacy")
            ? StreamLegacy(x)
            : x.Json(200, """{"id":"cmpl-1","object":"text_completion","created":1,"model":"legacy","choices":[{"index":0,"text":" there was a fox.","finish_reason":"stop","logprobs":null}],"usage":{"prompt_tokens":4,"completion_tokens":5,"total_tokens":9}}"""));
        upstream.On("embed", x => x.Json(200,
            """{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.25,-0.5,1.0]},{"object":"embedding","index":1,"embedding":[1,2,3]}],"model":"embed","usage":{"prompt_tokens":4,"total_tokens":4}}"""));
        upstream.On("omni-moderation-latest", x => x.Json(200,
            """{"id":"modr-1","model":"omni-moderation-latest","results":[{"flagged":true,"categories":{"violence":true,"hate":false},"category_scores":{"violence":0.9,"hate":0.01}}]}"""));
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings());
        var cli = CliRun.Against(gateway);

        var (exit, output, _) = await cli.RunAsync("api", "completions.create", "-m", "legacy", "-p", "Once upon a time", "-M", "8");
        Assert.Equal((0, " there was a fox.\n"), (exit, output.ReplaceLineEndings("\n")));
        Assert.Equal(("Once upon a time", 8), (upstream.CallsFor("legacy")[0].Json.GetProperty("prompt").GetString(), upstream.CallsFor("legacy")[0].Json.GetProperty("max_tokens").GetInt32()));
        (exit, output, _) = await cli.RunAsync("api", "completions.create", "-m", "legacy", "-p", "Once", "--stream");
        Assert.Equal((0, " upon a time\n"), (exit, output.ReplaceLineEndings("\n")));

        // A stream that stops without [DONE] is a failure, not a short answer.
        upstream.On("cut", async x =>
        {
            await x.StartSse();
            await x.Event("""{"id":"cmpl-1","object":"text_completion","created":1,"model":"cut","choices":[{"index":0,"text":" upon","finish_reason":null,"logprobs":null}]}""");
        });
        var (cutExit, _, cutError) = await cli.RunAsync("api", "completions.create", "-m", "cut", "-p", "Once", "--stream");
        Assert.Equal(1, cutExit);
        Assert.StartsWith("switchboard: the answer stopped part-way", cutError, StringComparison.Ordinal);

        (exit, output, _) = await cli.RunAsync("api", "embeddings.create", "-m", "embed", "-i", "first", "second");
        Assert.Equal((0, "0: 3 dimensions [0.25, -0.5, 1]\n1: 3 dimensions [1, 2, 3]\n"), (exit, output.ReplaceLineEndings("\n")));
        Assert.Equal(["first", "second"], upstream.CallsFor("embed")[0].Json.GetProperty("input").EnumerateArray().Select(i => i.GetString()));

        (exit, output, _) = await cli.RunAsync("api", "moderations.create", "-i", "something violent");
        Assert.Equal((0, "flagged: violence\n"), (exit, output.ReplaceLineEndings("\n")));

        (exit, output, _) = await cli.RunAsync("api", "models.list", "--json");
        Assert.Equal(0, exit);
        using var models = JsonDocument.Parse(output);
        Assert.Equal("list", models.RootElement.GetProperty("object").GetString());
    }

    [Fact]
    public async Task Images_generate_saves_base64_images_into_the_out_directory_and_prints_urls()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        var png = new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3 };
        upstream.On("dall-e-2", x => x.CallNumber == 1
            ? x.Json(200, $$"""{"created":1,"data":[{"b64_json":"{{Convert.ToBase64String(png)}}"},{"b64_json":"{{Convert.ToBase64String(png)}}"}]}""")
            : x.Json(200, """{"created":1,"data":[{"url":"https://images.example/fox.png"}]}"""));
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings());
        var cli = CliRun.Against(gateway);

        var (exit, output, error) = await cli.RunAsync("api", "images.generate", "-p", "a red fox", "-n", "2", "-s", "256x256", "--out", "foxes");
        Assert.Equal((0, ""), (exit, error));
        var files = output.Trim().ReplaceLineEndings("\n").Split('\n');
        Assert.Equal(2, files.Length);
        foreach (var file in files)
        {
            Assert.StartsWith(Path.Combine(cli.WorkingDirectory, "foxes"), file, StringComparison.Ordinal);
            Assert.Equal(png, await File.ReadAllBytesAsync(file));
        }
        var sent = upstream.CallsFor("dall-e-2")[0].Json;
        Assert.Equal(("a red fox", 2, "256x256"), (sent.GetProperty("prompt").GetString(), sent.GetProperty("n").GetInt32(), sent.GetProperty("size").GetString()));

        (exit, output, _) = await cli.RunAsync("api", "images.generate", "-p", "a red fox");
        Assert.Equal((0, "https://images.example/fox.png\n"), (exit, output.ReplaceLineEndings("\n")));
        Assert.Equal(2, (await cli.RunAsync("api", "images.generate", "-p", "a fox", "-s", "big")).Exit);
    }

    private static async Task StreamLegacy(UpstreamExchange x)
    {
        await x.StartSse();
        foreach (var piece in new[] { " upon", " a", " time" })
            await x.Event($$"""{"id":"cmpl-1","object":"text_completion","created":1,"model":"legacy","choices":[{"index":0,"text":"{{piece}}","finish_reason":null,"logprobs":null}]}""");
        await x.Done();
    }

    [Fact]
    public async Task A_refused_key_an_unreachable_server_and_bad_flags_each_get_one_clear_line_and_their_exit_code()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(("MasterKey", "sk-master-for-tests")));
        var cli = CliRun.Against(gateway);

        cli.Environment["OPENAI_API_KEY"] = "sk-not-a-key";
        var (exit, output, error) = await cli.RunAsync("api", "chat.completions.create", "-m", "gpt-4o-mini", "-g", "user", "hi");
        Assert.Equal((1, ""), (exit, output));
        Assert.StartsWith("switchboard: 401 invalid_api_key: ", error, StringComparison.Ordinal);
        Assert.Contains("--api-key or OPENAI_API_KEY", error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        (exit, _, error) = await cli.RunAsync("api", "models.list", "--base-url", $"http://127.0.0.1:{closedPort}/v1");
        Assert.Equal(1, exit);
        Assert.StartsWith($"switchboard: could not reach http://127.0.0.1:{closedPort}/v1", error, StringComparison.Ordinal);
        Assert.Contains("switchboard serve", error, StringComparison.Ordinal);

        Assert.Equal(2, (await cli.RunAsync("api", "chat.completions.create", "-m", "gpt-4o-mini", "-g", "user")).Exit);
        Assert.Equal(2, (await cli.RunAsync("api", "chat.completions.create", "-m", "gpt-4o-mini", "-g", "robot", "hi")).Exit);
        Assert.Equal(2, (await cli.RunAsync("api", "chat.completions.create", "-g", "user", "hi")).Exit);
        Assert.Equal(2, (await cli.RunAsync("api", "nothing.create")).Exit);
        Assert.Equal(2, (await cli.RunAsync("api", "models.list", "--base-url", "ftp://example.com")).Exit);
    }

    [Fact]
    public async Task The_api_key_comes_from_dotenv_in_the_working_directory_and_a_flag_overrides_it()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("gpt-4o-mini", x => x.Json(200, Completion("ok")));
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(("MasterKey", "sk-master-for-tests")));
        var (_, secret, _) = await Admin.AdminApiTests.ProjectWithKeyAsync(gateway);
        var cli = CliRun.Against(gateway);
        await File.WriteAllTextAsync(Path.Combine(cli.WorkingDirectory, ".env"), $"OPENAI_API_KEY={secret}\n");

        Assert.Equal((0, "ok\n"), await Answer(cli.RunAsync("api", "chat.completions.create", "-m", "gpt-4o-mini", "-g", "user", "hi")));
        Assert.Equal(1, (await cli.RunAsync("api", "chat.completions.create", "-m", "gpt-4o-mini", "-g", "user", "hi", "--api-key", "sk-wrong")).Exit);

        static async Task<(int, string)> Answer(Task<(int Exit, string Output, string Error)> run)
        {
            var (exit, output, _) = await run;
            return (exit, output.ReplaceLineEndings("\n"));
        }
    }
}
