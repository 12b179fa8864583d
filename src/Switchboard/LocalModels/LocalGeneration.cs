using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Switchboard.Inference.Generation;
using Switchboard.Inference.Tokenizers;

namespace Switchboard.LocalModels;

/// <summary>A generated token and the choice (OpenAI's <c>index</c>) it belongs to.</summary>
internal readonly record struct ChoiceToken(int Choice, GeneratedToken Token);

/// <summary>
/// One request's generation by a local model: its choices run one after another as sequences of the model's
/// <see cref="BatchedGenerator"/>, which decodes them together with every other request's (on its own thread, never
/// the request's: Kestrel schedules request work inline, and a computing request thread would stall every connection
/// on it). A reader that stops reading pauses only this sequence. Disposing stops it; <c>release</c> runs once, when
/// the reader is done or the generation is disposed.
/// </summary>
internal sealed class LocalGeneration : IDisposable
{
    // Never disposed: the batch may still look at its token after this request is gone; it holds no timer or registration of its own.
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenRegistration _clientAborted;
    private readonly BatchedGenerator _generator;
    private readonly IReadOnlyList<int> _prompt;
    private readonly GenerationOptions _options;
    private readonly int _choices;
    private readonly ChannelReader<GeneratedToken> _first;
    private Action? _release;

    private LocalGeneration(BatchedGenerator generator, string model, bool isChat, IReadOnlyList<int> prompt, GenerationOptions options, int choices,
        long created, ITokenizer tokenizer, Action release, CancellationToken clientAborted)
    {
        _generator = generator;
        _prompt = prompt;
        _options = options;
        _choices = choices;
        _release = release;
        Tokenizer = tokenizer;
        Model = model;
        IsChat = isChat;
        PromptTokens = prompt.Count;
        Created = created;
        Id = (isChat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N");
        _clientAborted = clientAborted.UnsafeRegister(static stop => ((CancellationTokenSource)stop!).Cancel(), _stop);
        _first = generator.Start(prompt, OptionsFor(0), _stop.Token);
    }

    /// <summary>The model as the client named it (echoed in every response object).</summary>
    public string Model { get; }
    public bool IsChat { get; }
    public string Id { get; }
    public long Created { get; }
    public int PromptTokens { get; }

    /// <summary>How the model writes tool calls and what this request allows; null when it offers no tools.</summary>
    public ToolUse? Tools { get; init; }

    /// <summary>A reader separating one choice's tool calls from its text, or null when there are no tools.</summary>
    public ToolCallReader? NewToolCallReader() => Tools is { } tools ? new ToolCallReader(tools.Syntax, tools.Forced, tools.Functions) : null;

    /// <summary>The model's tokenizer: log probabilities name tokens by their text and bytes.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>
    /// Starts generating <paramref name="choices"/> answers (OpenAI's <c>n</c>, one after another; a given seed moves
    /// on by one per choice, so they differ yet repeat). The first is in the batch before this returns.
    /// </summary>
    public static LocalGeneration Start(LoadedModel model, string clientModel, bool isChat, IReadOnlyList<int> prompt, GenerationOptions options,
        int choices, long created, Action release, CancellationToken clientAborted, ToolUse? tools = null) =>
        new(model.Generator, clientModel, isChat, prompt, options, choices, created, model.Model.Tokenizer, release, clientAborted) { Tools = tools };

    /// <summary>Every choice's tokens in order; ends with the generation's failure, or an <see cref="OperationCanceledException"/> once stopped.</summary>
    public async IAsyncEnumerable<ChoiceToken> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            for (var choice = 0; choice < _choices; choice++)
            {
                var tokens = choice == 0 ? _first : _generator.Start(_prompt, OptionsFor(choice), _stop.Token);
                await foreach (var token in tokens.ReadAllAsync(cancellationToken)) yield return new ChoiceToken(choice, token);
            }
        }
        finally
        {
            Release();
        }
    }

    private GenerationOptions OptionsFor(int choice) =>
        _options.Sampling.Seed is { } seed ? _options with { Sampling = _options.Sampling with { Seed = unchecked(seed + (ulong)choice) } } : _options;

    private void Release() => Interlocked.Exchange(ref _release, null)?.Invoke();

    /// <summary>Stops the generation if it is still running, and gives back its slot and its lease on the model.</summary>
    public void Dispose()
    {
        _clientAborted.Dispose();
        _stop.Cancel();
        Release();
    }
}
