using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Cli;

/// <summary><c>switchboard chat</c>: piped (the answer only) and multi-turn (each turn carries the ones before), against a real gateway.</summary>
public sealed class ChatCommandTests
{
    [Fact]
    public async Task Piped_input_is_one_question_and_only_the_streamed_answer_is_printed()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("gpt-4o-mini", x => StreamAnswer(x, "Because of ", "Rayleigh scattering."));
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings());
        var cli = CliRun.Against(gateway);

        var (exit, output, error) = await cli.RunAsync("Why is the sky blue?\n", piped: true, "chat", "-m", "gpt-4o-mini", "-s", "Be brief.");
        Assert.Equal((0, "Because of Rayleigh scattering.\n", ""), (exit, output.ReplaceLineEndings("\n"), error));
        var sent = upstream.CallsFor("gpt-4o-mini").Single().Json;
        Assert.True(sent.GetProperty("stream").GetBoolean());
        Assert.Equal(["system:Be brief.", "user:Why is the sky blue?"],
            sent.GetProperty("messages").EnumerateArray().Select(m => $"{m.GetProperty("role")}:{m.GetProperty("content")}"));
    }

    [Fact]
    public async Task Each_turn_carries_the_conversation_so_far_chinese_intact_and_slash_commands_save_reset_and_count()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("gpt-4o-mini", x => x.CallNumber switch
        {
            1 => StreamAnswer(x, "Hello! ", "How can I help?"),
            2 => StreamAnswer(x, "你好！", "我很好。"),
            _ => StreamAnswer(x, "Fresh start."),
        });
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings());
        var cli = CliRun.Against(gateway);
        var saved = Path.Combine(cli.WorkingDirectory, "chat.json");

        var (exit, output, error) = await cli.RunAsync($"hello\n你好吗？\n/usage\n/save {saved}\n/reset\n/model no-such-model\nhi\n/model gpt-4o-mini\nagain\n/exit\n",
            piped: false, "chat", "-m", "gpt-4o-mini");
        Assert.Equal(0, exit);
        // A refused turn is one line on stderr, and the chat goes on.
        Assert.StartsWith("switchboard: 404", error, StringComparison.Ordinal);
        Assert.Contains("Hello! How can I help?", output, StringComparison.Ordinal);
        Assert.Contains("你好！我很好。", output, StringComparison.Ordinal);
        Assert.Contains("2 requests, 10 prompt tokens, 4 completion tokens.", output, StringComparison.Ordinal);

        var calls = upstream.CallsFor("gpt-4o-mini");
        Assert.Equal(3, calls.Count);
        Assert.Equal(["user:hello", "assistant:Hello! How can I help?", "user:你好吗？"],
            calls[1].Json.GetProperty("messages").EnumerateArray().Select(m => $"{m.GetProperty("role")}:{m.GetProperty("content")}"));
        // After /reset the conversation starts again.
        Assert.Equal(["user:again"], calls[2].Json.GetProperty("messages").EnumerateArray().Select(m => $"{m.GetProperty("role")}:{m.GetProperty("content")}"));
        // /save wrote the conversation as it stood, as OpenAI's messages; /load continues it.
        Assert.Contains("你好吗？", await File.ReadAllTextAsync(saved), StringComparison.Ordinal);
        (exit, output, _) = await cli.RunAsync($"/load {saved}\nmore\n", piped: false, "chat", "-m", "gpt-4o-mini");
        Assert.Equal(0, exit);
        Assert.Contains("Loaded 4 messages", output, StringComparison.Ordinal);
        Assert.Equal(5, upstream.CallsFor("gpt-4o-mini")[3].Json.GetProperty("messages").GetArrayLength());
    }

    [Fact]
    public async Task Without_a_model_the_first_the_server_lists_is_used()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.ListedModels.Add("listed-model");
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings());
        var cli = CliRun.Against(gateway);
        var models = await gateway.Sdk().GetOpenAIModelClient().GetModelsAsync();
        var first = models.Value[0].Id;
        upstream.On(first, x => StreamAnswer(x, "ok"));

        var (exit, output, _) = await cli.RunAsync("hi", piped: true, "chat");
        Assert.Equal((0, "ok\n"), (exit, output.ReplaceLineEndings("\n")));
        Assert.Single(upstream.CallsFor(first));
    }
}

