using Switchboard.Inference.Chat;
using Switchboard.Inference.Gguf;
using Switchboard.Inference.Tensors;
using Switchboard.Inference.Tokenizers;

namespace Switchboard.Inference.Models;

/// <summary>The weights of one transformer block.</summary>
internal sealed record LlamaBlock(
    float[] AttnNorm, WeightMatrix Q, WeightMatrix K, WeightMatrix V, WeightMatrix Output,
    float[]? QBias, float[]? KBias, float[]? VBias,
    float[] FfnNorm, WeightMatrix Gate, WeightMatrix Up, WeightMatrix Down);

/// <summary>
/// A llama-architecture model (also qwen2: NeoX RoPE and QKV biases) loaded from a memory-mapped GGUF file.
/// Weights stay in the mapping; sessions hold the per-sequence state.
/// </summary>
public sealed class LlamaModel : IDisposable
{
    private readonly GgufFile _file;

    private LlamaModel(GgufFile file)
    {
        _file = file;
        Config = LlamaConfig.FromGguf(file);
        Tokenizer = Tokenizers.Tokenizer.FromGguf(file);
        Vocabulary = Tokenizer.Vocabulary;
        Chat = ChatPrompt.FromGguf(file, Tokenizer);
        TokenEmbedding = Matrix("token_embd.weight");
        if (TokenEmbedding.Columns != Config.EmbeddingLength)
            throw new GgufException($"token_embd.weight has {TokenEmbedding.Columns} columns; embedding_length is {Config.EmbeddingLength}.");
        OutputNorm = Matrix("output_norm.weight").ToArray();
        // Llama 3.1+ stretch the long rotary wavelengths with per-pair frequency factors (llama.cpp's rope_freqs).
        if (_file.FindTensor("rope_freqs.weight") is { } freqs)
        {
            RopeFreqFactors = new WeightMatrix(file, freqs).ToArray();
            if (RopeFreqFactors.Length != Config.RopeDimensions / 2)
                throw new GgufException($"rope_freqs.weight has {RopeFreqFactors.Length} factors; the rotary dimensions need {Config.RopeDimensions / 2}.");
        }
        // Tied embeddings: without output.weight the token embedding doubles as the output projection.
        Output = _file.FindTensor("output.weight") is { } output ? new WeightMatrix(file, output) : TokenEmbedding;
        Blocks = Enumerable.Range(0, Config.BlockCount).Select(LoadBlock).ToArray();
    }

    public LlamaConfig Config { get; }
    public Vocabulary Vocabulary { get; }
    public ITokenizer Tokenizer { get; }
    public ChatPrompt Chat { get; }

    private Constraints.TokenTrie? _tokenTrie;

    /// <summary>The vocabulary's token bytes as a prefix tree for constrained decoding, built on first use.</summary>
    public Constraints.TokenTrie TokenTrie =>
        LazyInitializer.EnsureInitialized(ref _tokenTrie, () => new Constraints.TokenTrie([.. Enumerable.Range(0, Vocabulary.Count).Select(Tokenizer.TokenBytes)]));
    internal WeightMatrix TokenEmbedding { get; }
    internal float[] OutputNorm { get; }
    internal float[]? RopeFreqFactors { get; }
    internal WeightMatrix Output { get; }
    internal LlamaBlock[] Blocks { get; }

    /// <exception cref="GgufException">The file is invalid or lacks a tensor the architecture needs.</exception>
    public static LlamaModel Load(string path)
    {
        var file = GgufFile.Open(path);
        try
        {
            return new LlamaModel(file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <param name="contextSize">Tokens the session can hold (prompt plus generated); at most the model's context length.</param>
    /// <param name="f16Cache">Keep K and V at F16 precision, as llama.cpp does by default.</param>
    public LlamaSession CreateSession(int contextSize, bool f16Cache = false) => new(this, Math.Min(contextSize, Config.ContextLength), f16Cache);

    /// <summary>
    /// Evaluates several sequences' next tokens in one pass over the weights (see <see cref="SequenceStep"/>); each
    /// sequence's results are what evaluating it alone gives.
    /// </summary>
    /// <param name="steps">Each sequence's session and tokens; a session at most once.</param>
    /// <param name="logits">Receives <see cref="LogitCount"/> logits for each step that wants them, in order.</param>
    /// <param name="cancellationToken">Checked before each layer.</param>
    /// <exception cref="InvalidOperationException">A sequence's tokens do not fit its context.</exception>
    public void Forward(ReadOnlySpan<SequenceStep> steps, float[] logits, CancellationToken cancellationToken = default) =>
        ForwardPass.Run(this, steps, logits, cancellationToken);

    /// <summary>The number of logits each sequence's step produces (the output projection's rows).</summary>
    public int LogitCount => Output.Rows;

    private LlamaBlock LoadBlock(int i)
    {
        var c = Config;
        WeightMatrix Checked(string name, int columns, int rows)
        {
            var m = Matrix($"blk.{i}.{name}");
            if (m.Columns != columns || m.Rows != rows)
                throw new GgufException($"blk.{i}.{name} is {m.Columns}x{m.Rows}; expected {columns}x{rows}.");
            return m;
        }
        float[]? Bias(string name) => _file.FindTensor($"blk.{i}.{name}") is { } t ? new WeightMatrix(_file, t).ToArray() : null;
        return new LlamaBlock(
            Matrix($"blk.{i}.attn_norm.weight").ToArray(),
            Checked("attn_q.weight", c.EmbeddingLength, c.EmbeddingLength),
            Checked("attn_k.weight", c.EmbeddingLength, c.KvDim),
            Checked("attn_v.weight", c.EmbeddingLength, c.KvDim),
            Checked("attn_output.weight", c.EmbeddingLength, c.EmbeddingLength),
            Bias("attn_q.bias"), Bias("attn_k.bias"), Bias("attn_v.bias"),
            Matrix($"blk.{i}.ffn_norm.weight").ToArray(),
            Checked("ffn_gate.weight", c.EmbeddingLength, c.FeedForwardLength),
            Checked("ffn_up.weight", c.EmbeddingLength, c.FeedForwardLength),
            Checked("ffn_down.weight", c.FeedForwardLength, c.EmbeddingLength));
    }

    private WeightMatrix Matrix(string name) => new(_file, _file.GetTensor(name));

    public void Dispose() => _file.Dispose();
}
