using System.Diagnostics;
using System.Globalization;
using System.Text;
using Switchboard.Inference.Constraints;
using Switchboard.Inference.Generation;
using Switchboard.Inference.Models;
using Switchboard.Inference.Gguf;
using Switchboard.Inference.Sampling;
using Switchboard.Inference.Tokenizers;

/// <summary>
/// <c>json-mask VOCAB.gguf…</c>: what JSON mode costs per generated token on real vocabularies. For each vocabulary
/// file (a GGUF with a tokenizer; weights not needed): the trie's build time, then a realistic JSON answer tokenized
/// by that vocabulary is replayed through the constraint, timing each step's mask (walk plus candidate filtering),
/// split into steps inside strings and the rest, in JSON mode and under a strict schema the answer is a value of.
/// Compare with a decode step's time (the tg figure of this program).
/// </summary>
internal static class JsonMaskBench
{
    private const string Answer = """
        {"name": "Whiskers", "species": "cat", "age": 4, "weight_kg": 4.75, "indoor": true, "owner": null,
         "colours": ["grey", "white"], "favourite_foods": [{"name": "tuna", "rating": 9}, {"name": "chicken", "rating": 8}],
         "notes": "Sleeps most of the afternoon by the window; wakes up for dinner at exactly 6 p.m. 喜欢晒太阳。",
         "vaccinations": {"rabies": "2026-03-01", "fvrcp": "2025-11-20"}, "microchip": 981020000123456}
        """;

    // The answer's shape as a strict structured-outputs schema: typed members, an enum, nested objects and arrays, a $ref.
    private const string Schema = """
        {"type":"object","properties":{
          "name":{"type":"string","maxLength":40},"species":{"enum":["cat","dog","rabbit"]},"age":{"type":"integer"},
          "weight_kg":{"type":"number"},"indoor":{"type":"boolean"},"owner":{"anyOf":[{"type":"string"},{"type":"null"}]},
          "colours":{"type":"array","items":{"type":"string"},"maxItems":4},
          "favourite_foods":{"type":"array","items":{"$ref":"#/$defs/food"}},
          "notes":{"type":"string"},
          "vaccinations":{"type":"object","properties":{"rabies":{"type":"string"},"fvrcp":{"type":"string"}}},
          "microchip":{"type":"integer"}},
         "$defs":{"food":{"type":"object","properties":{"name":{"type":"string"},"rating":{"type":"integer"}}}}}
        """;

    private static readonly JsonSchemaNode SchemaNode = JsonSchemaCompiler.Compile(System.Text.Json.JsonDocument.Parse(Schema).RootElement, strict: true);

