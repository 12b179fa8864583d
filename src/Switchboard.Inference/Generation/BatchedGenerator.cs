using System.Runtime.InteropServices;
using System.Threading.Channels;
using Switchboard.Inference.Models;
using Switchboard.Inference.Tensors;

namespace Switchboard.Inference.Generation;

/// <summary>
/// Runs every generation on one model together (continuous batching): each step is one forward pass over the next
/// token of every decoding sequence plus a chunk of a waiting prompt, so the weights are read once per step for all
/// of them and new requests join without waiting for the others to finish. Each sequence's tokens are exactly what
/// <see cref="Generator"/> gives it alone. The loop runs on its own thread-pool thread, never the caller's.
/// </summary>
public sealed class BatchedGenerator : IDisposable
{
    // Tokens a sequence may have made ahead of its reader; a sequence whose reader is this far behind sits out steps.
    private const int OutputCapacity = 16;

    private readonly LlamaModel _model;
    private readonly int _prefillChunk;
    private readonly Channel<Sequence> _arrivals = Channel.CreateUnbounded<Sequence>();
    private readonly Task _loop;
    private int _active;

    /// <param name="model">The model every sequence runs on.</param>
    /// <param name="prefillChunk">
    /// The most prompt tokens in one step: a long prompt is taken in chunks so the sequences already decoding wait
    /// at most one chunk's time for their next token.
    /// </param>
    public BatchedGenerator(LlamaModel model, int prefillChunk = ForwardPass.RowsPerPass)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(prefillChunk, 1);
        _model = model;
        _prefillChunk = prefillChunk;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Sequences started and not yet ended (decoding, prefilling, or waiting for their reader).</summary>
    public int ActiveSequences => Volatile.Read(ref _active);

    /// <summary>
    /// Starts a generation. Its tokens come out of the returned reader, which completes after the token that carries
    /// a finish reason, or with an <see cref="OperationCanceledException"/> once <paramref name="cancellationToken"/>
    /// fires (checked before every step and inside a prompt's pass). A reader that stops reading pauses only its own sequence.
    /// </summary>
    /// <exception cref="InvalidOperationException">The prompt plus <c>MaxTokens</c> does not fit the model's context.</exception>
    public ChannelReader<GeneratedToken> Start(IReadOnlyList<int> prompt, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        if (prompt.Count == 0) throw new ArgumentException("The prompt must hold at least one token (BOS).", nameof(prompt));
        if ((long)prompt.Count + options.MaxTokens > _model.Config.ContextLength)
            throw new InvalidOperationException(
                $"The prompt ({prompt.Count} tokens) plus max_tokens ({options.MaxTokens}) exceeds the context of {_model.Config.ContextLength} tokens.");
        var sequence = new Sequence([.. prompt], new SequenceState(_model, prompt, options), cancellationToken);
        if (options.MaxTokens == 0)
        {
            sequence.Output.Writer.TryComplete();
            return sequence.Output.Reader;
        }
        Interlocked.Increment(ref _active);
        if (!_arrivals.Writer.TryWrite(sequence)) End(sequence, new ObjectDisposedException(nameof(BatchedGenerator)));
        return sequence.Output.Reader;
    }

    /// <summary>Ends every sequence and waits for the step in progress to finish, so the model can then be disposed.</summary>
    public void Dispose()
    {
        _arrivals.Writer.TryComplete();
        _loop.Wait();
    }

    private async Task RunAsync()
    {
        var active = new List<Sequence>();
        var steps = new List<SequenceStep>();
        var stepped = new List<Sequence>();
        var logits = Array.Empty<float>();
        while (true)
        {
            while (_arrivals.Reader.TryRead(out var arrival)) active.Add(arrival);
            if (_arrivals.Reader.Completion.IsCompleted)
            {
                foreach (var sequence in active) End(sequence, new ObjectDisposedException(nameof(BatchedGenerator)));
                return;
            }
            try
            {
                Sweep(active);
                Plan(active, steps, stepped);
                if (steps.Count == 0)
                {
                    await WaitAsync(active);
                    continue;
                }
                var vocab = _model.LogitCount;
                var wanted = steps.Count(s => s.WantLogits);
                if (logits.Length < wanted * vocab) logits = new float[wanted * vocab];
                if (Evaluate(steps, stepped, logits)) Sample(steps, stepped, logits, vocab);
            }
            catch (Exception e)
            {
                // A fault of the loop itself: the sequences it holds end with it rather than wait forever, and the loop goes on.
                foreach (var sequence in active) End(sequence, e);
                active.Clear();
            }
        }
    }

    /// <summary>
    /// Each sequence that got logits samples its next token and hands it to its reader, or holds it when the reader is
    /// behind. Sampling is spread over the cores: with top-p over a flat distribution one sequence's draw costs about
    /// as much as a decode step, and eight of them in a row on the loop's thread took most of the step's time.
    /// </summary>
    private static void Sample(List<SequenceStep> steps, List<Sequence> stepped, float[] logits, int vocab)
    {
        var rows = new int[stepped.Count];
        var row = 0;
        for (var i = 0; i < stepped.Count; i++)
        {
            var sequence = stepped[i];
            if (sequence.Prefilled < sequence.Prompt.Length) sequence.Prefilled += steps[i].Tokens.Length;
            rows[i] = steps[i].WantLogits ? row++ : -1;
        }
        var drawn = new GeneratedToken[stepped.Count];
        var parts = Math.Min(WorkerPool.Shared.Parts, Math.Max(row, 1));
        RowPartition.ForEachPart(parts, part =>
        {
            for (var i = part; i < stepped.Count; i += parts)
            {
                if (rows[i] >= 0) drawn[i] = stepped[i].State.Next(logits.AsSpan(rows[i] * vocab, vocab));
            }
        });
        for (var i = 0; i < stepped.Count; i++)
        {
            if (rows[i] < 0) continue;
            var sequence = stepped[i];
            sequence.Last[0] = drawn[i].Id;
            if (!sequence.Output.Writer.TryWrite(drawn[i])) sequence.Pending = drawn[i];
            else if (sequence.State.Finished) sequence.Done = true;
        }
    }

