// A deliberately trivial OpenAI-shaped upstream for measuring the gateway's own overhead:
// canned chat completion JSON, or a canned SSE stream whose first event is flushed at once.
// A request whose body names "hold-model" keeps its stream open (first event sent) for --hold-ms.
using System.Buffers;
using System.IO.Pipelines;
using System.Text;

var holdMs = int.TryParse(Environment.GetEnvironmentVariable("BENCH_HOLD_MS"), out var h) ? h : 30_000;
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();

var head = "\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"bench-model\"";
var completion = Encoding.UTF8.GetBytes("{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"bench-model\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello! How can I help you today?\"},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":9,\"total_tokens\":18}}");
var firstEvent = Encoding.UTF8.GetBytes($"data: {{{head},\"choices\":[{{\"index\":0,\"delta\":{{\"role\":\"assistant\",\"content\":\"\"}},\"finish_reason\":null}}]}}\n\n");
var rest = new StringBuilder();
foreach (var piece in new[] { "Hello", "!", " How", " can", " I", " help", " you", " today", "?" })
    rest.Append($"data: {{{head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{piece}\"}},\"finish_reason\":null}}]}}\n\n");
rest.Append($"data: {{{head},\"choices\":[{{\"index\":0,\"delta\":{{}},\"finish_reason\":\"stop\"}}]}}\n\n");
rest.Append($"data: {{{head},\"choices\":[],\"usage\":{{\"prompt_tokens\":9,\"completion_tokens\":9,\"total_tokens\":18}}}}\n\n");
rest.Append("data: [DONE]\n\n");
var restBytes = Encoding.UTF8.GetBytes(rest.ToString());

app.Run(async context =>
{
    var (stream, hold) = await Inspect(context.Request.BodyReader);
    var response = context.Response;
    if (!stream)
    {
        response.ContentType = "application/json";
        response.ContentLength = completion.Length;
        await response.Body.WriteAsync(completion);
        return;
    }
    response.ContentType = "text/event-stream";
    await response.Body.WriteAsync(firstEvent);
    await response.Body.FlushAsync();
    if (hold)
    {
        try { await Task.Delay(holdMs, context.RequestAborted); }
        catch (OperationCanceledException) { return; }
    }
    await response.Body.WriteAsync(restBytes);
});
app.Run();

static async Task<(bool Stream, bool Hold)> Inspect(PipeReader reader)
{
    while (true)
    {
        var result = await reader.ReadAsync();
        if (result.IsCompleted)
        {
            var body = result.Buffer.IsSingleSegment ? result.Buffer.FirstSpan : result.Buffer.ToArray();
            var found = (body.IndexOf("\"stream\":true"u8) >= 0, body.IndexOf("hold-model"u8) >= 0);
            reader.AdvanceTo(result.Buffer.End);
            return found;
        }
        reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
    }
}
