using System.CommandLine;
using OpenAI.Chat;
using Switchboard.Cli.Client;

namespace Switchboard.Cli.Chat;

/// <summary>
/// <c>switchboard chat</c>: a multi-turn conversation in the terminal, each answer streamed as it is generated. With
/// input piped in, the whole input is one question and only the answer is printed.
/// </summary>
internal static class ChatCommand
{
    private const string Help = """
        /system TEXT   set the system message        /model NAME   switch model
        /reset         forget the conversation       /usage        tokens used so far
        /save FILE     save the messages as JSON     /load FILE    continue a saved conversation
        /help          this list                     /exit         leave (also exit, quit, Ctrl-D)
        Ctrl-C stops an answer without leaving.
        """;

    public static Command Create(CliContext context)
    {
        var connection = new ConnectionOptions();
        var model = new Option<string>("--model", "-m") { Description = "The model (default: the first the server lists)." };
        var system = new Option<string>("--system", "-s") { Description = "A system message for the conversation." };
        var temperature = new Option<float?>("--temperature", "-t") { Description = "Sampling temperature, 0 to 2." };
        var topP = new Option<float?>("--top-p", "-P") { Description = "Nucleus sampling: the probability mass to sample from." };
        var maxTokens = new Option<int?>("--max-tokens", "-M") { Description = "The most tokens per answer." };
        var json = new Option<bool>("--json") { Description = "JSON mode: answers are JSON objects (response_format json_object)." };
        var command = new Command("chat", "Chat with a model in the terminal; answers stream as they are generated.") { model, system, temperature, topP, maxTokens, json };
        command.WithExamples($"""
            Examples:
              switchboard chat -m gpt-4o-mini
              echo "Why is the sky blue?" | switchboard chat -m local/qwen2.5-0.5b-instruct     (prints only the answer)

            In a chat:
            {Help}
            """);
        connection.AddTo(command);
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var (resolved, problem) = connection.Resolve(parsed, context);
            if (resolved is null) return CommandLine.Fail(context.Error, problem!);
            var options = new ChatCompletionOptions
            {
                Temperature = parsed.GetValue(temperature),
                TopP = parsed.GetValue(topP),
                MaxOutputTokenCount = parsed.GetValue(maxTokens),
            };
            if (parsed.GetValue(json)) options.ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat();
            var client = resolved.Client();
            return await ApiCall.RunAsync(context, resolved, async () =>
            {
                var name = parsed.GetValue(model);
                if (name is null)
                {
                    var models = await client.GetOpenAIModelClient().GetModelsAsync(cancellationToken);
                    if (models.Value.Count == 0) return CommandLine.Fail(context.Error, "the server lists no models; give one with --model.");
                    name = models.Value[0].Id;
                }
                // Styled answers and line editing only on the real terminal; pipes, files and tests get plain text.
                var terminal = !context.InputRedirected && context.OutputIsTerminal && ReferenceEquals(context.Output, Console.Out);
                var colour = terminal && !(context.Environment.TryGetValue("NO_COLOR", out var noColor) && !string.IsNullOrEmpty(noColor));
                AnswerWriter answers = colour ? new MarkdownAnswer(context.Output, () => Math.Max(1, Console.WindowWidth)) : new PlainAnswer(context.Output, context.OutputIsTerminal);
                var session = new ChatSession(resolved, client.GetChatClient, name, parsed.GetValue(system), options, answers);
                if (context.InputRedirected)
                {
                    // Piped: the input is the question, the answer the only output.
                    var question = await context.Input.ReadToEndAsync(cancellationToken);
                    if (string.IsNullOrWhiteSpace(question)) return CommandLine.Fail(context.Error, "no question on standard input.");
                    await session.AskAsync(question.TrimEnd('\r', '\n'), cancellationToken);
                    await context.Output.WriteLineAsync();
                    return 0;
                }
                return await InteractiveAsync(context, session, terminal ? LineEditor.ForConsole(context.Output) : null, cancellationToken);
            });
        });
        return command;
    }

    private static async Task<int> InteractiveAsync(CliContext context, ChatSession session, LineEditor? editor, CancellationToken cancellationToken)
    {
        var output = context.Output;
        await output.WriteLineAsync($"Chatting with {session.Model}. /help for commands, /exit to leave.");
        CancellationTokenSource? answering = null;
        // Ctrl-C stops the answer being streamed; at the prompt it leaves, as a shell's would.
        ConsoleCancelEventHandler stop = (_, e) =>
        {
            if (answering is { } current)
            {
                e.Cancel = true;
                try
                {
                    current.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The answer ended just as Ctrl-C came: nothing left to stop.
                }
            }
        };
        Console.CancelKeyPress += stop;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                string? line;
                if (editor is not null)
                {
                    line = editor.ReadLine("> ");
                }
                else
                {
                    await output.WriteAsync("> ");
                    await output.FlushAsync(cancellationToken);
                    line = await context.Input.ReadLineAsync(cancellationToken);
                }
                if (line is null) break;
                line = line.Trim();
                if (line.Length == 0) continue;
                if (line is "exit" or "quit" or "/exit" or "/quit") break;
                if (line.StartsWith('/'))
                {
                    await output.WriteLineAsync(Command(session, line));
                    continue;
                }
                using (answering = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    try
                    {
                        await session.AskAsync(line, answering.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && answering.IsCancellationRequested)
                    {
                        await output.WriteAsync(" [stopped]");
                    }
                    catch (Exception e) when (ApiCall.OneLine(e, session.Connection) is { } problem)
                    {
                        // A refused or failed turn is reported and the conversation goes on (a wrong /model, a limit, a dropped connection).
                        await output.FlushAsync(CancellationToken.None);
                        await context.Error.WriteLineAsync(problem);
                    }
                    finally
                    {
                        answering = null;
                    }
                }
                await output.WriteLineAsync();
            }
            return 0;
        }
        finally
        {
            Console.CancelKeyPress -= stop;
        }
    }

    /// <summary>Runs a slash command; what to print.</summary>
    private static string Command(ChatSession session, string line)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        var (name, argument) = space < 0 ? (line, "") : (line[..space], line[(space + 1)..].Trim());
        switch (name)
        {
            case "/system":
                session.System = argument.Length == 0 ? null : argument;
                return argument.Length == 0 ? "System message removed." : "System message set.";
            case "/model":
                if (argument.Length == 0) return $"Model: {session.Model}";
                session.Model = argument;
                return $"Model: {session.Model}";
            case "/reset":
                session.Reset();
                return "Conversation forgotten.";
            case "/usage":
                return $"{session.Requests} requests, {session.InputTokens} prompt tokens, {session.OutputTokens} completion tokens.";
            case "/save":
                if (argument.Length == 0) return "Usage: /save FILE";
                try
                {
                    File.WriteAllText(argument, session.ToJson());
                    return $"Saved {session.Turns} messages to {argument}.";
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return $"Could not save: {e.Message}";
                }
            case "/load":
                if (argument.Length == 0) return "Usage: /load FILE";
                try
                {
                    return session.Load(File.ReadAllText(argument)) is { } problem ? $"Could not load: {problem}" : $"Loaded {session.Turns} messages (model {session.Model}).";
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    return $"Could not load: {e.Message}";
                }
            case "/help":
                return Help;
            default:
                return $"Unknown command {name}. /help lists them.";
        }
    }
}
