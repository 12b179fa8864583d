// Engine benchmark: writes (once) a random-weight llama GGUF of the SmolLM2-135M shape — n_embd 576, 30 layers,
// 9 heads / 3 KV heads, n_ff 1536, vocab 49152, rope base 100000, tied output, Q8_0 weights with F32 norms — then
// reports prefill (pp) and decode (tg) tokens/s like llama-bench, and peak RSS.
// Usage: Switchboard.Bench.Engine [model-path] [pp=512] [tg=128] [repetitions=5] [weights=q8_0|q4_0] [cache=f32|f16] [batch=1];
// threads = DOTNET_PROCESSOR_COUNT (default: all cores). The model is written only if the path does not exist.
// With batch > 1 it also reports tg<tg>x<batch>: that many sequences decoded together (one forward pass per step for
// all, as the gateway's batch runs them), as total tokens/s.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Switchboard.Inference.Gguf;
using Switchboard.Inference.Models;
using Switchboard.Inference.Quantization;

if (args.Length > 0 && args[0] == "json-mask")
{
    JsonMaskBench.Run(args[1..]);
    return 0;
}
if (args.Length > 1 && args[0] == "json-decode")
{
    // The synthetic model with a real vocabulary (its tokenizer copied from a vocabulary GGUF), so JSON can be spelled.
    using var vocabulary = GgufFile.Open(args[1]);
    var modelPath = Path.Combine(Path.GetTempPath(), $"switchboard-bench-135m-{Path.GetFileNameWithoutExtension(args[1])}.gguf");
    if (!File.Exists(modelPath)) WriteRandomModel(modelPath, GgmlType.Q8_0, vocabulary);
    using var jsonModel = LlamaModel.Load(modelPath);
    await JsonMaskBench.DecodeAsync(jsonModel, args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 128,
        args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 4, args.Length > 4 && args[4] == "schema");
    return 0;
}
if (args.Length > 1 && args[0] == "write-1b-f16")
{
    // The source for K-quant comparisons: llama-quantize SOURCE OUT.gguf Q4_K_M (see bench/llama-compare.sh).
    WriteRandomModel(args[1], GgmlType.F16, llama1B: true);
    return 0;
}
if (args.Length > 0 && args[0] == "embed")
{
    // embed [inputs] [tokens] [rounds]: many inputs embedded one after another, then as one batch, interleaved.
    var embedPath = Path.Combine(Path.GetTempPath(), "switchboard-bench-smollm2-135m-q8_0.gguf");
    if (!File.Exists(embedPath)) WriteRandomModel(embedPath, GgmlType.Q8_0);
    using var embedModel = LlamaModel.Load(embedPath);
    EmbedBench.Run(embedModel, args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 32,
        args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 24, args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 4);
    return 0;
}
var path = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "switchboard-bench-smollm2-135m-q8_0.gguf");
var pp = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 512;
var tg = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 128;
var reps = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 5;
var weightType = args.Length > 4 && args[4] == "q4_0" ? GgmlType.Q4_0 : GgmlType.Q8_0;
var f16Cache = args.Length > 5 && args[5] == "f16";
var batch = args.Length > 6 ? int.Parse(args[6], CultureInfo.InvariantCulture) : 1;
if (!File.Exists(path)) WriteRandomModel(path, weightType);

using var model = LlamaModel.Load(path);
// What loading alone holds (runtime, tokenizer, the weights' pages it touched), apart from what a run adds.
GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
var loadedRss = ProcStatus("VmRSS:");
var loadedHeap = GC.GetGCMemoryInfo().HeapSizeBytes;
var random = new Random(1);
int NextToken() => random.Next(3, model.Vocabulary.Count);

Warm(model);
// Like llama-bench: several repetitions, mean ± standard deviation (this VM's neighbours make single runs noisy).
var ppRates = new List<double>();
var tgRates = new List<double>();
var batchRates = new List<double>();
for (var rep = 0; rep < reps; rep++)
{
    var (ppRate, tgRate) = Repetition(model, pp, tg, f16Cache, NextToken);
    ppRates.Add(ppRate);
    tgRates.Add(tgRate);
    if (batch > 1) batchRates.Add(BatchRepetition(model, tg, batch, f16Cache, NextToken));
    // The repetition's sessions are garbage now: collect and give the memory back, so that peak RSS is what one
    // prefill and one decode need rather than several sessions' worth of large-object-heap fragments.
    GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
}