/// <summary><c>switchboard chat</c> in a real terminal (tmux): typed and edited turns, history, Chinese, Markdown, Ctrl-C mid-answer, /exit.</summary>
public sealed class ChatTerminalTests
{
    private static IEnumerable<string> Messages(RecordedCall call) =>
        call.Json.GetProperty("messages").EnumerateArray().Select(m => $"{m.GetProperty("role")}:{m.GetProperty("content")}");

    [TmuxFact]
    public async Task Typed_turns_stream_into_the_terminal_edited_recalled_and_styled_ctrl_c_stops_an_answer_and_exit_leaves()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("gpt-4o-mini", async x =>
        {
            switch (x.CallNumber)
            {
                case 1: await StreamAnswer(x, "**Hello!** How ", "can I help?\\n- first\\n- `second`"); break;
                case 2: await StreamAnswer(x, "你好！", "我很好，谢谢。"); break;
                case 3:
                    await x.StartSse();
                    await x.Event(RoleChunk());
                    await x.Event(ContentChunk("Once upon a time"));
                    await x.Stall();   // until the client stops it
                    break;
                default: await StreamAnswer(x, "Back at the prompt."); break;
            }
        });
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings());
        var work = Directory.CreateTempSubdirectory("switchboard-tmux-").FullName;
        await using var terminal = await TmuxTerminal.StartAsync(
            [Environment.ProcessPath!, typeof(Switchboard.Cli.CommandLine).Assembly.Location, "chat", "-m", "gpt-4o-mini"],
            new Dictionary<string, string> { ["OPENAI_BASE_URL"] = gateway.BaseUrl + "/v1", ["HOME"] = work, ["LANG"] = "C.UTF-8", ["TERM"] = "xterm-256color" }, work);

        await terminal.WaitForAsync("Chatting with gpt-4o-mini");
        // Keys are typed only once the prompt waits for them, as a person would.
        await terminal.WaitForLastLineAsync(">");
        await terminal.TypeLineAsync("hello");
        // Markdown: the finished lines are redrawn styled (the asterisks and dashes are gone, bold is bold).
        var screen = await terminal.WaitForAsync("• second");
        Assert.Contains("Hello! How can I help?", screen, StringComparison.Ordinal);
        Assert.Contains("• first", screen, StringComparison.Ordinal);
        Assert.Contains("\u001b[1mHello!", await terminal.ScreenAsync(styles: true), StringComparison.Ordinal);
        await terminal.WaitForLastLineAsync(">");

        // Chinese, with a wide character rubbed out by Backspace before Enter.
        await terminal.TypeAsync("你好马");
        await terminal.PressAsync("BSpace");
        await terminal.TypeLineAsync("吗？");
        await terminal.WaitForAsync("你好！我很好，谢谢。");
        Assert.Contains("> 你好吗？", await terminal.ScreenAsync(), StringComparison.Ordinal);
        // The second request carried the first turn (as the model wrote it); the Chinese arrived as typed.
        Assert.Equal(["user:hello", "assistant:**Hello!** How can I help?\n- first\n- `second`", "user:你好吗？"], Messages(upstream.CallsFor("gpt-4o-mini")[1]));
        await terminal.WaitForLastLineAsync(">");

        // A typo fixed in the middle of the line; then Ctrl-C mid-answer stops it (the request upstream is abandoned).
        await terminal.TypeAsync("tell me a lng story");
        await terminal.PressAsync(Enumerable.Repeat("Left", 8).ToArray());
        await terminal.TypeLineAsync("o");
        await terminal.WaitForAsync("Once upon a time");
        Assert.Equal("user:tell me a long story", Messages(upstream.CallsFor("gpt-4o-mini")[2]).Last());
        await terminal.PressAsync("C-c");
        await terminal.WaitForAsync("[stopped]");
        await upstream.CallsFor("gpt-4o-mini")[2].Aborted.WaitAsync(TimeSpan.FromSeconds(30));
        await terminal.WaitForLastLineAsync(">");

        // Up walks back through what was typed: twice is the Chinese question, sent again as it was.
        await terminal.PressAsync("Up", "Up", "Enter");
        await terminal.WaitForAsync("Back at the prompt.");
        Assert.Equal("user:你好吗？", Messages(upstream.CallsFor("gpt-4o-mini")[3]).Last());
        await terminal.WaitForLastLineAsync(">");

        await terminal.TypeLineAsync("/exit");
        await terminal.WaitForExitAsync();
    }
}
