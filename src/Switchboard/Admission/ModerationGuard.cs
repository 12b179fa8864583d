using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Switchboard.Api;
using Switchboard.Authentication;
using Switchboard.Buffers;
using Switchboard.Configuration;
using Switchboard.Errors;
using Switchboard.Forwarding;
using Switchboard.Metering;
using Switchboard.Requests;
using Switchboard.Routing;

namespace Switchboard.Admission;

/// <summary>
/// Checks a chat or completions request's input with a moderation model before it is sent, for keys that opted in
/// (<c>limits.moderate_input</c>): the text of the messages (or the prompt) goes to <c>Admission:ModerationModel</c>
/// through the providers like any <c>/v1/moderations</c> call, and is metered as one (its own ledger row, request id
/// suffixed <c>-moderation</c>). Flagged input is refused with 400 <c>input_flagged</c> naming the categories; when
/// the check cannot be made the request is refused too (503), as the key asked for checked input only.
/// </summary>
internal sealed class ModerationGuard(GatewayOptions options, BufferBudget budget, ModelRouter router, UpstreamForwarder forwarder, RequestRecorder recorder,
    TimeProvider time)
{
    public async ValueTask<OpenAiError?> CheckAsync(HttpContext context, ProxyRequest request, Caller caller, CancellationToken cancellationToken)
    {
        if (request.Endpoint != ApiEndpoint.ChatCompletions && request.Endpoint != ApiEndpoint.Completions) return null;
        var (text, uncheckable) = InputText(request);
        // The key asked for checked input only: what cannot be put to the text model (token ids, images) is not sent.
        if (uncheckable) return GatewayErrors.InputNotCheckable();
        if (text.Length == 0) return null;
        var model = options.Admission.ModerationModel;
        var json = JsonSerializer.SerializeToUtf8Bytes(new { model, input = text });
        var body = new ByteBuffer(budget, json.Length);
        if (body.TryWrite(json) != GrowResult.Ok)
        {
            body.Dispose();
            return GatewayErrors.Overloaded();
        }
        var (moderation, invalid) = RequestParser.Parse(body, ApiEndpoint.Moderations);
        if (invalid is not null)
        {
            body.Dispose();
            return GatewayErrors.ModerationUnavailable(model, invalid.Message);
        }
        using (moderation)
        {
            var started = Stopwatch.GetTimestamp();
            var startedAt = time.GetUtcNow().ToUnixTimeSeconds();
            var price = recorder.Quote(model);
            if (router.Resolve(model) is not { } route) return GatewayErrors.ModerationUnavailable(model, "no provider serves that model");
            using var outcome = await forwarder.ForwardAsync(moderation!, route, cancellationToken);
            OpenAiError? verdict;
            Usage? usage = null;
            int status;
            if (outcome is BufferedResponse { Status: 200 } answer)
            {
                status = 200;
                usage = answer.Usage;
                List<string>? flagged;
                try
                {
                    flagged = FlaggedCategories(answer.Body.WrittenSpan);
                }
                catch (Exception e) when (e is JsonException or InvalidOperationException)
                {
                    flagged = null;    // not the shape of a moderation answer
                }
                verdict = flagged switch
                {
                    null => GatewayErrors.ModerationUnavailable(model, "its answer has no results"),
                    [] => null,
                    _ => GatewayErrors.InputFlagged(flagged),
                };
            }
            else
            {
                status = (outcome as FailedResponse)?.Error.Status ?? 502;
                verdict = GatewayErrors.ModerationUnavailable(model, (outcome as FailedResponse)?.Error.Message ?? "it did not answer with JSON");
            }
            await recorder.RecordAsync(new RequestRecord(context.TraceIdentifier + "-moderation", ApiEndpoint.Moderations.Path, model, outcome.Provider?.Name, status,
                Stopwatch.GetElapsedTime(started), usage, false, startedAt, json.Length) { ServedModel = outcome.ServedModel, Price = price }, caller);
            return verdict;
        }
    }

    // The text a model would read — chat messages' string contents and text parts, or the completion prompt(s) — and
    // whether anything else was there (token ids, images, audio) that a text check cannot see.
    private static (string Text, bool Uncheckable) InputText(ProxyRequest request)
    {
        using var document = JsonDocument.Parse(request.Body.Written);
        var text = new StringBuilder();
        var uncheckable = false;
        var root = document.RootElement;
        if (request.Endpoint == ApiEndpoint.ChatCompletions && root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var content)) Append(content);
            }
        }
        else if (root.TryGetProperty("prompt", out var prompt))
        {
            Append(prompt);
        }
        return (text.ToString(), uncheckable);

        void Append(JsonElement value)
        {
            if (value.ValueKind == JsonValueKind.String)
            {
                text.AppendLine(value.GetString());
                return;
            }
            if (value.ValueKind == JsonValueKind.Null) return;
            if (value.ValueKind != JsonValueKind.Array)
            {
                uncheckable = true;
                return;
            }
            foreach (var part in value.EnumerateArray())
            {
                if (part.ValueKind == JsonValueKind.String) text.AppendLine(part.GetString());
                else if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var partText) && partText.ValueKind == JsonValueKind.String)
                    text.AppendLine(partText.GetString());
                else uncheckable = true;
            }
        }
    }

    /// <summary>The categories flagged in a moderation answer (empty when nothing is), or null when it has no results.</summary>
    private static List<string>? FlaggedCategories(ReadOnlySpan<byte> answer)
    {
        var reader = new Utf8JsonReader(answer);
        using var document = JsonDocument.ParseValue(ref reader);
        if (!document.RootElement.TryGetProperty("results", out var results) || results.ValueKind != JsonValueKind.Array) return null;
        List<string> flagged = [];
        foreach (var result in results.EnumerateArray())
        {
            if (!result.TryGetProperty("flagged", out var isFlagged) || isFlagged.ValueKind != JsonValueKind.True) continue;
            if (result.TryGetProperty("categories", out var categories) && categories.ValueKind == JsonValueKind.Object)
                flagged.AddRange(categories.EnumerateObject().Where(c => c.Value.ValueKind == JsonValueKind.True).Select(c => c.Name));
            if (flagged.Count == 0) flagged.Add("unspecified");
        }
        return [.. flagged.Distinct()];
    }
}
