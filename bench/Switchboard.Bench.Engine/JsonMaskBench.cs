using System.Diagnostics;
using System.Globalization;
using System.Text;
using Switchboard.Inference.Constraints;
using Switchboard.Inference.Gguf;
using Switchboard.Inference.Sampling;
using Switchboard.Inference.Tokenizers;

/// <summary>
/// <c>json-mask VOCAB.gguf…</c>: what JSON mode costs per generated token on real vocabularies. For each vocabulary
/// file (a GGUF with a tokenizer; weights not needed): the trie's build time, then a realistic JSON answer tokenized
/// by that vocabulary is replayed through the constraint, timing each step's mask (walk plus candidate filtering),
/// split into steps inside strings and the rest. Compare with a decode step's time (the tg figure of this program).
/// </summary>
internal static class JsonMaskBench
{
    private const string Answer = """
        {"name": "Whiskers", "species": "cat", "age": 4, "weight_kg": 4.75, "indoor": true, "owner": null,
         "colours": ["grey", "white"], "favourite_foods": [{"name": "tuna", "rating": 9}, {"name": "chicken", "rating": 8}],
         "notes": "Sleeps most of the afternoon by the window; wakes up for dinner at exactly 6 p.m. 喜欢晒太阳。",
         "vaccinations": {"rabies": "2026-03-01", "fvrcp": "2025-11-20"}, "microchip": 981020000123456}
        """;

    public static void Run(string[] vocabularies)
    {
        Console.WriteLine("| vocabulary | tokens | trie build ms | answer tokens | mask µs/step (mean) | in strings | elsewhere | max |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var path in vocabularies)
        {
            using var file = GgufFile.Open(path);
            var tokenizer = Tokenizer.FromGguf(file);
            var count = tokenizer.Vocabulary.Count;
            var started = Stopwatch.GetTimestamp();
            var trie = new TokenTrie([.. Enumerable.Range(0, count).Select(tokenizer.TokenBytes)]);
            var buildMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var tokens = tokenizer.Encode(Encoding.UTF8.GetBytes(Answer.ReplaceLineEndings(" ")), addSpecial: false);
            var logits = new float[count];
            var candidates = new Candidates();
            // Rounds: the first warms the JIT; the rest are timed.
            double stringTotal = 0, otherTotal = 0, max = 0;
            int stringSteps = 0, otherSteps = 0;
            for (var round = 0; round < 6; round++)
            {
                var constraint = new JsonConstraint(trie, new HashSet<int>(), promptLength: 0);
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
            }
            var mean = (stringTotal + otherTotal) / Math.Max(1, stringSteps + otherSteps);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {Path.GetFileName(path)} | {count} | {buildMs:0} | {tokens.Count} | {mean:0} | {stringTotal / Math.Max(1, stringSteps):0} | {otherTotal / Math.Max(1, otherSteps):0} | {max:0} |"));
        }
    }
}
