using System.Diagnostics;
using System.Globalization;
using Switchboard.Inference.Embeddings;
using Switchboard.Inference.Models;

/// <summary>
/// <c>embed [inputs] [tokens] [rounds]</c>: what running a request's embedding inputs as one batch buys. The same
/// inputs are embedded token by token (as the first version did), one forward pass per input, and with
/// <see cref="Embedder.EmbedAll"/> as one batch (up to 512 tokens of several inputs per pass), interleaved round by round.
/// </summary>
internal static class EmbedBench
{
    public static void Run(LlamaModel model, int inputs, int tokens, int rounds)
    {
        var random = new Random(3);
        int[][] texts = [.. Enumerable.Range(0, inputs).Select(_ => Enumerable.Range(0, tokens).Select(_ => random.Next(3, model.Vocabulary.Count)).ToArray())];
        double Time(Action embed)
        {
            var started = Stopwatch.GetTimestamp();
            embed();
            return inputs * tokens / Stopwatch.GetElapsedTime(started).TotalSeconds;
        }
        void TokenByToken()
        {
            foreach (var text in texts)
            {
                var session = model.CreateSession(text.Length, f16Cache: true);
                foreach (var token in text) session.Evaluate(token);
            }
        }
        void PassPerInput()
        {
            foreach (var text in texts) Embedder.EmbedAll(model, [text]);
        }
        void Batched() => Embedder.EmbedAll(model, texts);
        Action[] ways = [TokenByToken, PassPerInput, Batched];
        foreach (var way in ways) way();   // warm-up
        var rates = ways.Select(_ => new List<double>()).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            // Each round in another order, so drift is shared out.
            for (var i = 0; i < ways.Length; i++)
            {
                var w = (i + round) % ways.Length;
                rates[w].Add(Time(ways[w]));
            }
        }
        string Ratio(int w) => string.Create(CultureInfo.InvariantCulture,
            $"{rates[2].Zip(rates[w], (b, a) => b / a).Average():0.00} (min {rates[2].Zip(rates[w], (b, a) => b / a).Min():0.00}, max {rates[2].Zip(rates[w], (b, a) => b / a).Max():0.00})");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"inputs={inputs} tokens={tokens} rounds={rounds} token-by-token={rates[0].Average():0} tok/s pass-per-input={rates[1].Average():0} tok/s batched={rates[2].Average():0} tok/s batched/token-by-token={Ratio(0)} batched/pass-per-input={Ratio(1)}"));
    }
}
