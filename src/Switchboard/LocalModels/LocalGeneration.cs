using System.Threading.Channels;
using Switchboard.Inference.Generation;
using Switchboard.Inference.Models;
using Switchboard.Inference.Tokenizers;

namespace Switchboard.LocalModels;

/// <summary>A generated token and the choice (OpenAI's <c>index</c>) it belongs to.</summary>
internal readonly record struct ChoiceToken(int Choice, GeneratedToken Token);

/// <summary>
/// One generation by a local model, running on a thread-pool thread (never on the request's: Kestrel schedules
/// request work inline, and a computing request thread would stall every connection on it). Tokens come out
/// through a small bounded channel, so a client that does not read pauses the model. Disposing stops it; the
/// sequence slot is given back when it has stopped.
/// </summary>
internal sealed class LocalGeneration : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly Channel<ChoiceToken> _tokens = Channel.CreateBounded<ChoiceToken>(new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });

    private LocalGeneration(string model, bool isChat, int promptTokens, long created, ITokenizer tokenizer, CancellationTokenSource stop)
    {
        Tokenizer = tokenizer;
        Model = model;
        IsChat = isChat;
        PromptTokens = promptTokens;
        Created = created;
        Id = (isChat ? "chatcmpl-" : "cmpl-") + Guid.NewGuid().ToString("N");
        _stop = stop;
    }

    /// <summary>The model as the client named it (echoed in every response object).</summary>
    public string Model { get; }
    public bool IsChat { get; }
    public string Id { get; }
    public long Created { get; }
    public int PromptTokens { get; }

    /// <summary>The model's tokenizer: log probabilities name tokens by their text and bytes.</summary>
    public ITokenizer Tokenizer { get; }

    public ChannelReader<ChoiceToken> Tokens => _tokens.Reader;

    /// <summary>
    /// Starts generating <paramref name="choices"/> answers one after another (OpenAI's <c>n</c>; a given seed moves
    /// on by one per choice, so they differ yet repeat); <paramref name="release"/> runs once generation has stopped,
    /// however it stopped.
    /// </summary>
    public static LocalGeneration Start(LlamaModel model, string clientModel, bool isChat, IReadOnlyList<int> prompt, GenerationOptions options,
        int choices, long created, Action release, CancellationToken clientAborted)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(clientAborted);
        var generation = new LocalGeneration(clientModel, isChat, prompt.Count, created, model.Tokenizer, stop);
        var writer = generation._tokens.Writer;
        var stopped = stop.Token;
        _ = Task.Run(async () =>
        {
            try
            {
                for (var choice = 0; choice < choices; choice++)
                {
                    // The KV cache is sized for this request, not the model's whole context.
                    var session = model.CreateSession(prompt.Count + options.MaxTokens);
                    var sampling = options.Sampling.Seed is { } seed ? options.Sampling with { Seed = unchecked(seed + (ulong)choice) } : options.Sampling;
                    await foreach (var token in Generator.GenerateAsync(model, session, prompt, options with { Sampling = sampling }, stopped))
                        await writer.WriteAsync(new ChoiceToken(choice, token), stopped);
                }
                writer.TryComplete();
            }
            catch (Exception e)
            {
                writer.TryComplete(e);
            }
            finally
            {
                stop.Dispose();
                release();
            }
        }, CancellationToken.None);
        return generation;
    }

    /// <summary>Stops the generation if it is still running (its task disposes the token source when it ends).</summary>
    public void Dispose()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // It had already ended.
        }
    }
}