    /// <summary>
    /// <c>json-decode VOCAB.gguf [tg] [rounds] [json|schema]</c>: decode tokens/s of the synthetic 135M model carrying a real
    /// vocabulary, sampling at temperature 1 with JSON mode off and on, interleaved round by round (this machine drifts
    /// between runs); one thread's sampling after each forward pass, as a single request decodes.
    /// </summary>
    public static async Task DecodeAsync(LlamaModel model, int tg, int rounds, bool schema)
    {
        var prompt = model.Tokenizer.Encode(Encoding.UTF8.GetBytes("Describe a cat as JSON:"), addSpecial: true);
        async Task<double> RateAsync(bool json, int seed)
        {
            var session = model.CreateSession(prompt.Count + tg + 1);
            var options = new GenerationOptions
            {
                MaxTokens = tg,
                Sampling = new SamplingOptions { Temperature = 1f, Seed = (ulong)seed },
                Constraint = !json ? null : schema
                    ? length => new JsonConstraint<SchemaState>(model.TokenTrie, new SchemaState(SchemaNode), model.Vocabulary.EndOfGeneration, length, tg, SchemaState.Horizon(SchemaNode), SchemaState.Reach(SchemaNode), SchemaState.Reach(SchemaNode))
                    : length => new JsonConstraint<JsonState>(model.TokenTrie, default, model.Vocabulary.EndOfGeneration, length, tg),
            };
            var produced = 0;
            long first = 0;
            await foreach (var _ in Generator.GenerateAsync(model, session, prompt, options))
            {
                // Timed from the first token: the prompt's prefill is the same either way.
                if (produced++ == 0) first = Stopwatch.GetTimestamp();
            }
            return (produced - 1) / Stopwatch.GetElapsedTime(first).TotalSeconds;
        }
        _ = model.TokenTrie;                 // built once per model, before timing
        await RateAsync(json: false, 1);     // warm-up
        await RateAsync(json: true, 1);
        var off = new List<double>();
        var on = new List<double>();
        for (var round = 0; round < rounds; round++)
        {
            if (round % 2 == 0) { off.Add(await RateAsync(false, round + 2)); on.Add(await RateAsync(true, round + 2)); }
            else { on.Add(await RateAsync(true, round + 2)); off.Add(await RateAsync(false, round + 2)); }
        }
        var ratios = on.Zip(off, (a, b) => a / b).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(schema ? "schema" : "json")} vocab={model.Vocabulary.Count} tg={tg} rounds={rounds} off={off.Average():0.0} tok/s on={on.Average():0.0} tok/s on/off={ratios.Average():0.000} (min {ratios.Min():0.000}, max {ratios.Max():0.000})"));
    }

    public static void Run(string[] vocabularies)
    {
        Console.WriteLine("| vocabulary | mode | tokens | trie build ms | answer tokens | mask µs/step (mean) | in strings | elsewhere | max |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var path in vocabularies)
        {
            using var file = GgufFile.Open(path);
            var tokenizer = Tokenizer.FromGguf(file);
            var count = tokenizer.Vocabulary.Count;
            var started = Stopwatch.GetTimestamp();
            var trie = new TokenTrie([.. Enumerable.Range(0, count).Select(tokenizer.TokenBytes)]);
            var buildMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var tokens = tokenizer.Encode(Encoding.UTF8.GetBytes(Answer.ReplaceLineEndings(" ")), addSpecial: false);
            Replay(path, "json", tokenizer, trie, buildMs, tokens, default(JsonState));
            Replay(path, "schema", tokenizer, trie, buildMs, tokens, new SchemaState(SchemaNode));
        }
    }

    private static void Replay<TState>(string path, string mode, ITokenizer tokenizer, TokenTrie trie, double buildMs, List<int> tokens, TState initial)
        where TState : struct, IJsonPrefix
    {
        var logits = new float[trie.VocabularySize];
        var candidates = new Candidates();
        // Rounds: the first warms the JIT; the rest are timed.
        double stringTotal = 0, otherTotal = 0, max = 0;
        int stringSteps = 0, otherSteps = 0;
        for (var round = 0; round < 6; round++)
        {
            var constraint = new JsonConstraint<TState>(trie, initial, new HashSet<int>(), promptLength: 0);
            var history = new List<int>();
            var state = default(JsonState);
            foreach (var token in tokens)
            {
                var inString = state.InPlainString;
                candidates.Reset(logits);
                var step = Stopwatch.GetTimestamp();
                constraint.Apply(candidates, history);
                var micros = Stopwatch.GetElapsedTime(step).TotalMicroseconds;
                if (round > 0)
                {
                    if (inString) { stringTotal += micros; stringSteps++; }
                    else { otherTotal += micros; otherSteps++; }
                    max = Math.Max(max, micros);
                }
                history.Add(token);
                foreach (var b in tokenizer.TokenBytes(token)) state.Advance(b);
            }
            candidates.Reset(logits);
            constraint.Apply(candidates, history);
            if (!constraint.IsComplete) throw new InvalidOperationException($"the answer is not a whole value under {mode}");
        }
        var mean = (stringTotal + otherTotal) / Math.Max(1, stringSteps + otherSteps);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {Path.GetFileName(path)} | {mode} | {trie.VocabularySize} | {buildMs:0} | {tokens.Count} | {mean:0} | {stringTotal / Math.Max(1, stringSteps):0} | {otherTotal / Math.Max(1, otherSteps):0} | {max:0} |"));
    }
}
