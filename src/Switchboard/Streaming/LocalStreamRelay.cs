using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Switchboard.Errors;
using Switchboard.Forwarding;
using Switchboard.LocalModels;
using Switchboard.Metering;

namespace Switchboard.Streaming;

/// <summary>
/// Streams a local model's generation as OpenAI chunks: the role first (chat), then each piece of text as the model
/// produces it, flushed at once (time to first token is the model's), then the finish reason, the usage chunk if the
/// client asked for it, and <c>[DONE]</c>. Awaiting each flush makes a client that does not read pause the model.
/// </summary>
internal static class LocalStreamRelay
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task<StreamResult> RelayAsync(HttpResponse response, LocalStreamResponse local, bool clientWantsUsage, CancellationToken clientAborted)
    {
        var generation = local.Generation;
        SseWriter.StartResponse(response, StatusCodes.Status200OK);
        await response.StartAsync(clientAborted);
        var writer = response.BodyWriter;
        var json = new ArrayBufferWriter<byte>(512);
        using var jsonWriter = new Utf8JsonWriter(json, WriterOptions);
        var produced = 0;
        long firstAt = 0;
        Usage Usage() => new(generation.PromptTokens, produced, generation.PromptTokens + produced, 0);
        StreamResult Result(StreamEnd end, Exception? fault = null) => new(end, Usage(), fault) { FirstTokenAt = firstAt };
        async Task<bool> SendAsync(Action<Utf8JsonWriter> write)
        {
            json.ResetWrittenCount();
            jsonWriter.Reset(json);
            write(jsonWriter);
            await jsonWriter.FlushAsync(clientAborted);
            SseWriter.WriteData(writer, json.WrittenSpan);
            var flushed = await writer.FlushAsync(clientAborted);
            return !flushed.IsCanceled && !flushed.IsCompleted;
        }

        Exception? fault = null;
        try
        {
            // Choices come one after another: each opens with the assistant role (chat) and closes with its finish reason.
            var opened = -1;
            ToolCallReader? reader = null;
            await foreach (var (choice, token) in generation.ReadAllAsync(clientAborted))
            {
                if (produced++ == 0) firstAt = System.Diagnostics.Stopwatch.GetTimestamp();
                if (choice != opened)
                {
                    opened = choice;
                    reader = generation.NewToolCallReader();
                    if (generation.IsChat && !await SendAsync(w => LocalResponses.WriteChunk(w, generation, choice, role: true, "", null)))
                        return Result(StreamEnd.ClientGone);
                }
                // With tools, text that may begin a call is held back until it is clear what it is.
                var text = reader is null ? token.Text : reader.Push(token.Text);
                // A token that completes no text yet (part of a character, an end-of-turn marker) has nothing to send,
                // unless its log probability was asked for.
                if (text.Length > 0 || token.Logprobs is not null)
                {
                    (int, Inference.Generation.TokenLogprobs)? logprobs = token.Logprobs is { } l ? (token.Id, l) : null;
                    if (!await SendAsync(w => LocalResponses.WriteChunk(w, generation, choice, role: false, text, null, logprobs)))
                        return Result(StreamEnd.ClientGone);
                }
                if (token.Finish is not { } reason) continue;
                var finish = LocalResponses.FinishReason(reason);
                if (reader is not null)
                {
                    var (rest, calls) = reader.Finish();
                    if (rest.Length > 0 && !await SendAsync(w => LocalResponses.WriteChunk(w, generation, choice, role: false, rest, null)))
                        return Result(StreamEnd.ClientGone);
                    finish = LocalResponses.FinishReason(reason, calls.Count > 0, generation.Tools!.Named);
                    if (calls.Count > 0 && !await SendAsync(w => LocalResponses.WriteToolCallChunk(w, generation, choice, calls)))
                        return Result(StreamEnd.ClientGone);
                }
                if (!await SendAsync(w => LocalResponses.WriteChunk(w, generation, choice, role: false, generation.IsChat ? null : "", finish)))
                    return Result(StreamEnd.ClientGone);
            }
            if (clientWantsUsage && !await SendAsync(w => LocalResponses.WriteUsageChunk(w, generation, Usage())))
                return Result(StreamEnd.ClientGone);
            SseWriter.WriteDone(writer);
            await writer.FlushAsync(clientAborted);
            return Result(StreamEnd.Completed);
        }
        catch (Exception) when (clientAborted.IsCancellationRequested)
        {
            return Result(StreamEnd.ClientGone);
        }
        catch (Exception e)
        {
            fault = e;
        }
        try
        {
            // The status is long sent: as OpenAI does mid-stream, the failure is an error event.
            SseWriter.WriteData(writer, GatewayErrors.Internal().ToJsonBytes());
            await writer.FlushAsync(clientAborted);
        }
        catch (Exception e) when (clientAborted.IsCancellationRequested || e is IOException)
        {
            return Result(StreamEnd.ClientGone);
        }
        return Result(StreamEnd.UpstreamFailed, fault);
    }
}