static string Summary(List<double> rates)
{
    var mean = rates.Average();
    var sd = Math.Sqrt(rates.Sum(r => (r - mean) * (r - mean)) / Math.Max(1, rates.Count - 1));
    return FormattableString.Invariant($"{mean:F1} ± {sd:F1} tok/s [{string.Join(' ', rates.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))}]");
}
Console.WriteLine(FormattableString.Invariant(
    $"threads={Environment.ProcessorCount} cache={(f16Cache ? "f16" : "f32")} weights_mb={new FileInfo(path).Length / 1e6:F1} reps={reps} pp{pp}={Summary(ppRates)} tg{tg}={Summary(tgRates)}{(batch > 1 ? $" tg{tg}x{batch}={Summary(batchRates)}" : "")} peak_rss={ProcStatus("VmHWM:")} loaded_rss={loadedRss} loaded_managed_heap={loadedHeap / 1024} kB"));
return 0;

static string ProcStatus(string field) =>
    File.ReadAllLines("/proc/self/status").First(l => l.StartsWith(field, StringComparison.Ordinal))[field.Length..].Trim();

// A separate method so that its sessions are unreachable once it returns.
[MethodImpl(MethodImplOptions.NoInlining)]
static (double Prefill, double Decode) Repetition(LlamaModel model, int pp, int tg, bool f16Cache, Func<int> nextToken)
{
    var prompt = Enumerable.Range(0, pp).Select(_ => nextToken()).ToArray();
    var prefill = model.CreateSession(pp, f16Cache);
    var started = Stopwatch.GetTimestamp();
    prefill.Prefill(prompt);
    var ppRate = pp / Stopwatch.GetElapsedTime(started).TotalSeconds;

    var decode = model.CreateSession(tg, f16Cache);
    started = Stopwatch.GetTimestamp();
    for (var i = 0; i < tg; i++) decode.Evaluate(nextToken());
    return (ppRate, tg / Stopwatch.GetElapsedTime(started).TotalSeconds);
}

// Decode for several sequences at once, each from a one-token prompt: total tokens over the time of all steps.
[MethodImpl(MethodImplOptions.NoInlining)]
static double BatchRepetition(LlamaModel model, int tg, int batch, bool f16Cache, Func<int> nextToken)
{
    var sessions = Enumerable.Range(0, batch).Select(_ => model.CreateSession(tg, f16Cache)).ToArray();
    var tokens = sessions.Select(_ => new int[1]).ToArray();
    var logits = new float[batch * model.LogitCount];
    var steps = new SequenceStep[batch];
    var started = Stopwatch.GetTimestamp();
    for (var i = 0; i < tg; i++)
    {
        for (var s = 0; s < batch; s++)
        {
            tokens[s][0] = nextToken();
            steps[s] = new SequenceStep(sessions[s], tokens[s]);
        }
        model.Forward(steps, logits);
    }
    return tg * batch / Stopwatch.GetElapsedTime(started).TotalSeconds;
}

// Warm both paths, then pause: tiered compilation promotes hot methods to optimised code only after a quiet
// moment, and without one a run can measure half-optimised code (seen: decode 53 instead of ~150 tok/s).
static void Warm(LlamaModel model)
{
    for (var round = 0; round < 2; round++)
    {
        var session = model.CreateSession(96);
        for (var i = 0; i < 64; i++) session.Evaluate(10 + i);
        model.CreateSession(64).Prefill(Enumerable.Range(10, 64).ToArray());
        Thread.Sleep(1000);
    }
}