    /// <summary>Ends sequences whose client has gone or whose last token is out, and hands held tokens to readers that have room again.</summary>
    private void Sweep(List<Sequence> active)
    {
        for (var i = active.Count - 1; i >= 0; i--)
        {
            var sequence = active[i];
            if (sequence.Pending is { } pending && sequence.Output.Writer.TryWrite(pending))
            {
                sequence.Pending = null;
                sequence.Done = sequence.State.Finished;
            }
            if (sequence.Cancellation.IsCancellationRequested) End(sequence, new OperationCanceledException(sequence.Cancellation));
            else if (sequence.Done) End(sequence, null);
            else continue;
            active.RemoveAt(i);
        }
    }

    /// <summary>This step's rows: each decoding sequence's last token, and prompt chunks in arrival order up to the chunk size.</summary>
    private void Plan(List<Sequence> active, List<SequenceStep> steps, List<Sequence> stepped)
    {
        steps.Clear();
        stepped.Clear();
        var prefill = _prefillChunk;
        foreach (var sequence in active)
        {
            if (sequence.Pending is not null) continue;
            var left = sequence.Prompt.Length - sequence.Prefilled;
            if (left > 0)
            {
                if (prefill == 0) continue;
                var take = Math.Min(left, prefill);
                prefill -= take;
                if (sequence.Session is null && !TryCreateSession(sequence)) continue;
                steps.Add(new SequenceStep(sequence.Session!, sequence.Prompt.AsMemory(sequence.Prefilled, take), WantLogits: take == left));
            }
            else
            {
                steps.Add(new SequenceStep(sequence.Session!, sequence.Last));
            }
            stepped.Add(sequence);
        }
    }

    /// <summary>The sequence's cache, sized for its request (prompt plus max_tokens), not the model's whole context; made here, off the caller's thread.</summary>
    private bool TryCreateSession(Sequence sequence)
    {
        try
        {
            sequence.Session = _model.CreateSession(sequence.Prompt.Length + sequence.State.Options.MaxTokens);
            return true;
        }
        catch (OutOfMemoryException e)
        {
            End(sequence, e);
            sequence.Done = true;
            return false;
        }
    }

    /// <summary>The step's forward pass; false when it did not run (the sequences it failed are ended).</summary>
    private bool Evaluate(List<SequenceStep> steps, List<Sequence> stepped, float[] logits)
    {
        // One sequence alone is cancellable inside its pass (a long prompt is most of its time to first token);
        // in a shared pass one client leaving must not stop the others, so it is noticed before the next step.
        var alone = stepped.Count == 1 ? stepped[0].Cancellation : CancellationToken.None;
        try
        {
            if (steps.Count == 1 && steps[0].Tokens.Length == 1)
                steps[0].Session.Evaluate(steps[0].Tokens.Span[0]).CopyTo(logits);   // one token: the matrix-vector kernels
            else
                _model.Forward(CollectionsMarshal.AsSpan(steps), logits, alone);
            return true;
        }
        catch (OperationCanceledException) when (alone.IsCancellationRequested)
        {
            return false;   // swept before the next step
        }
        catch (Exception e)
        {
            foreach (var sequence in stepped)
            {
                End(sequence, e);
                sequence.Done = true;
            }
            return false;
        }
    }

    /// <summary>Waits for a new sequence, or for a held-back sequence's reader to make room or leave.</summary>
    private async Task WaitAsync(List<Sequence> active)
    {
        var waits = new List<Task> { _arrivals.Reader.WaitToReadAsync().AsTask() };
        foreach (var sequence in active)
        {
            if (sequence.Pending is not null) waits.Add(sequence.Output.Writer.WaitToWriteAsync(sequence.Cancellation).AsTask());
        }
        await Task.WhenAny(waits);
    }

    private void End(Sequence sequence, Exception? error)
    {
        if (sequence.Ended) return;
        sequence.Ended = true;
        // Counted out before its reader can see the end, so a reader that has seen it sees the count without it.
        Interlocked.Decrement(ref _active);
        sequence.Output.Writer.TryComplete(error);
    }

    private sealed class Sequence(int[] prompt, SequenceState state, CancellationToken cancellation)
    {
        public int[] Prompt { get; } = prompt;
        public SequenceState State { get; } = state;
        public CancellationToken Cancellation { get; } = cancellation;
        public Channel<GeneratedToken> Output { get; } =
            Channel.CreateBounded<GeneratedToken>(new BoundedChannelOptions(OutputCapacity) { SingleReader = true, SingleWriter = true });
        public LlamaSession? Session { get; set; }
        public int Prefilled { get; set; }

        /// <summary>The token the next step evaluates (the last one sampled).</summary>
        public int[] Last { get; } = new int[1];

        /// <summary>A token its reader had no room for: the sequence sits out steps until it is taken.</summary>
        public GeneratedToken? Pending { get; set; }
        public bool Done { get; set; }
        public bool Ended { get; set; }
    }
}