static void WriteRandomModel(string path, GgmlType type, GgufFile? tokenizerFrom = null, bool llama1B = false)
{
    // SmolLM2-135M's shape; or Llama 3.2 1B's (n_embd a multiple of 256, so K-quants fit), for llama-quantize to make Q4_K_M of.
    var (embd, layers, heads, kvHeads, ff, vocabSize, ropeBase) = llama1B ? (2048, 16, 32, 8, 8192, 128256, 500000f) : (576, 30, 9, 3, 1536, 49152, 100000f);
    var vocab = tokenizerFrom is null ? vocabSize : ((string[])tokenizerFrom.Metadata["tokenizer.ggml.tokens"].Value).Length;
    var random = new Random(42);
    var writer = new GgufWriter()
        .Add("general.architecture", "llama")
        .Add("llama.embedding_length", (uint)embd)
        .Add("llama.block_count", (uint)layers)
        .Add("llama.attention.head_count", (uint)heads)
        .Add("llama.attention.head_count_kv", (uint)kvHeads)
        .Add("llama.feed_forward_length", (uint)ff)
        .Add("llama.context_length", 8192u)
        .Add("llama.rope.freq_base", ropeBase)
        .Add("llama.attention.layer_norm_rms_epsilon", 1e-5f)
        ;
    if (tokenizerFrom is null)
    {
        // Its tokens are t0..tN: no space marker to prefix, so "t5t5…" is a prompt of t5 tokens through the gateway too.
        writer.Add("tokenizer.ggml.model", "llama")
            .Add("tokenizer.ggml.add_space_prefix", false)
            .Add("tokenizer.ggml.tokens", new GgufValue(GgufValueType.Array, Enumerable.Range(0, vocab).Select(i => $"t{i}").ToArray(), GgufValueType.String));
    }
    else
    {
        foreach (var (key, value) in tokenizerFrom.Metadata.Where(m => m.Key.StartsWith("tokenizer.", StringComparison.Ordinal))) writer.Add(key, value);
    }
    byte[] Weights(int columns, int rows)
    {
        if (type == GgmlType.Q4_0)
        {
            // Any nibbles are valid Q4_0 values; only the deltas need to be sane halves.
            var blocks = new byte[columns * rows / 32 * BlockLayouts.Q4_0Bytes];
            random.NextBytes(blocks);
            for (var b = 0; b < blocks.Length; b += BlockLayouts.Q4_0Bytes) BitConverter.TryWriteBytes(blocks.AsSpan(b), (Half)0.01f);
            return blocks;
        }
        var values = new float[columns * rows];
        for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 0.2 - 0.1);
        if (type == GgmlType.F16)
        {
            var halves = new byte[values.Length * 2];
            for (var i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(halves.AsSpan(i * 2), (Half)values[i]);
            return halves;
        }
        var bytes = new byte[values.Length / 32 * BlockLayouts.Q8_0Bytes];
        Quantizer.ToQ8_0(values, bytes);
        return bytes;
    }
    byte[] Ones(int n) => Enumerable.Repeat(1f, n).SelectMany(BitConverter.GetBytes).ToArray();
    writer.AddTensor("token_embd.weight", type, [embd, vocab], Weights(embd, vocab));
    writer.AddTensor("output_norm.weight", GgmlType.F32, [embd], Ones(embd));
    var kvDim = embd / heads * kvHeads;
    for (var l = 0; l < layers; l++)
    {
        writer.AddTensor($"blk.{l}.attn_norm.weight", GgmlType.F32, [embd], Ones(embd));
        writer.AddTensor($"blk.{l}.attn_q.weight", type, [embd, embd], Weights(embd, embd));
        writer.AddTensor($"blk.{l}.attn_k.weight", type, [embd, kvDim], Weights(embd, kvDim));
        writer.AddTensor($"blk.{l}.attn_v.weight", type, [embd, kvDim], Weights(embd, kvDim));
        writer.AddTensor($"blk.{l}.attn_output.weight", type, [embd, embd], Weights(embd, embd));
        writer.AddTensor($"blk.{l}.ffn_norm.weight", GgmlType.F32, [embd], Ones(embd));
        writer.AddTensor($"blk.{l}.ffn_gate.weight", type, [embd, ff], Weights(embd, ff));
        writer.AddTensor($"blk.{l}.ffn_up.weight", type, [embd, ff], Weights(embd, ff));
        writer.AddTensor($"blk.{l}.ffn_down.weight", type, [ff, embd], Weights(ff, embd));
    }
    writer.Write(path);
}
